
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../types.js';
import { Obj, Nullable, Id, IdParams } from '../schemas.js';
import { AppError, badRequest, conflict, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { normalizeEmail, normalizePhone } from '../../domain/addresses.js';
import { nextEligibleInstant, validateTimingRules } from '../../domain/sendWindow.js';
import { FINAL_STATUSES, MESSAGE_STATUSES } from '../../domain/messageStatus.js';
import { CHANNELS } from '../../domain/lines.js';
import type { LeadRow, MessageRow } from '../../store/schema.js';
import { findLeadsByAddress, getLead, leadRowFromInput, leadView } from '../../store/leads.js';
import { iso } from '../../domain/time.js';
import { quickSendsList } from '../../store/lists.js';
import { getLine } from '../../store/lines.js';
import { getMessage, listMessages, messageHistory, messageView, recordHistory } from '../../store/messages.js';
import { recordInbound } from '../../engine/inbound.js';
import { checkWebhookUrl } from '../../domain/netguard.js';

const Str = (max = 320) => Type.String({ maxLength: max });
const SendBody = Obj({
  message: Type.Optional(Nullable(Type.String({ maxLength: 20_000 }))),
  subject: Type.Optional(Nullable(Str(998))),
  attachmentUrls: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 2 }))),
  messageType: Type.Optional(Type.String({ maxLength: 20 })),
  recipientPhone: Type.Optional(Nullable(Str(40))),
  recipientEmail: Type.Optional(Nullable(Str())),
  recipientName: Type.Optional(Nullable(Str(200))),
  fromLineId: Type.Optional(Nullable(Id)),
  leadId: Type.Optional(Nullable(Id)),
  altPhone1: Type.Optional(Nullable(Str(40))),
  altPhone2: Type.Optional(Nullable(Str(40))),
  altPhone3: Type.Optional(Nullable(Str(40))),
  altEmail1: Type.Optional(Nullable(Str())),
  altEmail2: Type.Optional(Nullable(Str())),
  altEmail3: Type.Optional(Nullable(Str())),
  scheduledDate: Type.Optional(Nullable(Type.String({ maxLength: 40 }))),
  timezone: Type.Optional(Nullable(Str(64))),
  sendWindowStart: Type.Optional(Nullable(Str(5))),
  sendWindowEnd: Type.Optional(Nullable(Str(5))),
  allowedDaysOfWeek: Type.Optional(Nullable(Type.Array(Type.Integer(), { maxItems: 7 }))),
  sendFallbackSmsOnFailed: Type.Optional(Type.Boolean()),
  fallbackChannel: Type.Optional(Nullable(Type.Union([Type.Literal('sms'), Type.Literal('email')]))),
  batchId: Type.Optional(Nullable(Str(200))),
  correlationId: Type.Optional(Nullable(Str(128))),
  attachmentNames: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 255 }), { maxItems: 2 }))),
});
type SendInput = {
  message?: string | null; subject?: string | null; attachmentUrls?: string[] | null; messageType?: string; recipientPhone?: string | null;
  recipientEmail?: string | null; recipientName?: string | null; fromLineId?: string | null; leadId?: string | null;
  altPhone1?: string | null; altPhone2?: string | null; altPhone3?: string | null; altEmail1?: string | null; altEmail2?: string | null; altEmail3?: string | null;
  scheduledDate?: string | null; timezone?: string | null; sendWindowStart?: string | null; sendWindowEnd?: string | null;
  allowedDaysOfWeek?: number[] | null; sendFallbackSmsOnFailed?: boolean; fallbackChannel?: 'sms' | 'email' | null; batchId?: string | null;
  correlationId?: string | null; attachmentNames?: string[] | null;
};

