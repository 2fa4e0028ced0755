/** Row shapes of every table. Times are epoch milliseconds; JSON columns hold text; booleans are 0/1. */
export interface WorkspaceRow {
  id: string;
  name: string;
  billing_status: string;
  created_at: number;
  updated_at: number;
}

export interface ApiKeyRow {
  id: string;
  workspace_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface ListRow {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  is_quick_sends: number;
  created_at: number;
  updated_at: number;
}

export interface LeadRow {
  id: string;
  workspace_id: string;
  list_id: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  email_lower: string | null;
  phone: string | null;
  alt_phone1: string | null;
  alt_phone2: string | null;
  alt_phone3: string | null;
  alt_email1: string | null;
  alt_email2: string | null;
  alt_email3: string | null;
  company_name: string | null;
  job_title: string | null;
  linkedin_url: string | null;
  notes: string | null;
  custom_fields: string;
  tags: string;
  source: string;
  availability_status: string | null;
  ghl_contact_id: string | null;
  ghl_location_id: string | null;
  hs_portal_id: string | null;
  hs_contact_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface LineRow {
  id: string;
  workspace_id: string;
  first_name: string;
  last_name: string;
  phone: string | null;
  email: string | null;
  provider: string;
  provider_settings: string;
  channels: string;
  is_active: number;
  daily_new_limit: number;
  daily_total_limit: number;
  hourly_new_limit: number;
  min_send_interval_ms: number;
  last_send_at: number | null;
  health_status: string;
  health_checked_at: number | null;
  callback_secret: string;
  deleted_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface LineUsageRow {
  line_id: string;
  bucket: string;
  new_count: number;
  total_count: number;
}

export interface ConversationRow {
  workspace_id: string;
  lead_id: string;
  line_id: string;
  first_outbound_at: number;
  last_outbound_at: number;
}

export interface MessageRow {
  id: string;
  workspace_id: string;
  direction: string;
  lead_id: string | null;
  campaign_id: string | null;
  step_index: number | null;
  batch_id: string | null;
  message_type: string;
  body: string;
  subject: string | null;
  attachment_urls: string;
  status: string;
  requested_line_id: string | null;
  line_id: string | null;
  from_line_phone: string | null;
  from_line_email: string | null;
  recipient_phone: string | null;
  recipient_email: string | null;
  recipient_name: string | null;
  recipient_address: string | null;
  scheduled_at: number | null;
  settings: string;
  hold_reason: string | null;
  eligible_at: number | null;
  next_attempt_at: number | null;
  claimed_by: string | null;
  attempt_count: number;
  send_started_at: number | null;
  sent_at: number | null;
  delivered_at: number | null;
  read_at: number | null;
  finished_at: number | null;
  external_message_id: string | null;
  error_message: string | null;
  checked_addresses: string | null;
  send_fallback_sms_on_failed: number;
  fallback_channel: string | null;
  fallback_of: string | null;
  correlation_id: string | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

export interface MessageEventRow {
  id: string;
  message_id: string;
  workspace_id: string;
  status: string;
  at: number;
  note: string | null;
}

export interface IdempotencyRow {
  workspace_id: string;
  key: string;
  response_status: number;
  response_body: string;
  created_at: number;
}

export interface JobRow {
  id: string;
  kind: string;
  due_at: number;
  payload: string;
  created_at: number;
}

export interface DncRow {
  id: string;
  workspace_id: string;
  address: string;
  reason: string;
  created_at: number;
}

export interface AvailabilityCacheRow {
  workspace_id: string;
  address: string;
  /** 1 when the address can receive iMessage. */
  capable: number;
  checked_at: number;
  expires_at: number;
}

export interface OutboxEventRow {
  id: string;
  workspace_id: string;
  event: string;
  /** The message the event is about (the reply itself for message.reply), for a lead's timeline. */
  message_id: string | null;
  payload: string;
  created_at: number;
  dispatched_at: number | null;
}

import type { WebhookTables } from './webhookSchema.js';

export interface Database extends WebhookTables {
  workspaces: WorkspaceRow;
  api_keys: ApiKeyRow;
  lists: ListRow;
  leads: LeadRow;
  lines: LineRow;
  line_usage: LineUsageRow;
  conversations: ConversationRow;
  messages: MessageRow;
  message_events: MessageEventRow;
  idempotency_keys: IdempotencyRow;
  jobs: JobRow;
  dnc: DncRow;
  outbox_events: OutboxEventRow;
  availability_cache: AvailabilityCacheRow;
}
