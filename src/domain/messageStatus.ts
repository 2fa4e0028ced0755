export const MESSAGE_STATUSES = ['queued', 'scheduled', 'pending', 'sending', 'sent', 'delivered', 'failed', 'fallback', 'cancelled', 'received'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const HOLD_REASONS = [
  'scheduled_for_later', 'outside_send_window', 'day_not_allowed', 'line_daily_new_limit', 'line_daily_total_limit',
  'line_hourly_new_limit', 'line_send_interval', 'line_spacing', 'no_usable_line', 'step_delay', 'campaign_paused',
  'workspace_read_only', 'availability_quota',
] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];

export const FINAL_STATUSES: ReadonlySet<string> = new Set(['sent', 'delivered', 'failed', 'fallback', 'cancelled', 'received']);
/** Waiting statuses the engine picks up. */
export const WAITING_STATUSES: ReadonlySet<string> = new Set(['queued', 'scheduled', 'pending', 'sending']);

const RANK: Record<string, number> = { scheduled: 0, queued: 1, pending: 2, sending: 3, sent: 4, delivered: 5 };

/**
 * Status only moves forward: along scheduled → queued → pending → sending → sent → delivered, or to
 * a final side exit (failed, fallback, cancelled) from any non-final status; `sent` may still
 * become `failed` when the provider reports the message undeliverable.
 */
export function canMove(from: string, to: string): boolean {
  if (from === to) return false;
  if (from === 'sent' && to === 'failed') return true;
  if (FINAL_STATUSES.has(from) && from !== 'sent') return false;
  if (to === 'failed' || to === 'fallback' || to === 'cancelled') return from !== 'sent';
  return (RANK[to] ?? -1) > (RANK[from] ?? 99);
}