const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** Messages: send one, list, read with history and hold reason, cancel; the simulator's inbound door. */
export const messageRoutes = (deps: AppDeps): FastifyPluginAsync => async (app) => {
  const { db } = deps.store;

  app.post('/messages', { schema: { tags: ['messages'], body: SendBody } }, async (req, reply) => {
    const ws = req.auth.workspaceId;
    const body = req.body as SendInput;
    const now = deps.clock.now();
    const idemKey = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'].slice(0, 200) : null;
    if (idemKey) {
      const prior = await db.selectFrom('idempotency_keys').selectAll().where('workspace_id', '=', ws).where('key', '=', idemKey).executeTakeFirst();
      if (prior && prior.created_at > now - IDEMPOTENCY_TTL_MS) {
        reply.code(prior.response_status).header('idempotent-replayed', 'true');
        return JSON.parse(prior.response_body);
      }
    }

    // Documented checks first, with the documented texts.
    const text = body.message ?? '';
    const attachments = body.attachmentUrls ?? [];
    if (!text.trim() && attachments.length === 0) throw badRequest('Message and attachmentUrls cannot both be empty');
    const messageType = body.messageType ?? 'imessage';
    if (!(CHANNELS as readonly string[]).includes(messageType)) throw badRequest('Invalid messageType. Must be email, sms, or imessage', 'VALIDATION_ERROR', { field: 'messageType' });
    for (const u of attachments) {
      // Attachments are fetched by Tuco, so they face the same target rules as webhooks.
      const check = checkWebhookUrl(u, deps.config.webhookAllowPrivate);
      if (!check.ok) throw badRequest(`attachmentUrls holds "${u}", which ${check.reason.replace(/webhooks\/tuco/, 'files/photo.png')}`, 'VALIDATION_ERROR', { field: 'attachmentUrls' });
    }
    const recipientPhone = body.recipientPhone ? normalizePhone(body.recipientPhone) : null;
    if (body.recipientPhone && !recipientPhone) throw badRequest(`recipientPhone "${body.recipientPhone}" is not a phone number; write it in E.164 form such as +14155550123`, 'VALIDATION_ERROR', { field: 'recipientPhone' });
    const recipientEmail = body.recipientEmail ? normalizeEmail(body.recipientEmail) : null;
    if (body.recipientEmail && !recipientEmail) throw badRequest(`recipientEmail "${body.recipientEmail}" is not a valid email address`, 'VALIDATION_ERROR', { field: 'recipientEmail' });
    let scheduledAt: number | null = null;
    if (body.scheduledDate) {
      scheduledAt = Date.parse(body.scheduledDate);
      if (!/^\d{4}-\d{2}-\d{2}T/.test(body.scheduledDate) || Number.isNaN(scheduledAt)) {
        throw badRequest(`scheduledDate "${body.scheduledDate}" is not an ISO-8601 date-time such as 2025-10-15T14:30:00Z`, 'VALIDATION_ERROR', { field: 'scheduledDate' });
      }
    }
    const timing = { scheduledAt, timezone: body.timezone ?? null, sendWindowStart: body.sendWindowStart ?? null, sendWindowEnd: body.sendWindowEnd ?? null, allowedDaysOfWeek: body.allowedDaysOfWeek ?? null };
    const timingProblems = validateTimingRules(timing);
    if (timingProblems.length) throw badRequest(timingProblems.join('; '), 'VALIDATION_ERROR', { problems: timingProblems });

    let line = null;
    if (body.fromLineId) {
      line = await getLine(db, ws, body.fromLineId);
      if (!line) throw new AppError(404, 'NOT_FOUND', `Line ${body.fromLineId} not found in this workspace (fromLineId)`);
      if (!(JSON.parse(line.channels) as string[]).includes(messageType)) {
        throw badRequest(`Line ${line.id} does not send ${messageType} (it offers ${JSON.parse(line.channels).join(', ')}); pick another line or messageType`, 'LINE_CHANNEL_MISMATCH', { field: 'fromLineId' });
      }
    } else {
      const active = await db.selectFrom('lines').select('id').where('workspace_id', '=', ws).where('deleted_at', 'is', null).where('is_active', '=', 1).limit(1).execute();
      if (!active.length) throw badRequest('No active lines in workspace. Add a line (POST /api/lines) or activate one, or pass fromLineId.', 'NO_ACTIVE_LINES');
    }
    if (body.sendFallbackSmsOnFailed) {
      const sms = await db.selectFrom('lines').select(['channels']).where('workspace_id', '=', ws).where('deleted_at', 'is', null).where('is_active', '=', 1).execute();
      if (!sms.some((l) => (JSON.parse(l.channels) as string[]).includes('sms'))) {
        throw badRequest('sendFallbackSmsOnFailed needs an active line that sends SMS in this workspace; add one (e.g. a Twilio line) or drop the flag', 'FALLBACK_NOT_CONFIGURED');
      }
    }

    const result = await db.transaction().execute(async (trx) => {
      // Resolve the lead: given, found by address, or created in "Quick Sends".
      let lead: LeadRow | undefined;
      let duplicate = false;
      if (body.leadId) {
        lead = await getLead(trx, ws, body.leadId);
        if (!lead) throw new AppError(404, 'NOT_FOUND', `Lead ${body.leadId} not found in this workspace (leadId)`);
        duplicate = true;
      } else if (recipientPhone || recipientEmail) {
        const lookup = async () => {
          const found = await findLeadsByAddress(trx, ws, recipientPhone ? [recipientPhone] : [], recipientEmail ? [recipientEmail] : []);
          return (recipientPhone && found.get(recipientPhone)) || (recipientEmail && found.get(recipientEmail)) || undefined;
        };
        lead = await lookup();
        duplicate = !!lead;
        if (!lead) {
          const [firstName, ...rest] = (body.recipientName ?? '').trim().split(/\s+/);
          const quick = await quickSendsList(trx, ws);
          const built = leadRowFromInput(
            {
              firstName: firstName || null, lastName: rest.join(' ') || null, phone: recipientPhone, email: recipientEmail,
              altPhone1: body.altPhone1, altPhone2: body.altPhone2, altPhone3: body.altPhone3,
              altEmail1: body.altEmail1, altEmail2: body.altEmail2, altEmail3: body.altEmail3, source: 'api',
            },
            { workspaceId: ws, listId: quick.id, source: 'api', country: { callingCode: '1' }, now },
          );
          if (!built.row) throw badRequest(`${built.problems[0].field}: ${built.problems[0].error}`, 'VALIDATION_ERROR', { field: built.problems[0].field });
          // A concurrent send may create the same lead first: the unique address index keeps
          // one, and this send then uses it as an existing lead.
          const created = await trx.insertInto('leads').values(built.row).onConflict((oc) => oc.doNothing()).returning('id').executeTakeFirst();
          lead = created ? built.row : await lookup();
          duplicate = !created;
          if (!lead) throw new Error('a lead with this address was created and removed while sending; try again');
        }
      }
      const hasAddress = recipientPhone || recipientEmail || (lead && [lead.phone, lead.email, lead.alt_phone1, lead.alt_email1].some(Boolean));
      if (!hasAddress) throw badRequest('Either recipientEmail or recipientPhone is required (or a leadId whose lead has a phone or email)', 'VALIDATION_ERROR', { field: 'recipientPhone' });
      const needs = messageType === 'sms' ? 'phone' : messageType === 'email' ? 'email' : null;
      if (needs === 'phone' && !recipientPhone && !(lead && (lead.phone || lead.alt_phone1))) throw badRequest('An sms message needs a phone number: give recipientPhone or a lead with a phone', 'VALIDATION_ERROR', { field: 'recipientPhone' });
      if (needs === 'email' && !recipientEmail && !(lead && (lead.email || lead.alt_email1))) throw badRequest('An email message needs an email address: give recipientEmail or a lead with an email', 'VALIDATION_ERROR', { field: 'recipientEmail' });

      const { at, reason } = nextEligibleInstant(now, timing);
      const settings: Record<string, unknown> = {};
      if (timing.timezone) settings.timezone = timing.timezone;
      if (timing.sendWindowStart) settings.sendWindowStart = timing.sendWindowStart;
      if (timing.sendWindowEnd) settings.sendWindowEnd = timing.sendWindowEnd;
      if (timing.allowedDaysOfWeek) settings.allowedDaysOfWeek = timing.allowedDaysOfWeek;
      // With leadId and an explicit recipient, the recipient is the destination and the lead only links.
      // Which addresses the engine tries: with leadId alone, the lead's own in channel order; with
      // leadId and a recipient, only the recipient (the lead just links); with a recipient alone,
      // the recipient first, then the other addresses of the lead it resolved to.
      settings.addressing = body.leadId ? (recipientPhone || recipientEmail ? 'recipient' : 'lead') : 'recipient_then_lead';
      if (body.attachmentNames) settings.attachmentNames = body.attachmentNames;
      const status = reason === 'scheduled_for_later' ? 'scheduled' : 'queued';
      const row: MessageRow = {
        id: newId(now), workspace_id: ws, direction: 'outbound', lead_id: lead?.id ?? null, campaign_id: null, step_index: null,
        batch_id: body.batchId ?? null, message_type: messageType, body: text, subject: body.subject ?? null,
        attachment_urls: JSON.stringify(attachments), status, requested_line_id: body.fromLineId ?? null, line_id: null,
        from_line_phone: line?.phone ?? null, from_line_email: line?.email ?? null,
        recipient_phone: recipientPhone ?? (body.leadId && (recipientEmail || !lead) ? null : lead?.phone ?? null),
        recipient_email: recipientEmail ?? (body.leadId && (recipientPhone || !lead) ? null : lead?.email ?? null),
        recipient_name: body.recipientName ?? (lead ? [lead.first_name, lead.last_name].filter(Boolean).join(' ') || null : null),
        recipient_address: null, scheduled_at: scheduledAt, settings: JSON.stringify(settings), hold_reason: reason, eligible_at: at,
        next_attempt_at: at, claimed_by: null, attempt_count: 0, send_started_at: null, sent_at: null, delivered_at: null, read_at: null,
        finished_at: null, external_message_id: null, error_message: null, checked_addresses: null,
        send_fallback_sms_on_failed: body.sendFallbackSmsOnFailed ? 1 : 0, fallback_channel: body.fallbackChannel ?? null, fallback_of: null,
        correlation_id: body.correlationId ?? req.id, created_by: req.auth.apiKeyId, created_at: now, updated_at: now,
      };
      if (!row.subject && messageType === 'email') {
        const w = await trx.selectFrom('workspaces').select('name').where('id', '=', ws).executeTakeFirstOrThrow();
        row.subject = w.name;
      }
      await trx.insertInto('messages').values(row).execute();
      await recordHistory(trx, row, status, now, reason ? `held: ${reason} until ${new Date(at).toISOString()}` : null);
      const view = messageView(row);
      const response = {
        success: true,
        status,
        leadId: lead?.id ?? null,
        ghlContactId: lead?.ghl_contact_id ?? null,
        ghlLocationId: lead?.ghl_location_id ?? null,
        hsPortalId: lead?.hs_portal_id ?? null,
        hsContactId: lead?.hs_contact_id ?? null,
        duplicateOnly: duplicate,
        existingLeadIds: duplicate && lead ? [lead.id] : [],
        leadIds: lead ? [lead.id] : [],
        ...(duplicate ? { duplicateMessage: 'Lead was duplicate; message sent using existing lead.' } : {}),
        message: view,
      };
      const code = duplicate ? 200 : 201;
      if (idemKey) {
        // A concurrent request with the same key loses on the primary key and rolls back.
        await trx
          .deleteFrom('idempotency_keys')
          .where('workspace_id', '=', ws)
          .where('key', '=', idemKey)
          .where('created_at', '<=', now - IDEMPOTENCY_TTL_MS)
          .execute();
        await trx.insertInto('idempotency_keys').values({ workspace_id: ws, key: idemKey, response_status: code, response_body: JSON.stringify(response), created_at: now }).execute();
      }
      return { code, response };
    }).catch(async (err) => {
      if (idemKey && /unique|duplicate key|PRIMARY KEY/i.test(String(err?.message))) {
        const prior = await db.selectFrom('idempotency_keys').selectAll().where('workspace_id', '=', ws).where('key', '=', idemKey).executeTakeFirst();
        if (prior) return { code: prior.response_status, response: JSON.parse(prior.response_body) };
      }
      throw err;
    });
    deps.wakeEngine?.();
    reply.code(result.code);
    return result.response;
  });

  app.get(
    '/messages',
    {
      schema: {
        tags: ['messages'],
        querystring: Obj({
          status: Type.Optional(Type.String({ maxLength: 200 })),
          campaignId: Type.Optional(Id),
          leadId: Type.Optional(Id),
          lineId: Type.Optional(Id),
          batchId: Type.Optional(Type.String({ maxLength: 200 })),
          messageType: Type.Optional(Type.Union(CHANNELS.map((c) => Type.Literal(c)))),
          direction: Type.Optional(Type.Union([Type.Literal('outbound'), Type.Literal('inbound')])),
          from: Type.Optional(Type.String({ maxLength: 40 })),
          to: Type.Optional(Type.String({ maxLength: 40 })),
          cursor: Type.Optional(Id),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
        }),
      },
    },
    async (req) => {
      const q = req.query as Record<string, any>;
      if (q.status) {
        for (const s of String(q.status).split(',')) {
          if (!(MESSAGE_STATUSES as readonly string[]).includes(s)) throw badRequest(`status "${s}" is not one of ${MESSAGE_STATUSES.join(', ')}`, 'VALIDATION_ERROR', { field: 'status' });
        }
      }
      const time = (name: 'from' | 'to') => {
        if (!q[name]) return undefined;
        const t = Date.parse(q[name]);
        if (Number.isNaN(t)) throw badRequest(`${name} "${q[name]}" is not an ISO-8601 date-time`, 'VALIDATION_ERROR', { field: name });
        return t;
      };
      const { rows, nextCursor } = await listMessages(db, req.auth.workspaceId, { ...q, from: time('from'), to: time('to'), limit: q.limit } as any);
      return { messages: rows.map(messageView), nextCursor };
    },
  );

  app.get('/messages/:id', { schema: { tags: ['messages'], params: IdParams } }, async (req) => {
    const m = await getMessage(db, req.auth.workspaceId, (req.params as { id: string }).id);
    if (!m) throw notFound('Message');
    return { message: { ...messageView(m), history: await messageHistory(db, m.id) } };
  });

  app.get('/leads/:id/timeline', { schema: { tags: ['leads'], params: IdParams } }, async (req) => {
    const ws = req.auth.workspaceId;
    const lead = await getLead(db, ws, (req.params as { id: string }).id);
    if (!lead) throw notFound('Lead');
    const messages = await db.selectFrom('messages').selectAll().where('workspace_id', '=', ws).where('lead_id', '=', lead.id).orderBy('created_at').orderBy('id').limit(1000).execute();
    const ids = messages.map((m) => m.id);
    const history = ids.length ? await db.selectFrom('message_events').selectAll().where('message_id', 'in', ids).orderBy('at').orderBy('id').execute() : [];
    const deliveries = ids.length
      ? await db
          .selectFrom('webhook_deliveries')
          .innerJoin('outbox_events', 'outbox_events.id', 'webhook_deliveries.event_id')
          .innerJoin('webhook_endpoints', 'webhook_endpoints.id', 'webhook_deliveries.endpoint_id')
          .select([
            'outbox_events.message_id', 'webhook_deliveries.id', 'webhook_deliveries.endpoint_id', 'webhook_endpoints.url', 'webhook_deliveries.event',
            'webhook_deliveries.status', 'webhook_deliveries.attempt_count', 'webhook_deliveries.last_status_code', 'webhook_deliveries.last_error',
            'webhook_deliveries.delivered_at', 'webhook_deliveries.created_at',
          ])
          .where('outbox_events.message_id', 'in', ids)
          .orderBy('webhook_deliveries.created_at')
          .execute()
      : [];
    return {
      lead: leadView(lead),
      messages: messages.map((m) => ({
        ...messageView(m),
        history: history.filter((h) => h.message_id === m.id).map((h) => ({ status: h.status, at: iso(h.at), note: h.note })),
        webhookDeliveries: deliveries
          .filter((d) => d.message_id === m.id)
          .map((d) => ({
            deliveryId: d.id, webhookId: d.endpoint_id, url: d.url, event: d.event, status: d.status, attempts: d.attempt_count,
            lastStatusCode: d.last_status_code, lastError: d.last_error, deliveredAt: iso(d.delivered_at), createdAt: iso(d.created_at),
          })),
      })),
    };
  });

  app.post('/messages/:id/cancel', { schema: { tags: ['messages'], params: IdParams } }, async (req) => {
    const ws = req.auth.workspaceId;
    const id = (req.params as { id: string }).id;
    const now = deps.clock.now();
    return db.transaction().execute(async (trx) => {
      const m = await getMessage(trx, ws, id);
      if (!m) throw notFound('Message');
      if (FINAL_STATUSES.has(m.status)) throw conflict(`The message is already ${m.status}; only waiting messages can be cancelled`, 'NOT_CANCELLABLE');
      if (m.status === 'sending') throw conflict('The message is being handed to the provider right now and can no longer be cancelled', 'NOT_CANCELLABLE');
      const r = await trx
        .updateTable('messages')
        .set({ status: 'cancelled', hold_reason: null, next_attempt_at: null, claimed_by: null, finished_at: now, updated_at: now })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'scheduled', 'pending'])
        .returningAll()
        .executeTakeFirst();
      if (!r) throw conflict('The message moved on while cancelling; read it again', 'NOT_CANCELLABLE');
      await recordHistory(trx, r, 'cancelled', now, 'cancelled through the API');
      return { message: { ...messageView(r), history: await messageHistory(trx, id) } };
    });
  });

  app.post(
    '/simulator/inbound',
    { schema: { tags: ['simulator'], body: Obj({ lineId: Id, from: Type.String({ minLength: 1, maxLength: 320 }), text: Type.String({ minLength: 1, maxLength: 20_000 }) }) } },
    async (req, reply) => {
      const { lineId, from, text } = req.body as { lineId: string; from: string; text: string };
      const line = await getLine(db, req.auth.workspaceId, lineId);
      if (!line) throw new AppError(404, 'NOT_FOUND', `Line ${lineId} not found in this workspace`);
      if (line.provider !== 'simulator') throw badRequest(`Line ${lineId} uses provider ${line.provider}; inbound messages can be injected only on simulator lines`, 'NOT_SIMULATOR');
      if (!from.includes('@') && !normalizePhone(from)) throw badRequest(`from "${from}" is neither a phone number nor an email address`, 'VALIDATION_ERROR', { field: 'from' });
      const row = await db.transaction().execute((trx) => recordInbound(trx, { line, from, text, now: deps.clock.now() }));
      reply.code(201);
      return { message: messageView(row) };
    },
  );
};

