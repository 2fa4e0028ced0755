import type { Db } from './db.js';
import { newId } from '../domain/ids.js';

export const WEBHOOK_EVENTS = ['message.sent', 'message.delivered', 'message.failed', 'message.fallback', 'message.opened', 'message.reply'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/**
 * Records an event in the transactional outbox. Call it with the same transaction that makes the
 * status change, so the change and its event commit together or not at all.
 * `data` is the event's payload `data` (the message document, or the reply item).
 */
export async function emitEvent(trx: Db, e: { workspaceId: string; event: WebhookEvent; data: unknown; now: number }): Promise<string> {
  const id = newId(e.now);
  const d = e.data as { _id?: unknown; messageId?: unknown } | null;
  const messageId = typeof d?._id === 'string' ? d._id : typeof d?.messageId === 'string' ? d.messageId : null;
  await trx
    .insertInto('outbox_events')
    .values({ id, workspace_id: e.workspaceId, event: e.event, message_id: messageId, payload: JSON.stringify(e.data), created_at: e.now, dispatched_at: null })
    .execute();
  return id;
}
