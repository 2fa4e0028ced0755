import type { Transaction } from 'kysely';
import type { Database, LeadRow, LineRow, MessageRow } from '../store/schema.js';
import { newId } from '../domain/ids.js';
import { iso } from '../domain/time.js';
import { normalizeEmail, normalizePhone } from '../domain/addresses.js';
import { findLeadsByAddress } from '../store/leads.js';
import { recordHistory, messageView } from '../store/messages.js';
import { addDnc, isOptOut } from '../store/dnc.js';
import { emitEvent } from '../store/outbox.js';

/** The reply item: one entry of GET /api/replies, as `message.reply` carries it. */
export function replyItem(reply: MessageRow, lead: LeadRow | undefined, parents: MessageRow[]) {
  return {
    messageId: reply.id,
    leadId: lead?.id,
    lineId: reply.line_id,
    campaignId: parents[0]?.campaign_id ?? null,
    recipientPhone: reply.recipient_phone,
    recipientEmail: reply.recipient_email,
    message: reply.body,
    status: 'received',
    receivedAt: iso(reply.created_at),
    firstName: lead?.first_name ?? null,
    lastName: lead?.last_name ?? null,
    phone: lead?.phone ?? null,
    email: lead?.email ?? null,
    listId: lead?.list_id ?? null,
    attachmentUrls: [] as string[],
    attachmentNames: [] as string[],
    parentMessages: parents.map((p) => messageView(p)),
  };
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
  const parents = lead
    ? await trx
        .selectFrom('messages')
        .selectAll()
        .where('workspace_id', '=', line.workspace_id)
        .where('lead_id', '=', lead.id)
        .where('direction', '=', 'outbound')
        .where('status', 'in', ['sent', 'delivered'])
        .orderBy('id', 'desc')
        .limit(5)
        .execute()
    : [];
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
  await emitEvent(trx, { workspaceId: line.workspace_id, event: 'message.reply', data: replyItem(row, lead, parents), now });
  return row;
}
