import type { Transaction } from 'kysely';
import type { Database, LeadRow, LineRow, MessageRow } from '../store/schema.js';
import type { Db } from '../store/db.js';
import { newId } from '../domain/ids.js';
import { iso } from '../domain/time.js';
import { normalizeEmail, normalizePhone } from '../domain/addresses.js';
import { findLeadsByAddress } from '../store/leads.js';
import { recordHistory } from '../store/messages.js';
import { addDnc, isOptOut } from '../store/dnc.js';
import { emitEvent } from '../store/outbox.js';

/**
 * The reply item: one entry of GET /api/replies (the latest reply of a recipient, their recent
 * replies and the outbound messages before them), as `message.reply` carries it in `data`.
 */
export function replyItem(reply: MessageRow, lead: LeadRow | undefined, recent: MessageRow[], parents: MessageRow[]) {
  return {
    leadId: lead?.id ?? null,
    messageId: reply.id,
    message: reply.body,
    respondedAtUtc: iso(reply.created_at),
    recipientPhone: reply.recipient_phone,
    recipientEmail: reply.recipient_email,
    name: lead ? [lead.first_name, lead.last_name].filter(Boolean).join(' ') || null : reply.recipient_name,
    recentReplies: recent.slice(0, 10).map((r) => ({ messageId: r.id, message: r.body, receivedAtUtc: iso(r.created_at) })),
    parentMessages: parents.slice(0, 10).map((p) => ({ messageId: p.id, message: p.body, sentAtUtc: iso(p.sent_at), batchId: p.batch_id, stepIndex: p.step_index })),
    // Flat fields of the hosted product's reply payload, for integrations that read them.
    status: 'received',
    lineId: reply.line_id,
    campaignId: reply.campaign_id,
    firstName: lead?.first_name ?? null,
    lastName: lead?.last_name ?? null,
    phone: lead?.phone ?? null,
    email: lead?.email ?? null,
    listId: lead?.list_id ?? null,
    attachmentUrls: JSON.parse(reply.attachment_urls) as string[],
    attachmentNames: [] as string[],
  };
}

/** Outbound messages to a lead that reached the provider, newest first. */
export async function parentMessages(db: Db, workspaceId: string, leadId: string, before: number, limit = 10): Promise<MessageRow[]> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('lead_id', '=', leadId)
    .where('direction', '=', 'outbound')
    .where('sent_at', 'is not', null)
    .where('created_at', '<=', before)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/**
 * Records an inbound message on a line: matched to the lead by address, stored as `received`,
 * an opt-out reply adds the address to Do Not Contact, and `message.reply` goes to the outbox,
 * all in the caller's transaction.
 */
export async function recordInbound(
  trx: Transaction<Database>,
  args: { line: LineRow; from: string; text: string; now: number; externalId?: string | null },
): Promise<MessageRow> {
  const { line, now } = args;
  const phone = args.from.includes('@') ? null : normalizePhone(args.from);
  const email = args.from.includes('@') ? normalizeEmail(args.from) : null;
  const address = phone ?? email ?? args.from.trim();
  const leads = await findLeadsByAddress(trx, line.workspace_id, phone ? [phone] : [], email ? [email] : []);
  const lead = leads.get(address);
  const parents = lead ? await parentMessages(trx, line.workspace_id, lead.id, now) : [];
  const row: MessageRow = {
    id: newId(now), workspace_id: line.workspace_id, direction: 'inbound', lead_id: lead?.id ?? null,
    campaign_id: parents[0]?.campaign_id ?? null, step_index: null, batch_id: null,
    message_type: parents[0]?.message_type ?? (email ? 'email' : 'imessage'), body: args.text, subject: null, attachment_urls: '[]',
    status: 'received', requested_line_id: line.id, line_id: line.id, from_line_phone: line.phone, from_line_email: line.email,
    recipient_phone: phone, recipient_email: email, recipient_name: lead ? [lead.first_name, lead.last_name].filter(Boolean).join(' ') || null : null,
    recipient_address: address, scheduled_at: null, settings: '{}', hold_reason: null, eligible_at: null, next_attempt_at: null,
    claimed_by: null, attempt_count: 0, send_started_at: null, sent_at: null, delivered_at: null, read_at: null, finished_at: now,
    external_message_id: args.externalId ?? null, error_message: null, checked_addresses: null, send_fallback_sms_on_failed: 0,
    fallback_channel: null, fallback_of: null, correlation_id: null, created_by: null, created_at: now, updated_at: now,
  };
  await trx.insertInto('messages').values(row).execute();
  await recordHistory(trx, row, 'received', now);
  if (isOptOut(args.text)) await addDnc(trx, line.workspace_id, address, 'opt_out_reply', now);
  const recent = lead
    ? await trx.selectFrom('messages').selectAll().where('workspace_id', '=', line.workspace_id).where('lead_id', '=', lead.id).where('direction', '=', 'inbound').orderBy('id', 'desc').limit(10).execute()
    : [row];
  await emitEvent(trx, { workspaceId: line.workspace_id, event: 'message.reply', data: replyItem(row, lead, recent, parents), now });
  return row;
}
