import { cursorPage, type Db } from './db.js';
import type { MessageRow } from './schema.js';
import { newId } from '../domain/ids.js';
import { iso } from '../domain/time.js';
import { FINAL_STATUSES } from '../domain/messageStatus.js';

/** The message document, as the API and webhooks show it. */
export function messageView(m: MessageRow) {
  // Only the timing settings are the caller's; the rest is the engine's bookkeeping.
  const { timezone, sendWindowStart, sendWindowEnd, allowedDaysOfWeek } = JSON.parse(m.settings) as Record<string, unknown>;
  const settings = Object.fromEntries(Object.entries({ timezone, sendWindowStart, sendWindowEnd, allowedDaysOfWeek }).filter(([, v]) => v !== undefined));
  const waiting = !FINAL_STATUSES.has(m.status);
  return {
    _id: m.id,
    workspaceId: m.workspace_id,
    direction: m.direction,
    message: m.body,
    subject: m.subject,
    messageType: m.message_type,
    status: m.status,
    fromLineId: m.line_id ?? m.requested_line_id,
    fromLinePhone: m.from_line_phone,
    fromLineEmail: m.from_line_email,
    recipientPhone: m.recipient_phone,
    recipientEmail: m.recipient_email,
    recipientName: m.recipient_name,
    recipientAddress: m.recipient_address,
    leadId: m.lead_id,
    campaignId: m.campaign_id,
    stepIndex: m.step_index,
    batchId: m.batch_id,
    createdByUserId: m.created_by,
    scheduledDate: iso(m.scheduled_at),
    settings,
    holdReason: waiting ? m.hold_reason : null,
    eligibleAt: waiting ? iso(m.eligible_at) : null,
    attemptCount: m.attempt_count,
    sentAt: iso(m.sent_at),
    deliveredAt: iso(m.delivered_at),
    readAt: iso(m.read_at),
    externalMessageId: m.external_message_id,
    errorMessage: m.error_message,
    checkedAddresses: m.checked_addresses ? (JSON.parse(m.checked_addresses) as string[]) : undefined,
    sendFallbackSmsOnFailed: m.send_fallback_sms_on_failed === 1,
    fallbackChannel: m.fallback_channel,
    fallbackOf: m.fallback_of,
    attachmentUrls: JSON.parse(m.attachment_urls) as string[],
    correlationId: m.correlation_id,
    createdAt: iso(m.created_at),
    updatedAt: iso(m.updated_at),
  };
}
export type MessageView = ReturnType<typeof messageView>;

export async function getMessage(db: Db, workspaceId: string, id: string): Promise<MessageRow | undefined> {
  return db.selectFrom('messages').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
}

export async function messageHistory(db: Db, messageId: string) {
  const rows = await db.selectFrom('message_events').selectAll().where('message_id', '=', messageId).orderBy('at').orderBy('id').execute();
  return rows.map((r) => ({ status: r.status, at: iso(r.at), note: r.note }));
}

/** Appends one line to a message's status history. */
export async function recordHistory(db: Db, m: { id: string; workspace_id: string }, status: string, at: number, note: string | null = null): Promise<void> {
  await db.insertInto('message_events').values({ id: newId(at), message_id: m.id, workspace_id: m.workspace_id, status, at, note }).execute();
}

export interface MessageFilters {
  status?: string;
  campaignId?: string;
  leadId?: string;
  lineId?: string;
  batchId?: string;
  messageType?: string;
  direction?: string;
  from?: number;
  to?: number;
  cursor?: string;
  limit: number;
}

/** Newest first, paged by id cursor. */
export async function listMessages(db: Db, workspaceId: string, f: MessageFilters): Promise<{ rows: MessageRow[]; nextCursor: string | null }> {
  let q = db.selectFrom('messages').selectAll().where('workspace_id', '=', workspaceId);
  if (f.status) q = q.where('status', 'in', f.status.split(','));
  if (f.campaignId) q = q.where('campaign_id', '=', f.campaignId);
  if (f.leadId) q = q.where('lead_id', '=', f.leadId);
  if (f.lineId) q = q.where((eb) => eb.or([eb('line_id', '=', f.lineId!), eb.and([eb('line_id', 'is', null), eb('requested_line_id', '=', f.lineId!)])]));
  if (f.batchId) q = q.where('batch_id', '=', f.batchId);
  if (f.messageType) q = q.where('message_type', '=', f.messageType);
  if (f.direction) q = q.where('direction', '=', f.direction);
  if (f.from !== undefined) q = q.where('created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('created_at', '<', f.to);
  if (f.cursor) q = q.where('id', '<', f.cursor);
  return cursorPage(await q.orderBy('id', 'desc').limit(f.limit + 1).execute(), f.limit);
}

/**
 * Makes held messages of a workspace due now, so the engine re-checks them after something that
 * may free them changed (billing back to active, a line added or its limits raised).
 */
export async function releaseHolds(db: Db, workspaceId: string, reasons: string[], now: number): Promise<number> {
  const r = await db
    .updateTable('messages')
    .set({ next_attempt_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('status', 'in', ['queued', 'scheduled'])
    .where('hold_reason', 'in', reasons)
    .where('next_attempt_at', '>', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export const LINE_HOLDS = ['no_usable_line', 'line_daily_new_limit', 'line_daily_total_limit', 'line_hourly_new_limit', 'line_send_interval'];
