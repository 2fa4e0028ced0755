/** Row shapes of the webhook tables (endpoints, deliveries, attempts). Times are epoch ms. */

/** A registered endpoint. `is_active` is 0 when paused by the user or disabled by Tuco (then `disabled_reason` says why). */
export interface WebhookEndpointRow {
  id: string;
  workspace_id: string;
  url: string;
  name: string;
  description: string | null;
  /** JSON array of event names. */
  events: string;
  is_active: number;
  secret: string;
  /** The secret before the last rotation, still signing until `previous_secret_expires_at`. */
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  /** The last `sequence` handed out to this endpoint's deliveries. */
  last_sequence: number;
  last_triggered_at: number | null;
  last_success_at: number | null;
  last_failure_at: number | null;
  /** Consecutive failed attempts. */
  failure_count: number;
  /** First failure of the current run of failures; an endpoint failing for 3 days is disabled. */
  failing_since: number | null;
  disabled_reason: string | null;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

/**
 * One event to one endpoint. `status` is `pending` until acknowledged (`succeeded`) or until the
 * retry ladder is used up (`failed`). A pending delivery with `next_attempt_at` NULL is held: its
 * endpoint is paused or disabled, and it resumes when the endpoint is re-enabled.
 */
export interface WebhookDeliveryRow {
  id: string;
  workspace_id: string;
  endpoint_id: string;
  /** The outbox event id: the body's `eventId` and the `webhook-id` header. */
  event_id: string;
  event: string;
  sequence: number;
  status: string;
  /** Attempts ever made, shown in the log. */
  attempt_count: number;
  /** Failures in the current retry ladder; a manual retry or a replay starts a new ladder. */
  ladder_failures: number;
  next_attempt_at: number | null;
  /** Set while a worker has the delivery in flight; its lease runs until `next_attempt_at`. */
  claimed_at: number | null;
  last_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: number | null;
  event_created_at: number;
  created_at: number;
  updated_at: number;
}

/** One HTTP attempt of a delivery, as the endpoint answered it. */
export interface WebhookAttemptRow {
  id: string;
  delivery_id: string;
  endpoint_id: string;
  workspace_id: string;
  attempt: number;
  started_at: number;
  latency_ms: number;
  status_code: number | null;
  /** The first 1 KB of the answer. */
  response_body: string | null;
  error: string | null;
}

export interface WebhookTables {
  webhook_endpoints: WebhookEndpointRow;
  webhook_deliveries: WebhookDeliveryRow;
  webhook_attempts: WebhookAttemptRow;
}
