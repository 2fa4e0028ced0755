import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../types.js';
import { Obj, Id } from '../schemas.js';
import { AppError, badRequest, notFound } from '../../domain/errors.js';
import { isId } from '../../domain/ids.js';
import { normalizeEmail, normalizePhone } from '../../domain/addresses.js';
import { leadAddresses } from '../../domain/leads.js';
import { getLead } from '../../store/leads.js';
import type { LeadRow } from '../../store/schema.js';
import { checkAddress, checkingLines, type AvailabilityAnswer } from '../../engine/availability.js';
import type { Channels } from '../../channels/types.js';

const QUOTA_TEXT = 'Daily availability check quota exhausted';
const MAX_BULK = 1000;

/**
 * iMessage availability: per lead, per address, in bulk, and round-robin, through the workspace's
 * lines. Answers come from the per-workspace cache when fresh; each real check costs one of the
 * line's daily checks (TUCO_AVAILABILITY_DAILY_QUOTA, 70 by default).
 */
export const availabilityRoutes = (deps: AppDeps & { channels: Channels }): FastifyPluginAsync => async (app) => {
  const { db } = deps.store;
  const avail = { db, channels: deps.channels, quota: deps.config.availabilityDailyQuota };

  /** Checks one address on the first line that still has checks today. */
  async function check(workspaceId: string, address: string): Promise<AvailabilityAnswer> {
    const now = deps.clock.now();
    const lines = await checkingLines(avail, workspaceId, now);
    if (!lines.length) throw new AppError(400, 'NO_ACTIVE_LINES', 'No active line can check iMessage availability: add a line that sends iMessage (e.g. a simulator or BlueBubbles line)');
    let last: AvailabilityAnswer = { ok: false, reason: 'quota', retryAt: now + 3_600_000 };
    for (const line of lines) {
      last = await checkAddress(avail, line, address, now);
      if (last.ok || last.reason !== 'quota') return last;
    }
    return last;
  }

  /** Every address of a lead in order until one has iMessage; writes the lead's availabilityStatus. */
  async function checkLead(lead: LeadRow): Promise<{ available: boolean; status: 'available' | 'unavailable' | 'error' } | 'quota'> {
    let status: 'available' | 'unavailable' | 'error' = 'unavailable';
    for (const address of leadAddresses(lead, 'imessage')) {
      const r = await check(lead.workspace_id, address);
      if (!r.ok && r.reason === 'quota') return 'quota';
      if (!r.ok) {
        status = 'error';
        break;
      }
      if (r.capable) {
        status = 'available';
        break;
      }
    }
    await db.updateTable('leads').set({ availability_status: status, updated_at: deps.clock.now() }).where('id', '=', lead.id).execute();
    return { available: status === 'available', status };
  }

  const quotaReply = (reply: FastifyReply) => {
    reply.code(429).header('Retry-After', '3600');
    return { error: QUOTA_TEXT, code: 'AVAILABILITY_QUOTA' };
  };
  const normalize = (raw: string) => (raw.includes('@') ? normalizeEmail(raw) : normalizePhone(raw));
  const ext = (l: LeadRow) => ({ ghlContactId: l.ghl_contact_id, ghlLocationId: l.ghl_location_id, hsPortalId: l.hs_portal_id, hsContactId: l.hs_contact_id });

  app.get('/leads/check-availability', { schema: { tags: ['availability'], querystring: Obj({ id: Type.Optional(Type.String({ maxLength: 64 })) }) } }, async (req, reply) => {
    const { id } = req.query as { id?: string };
    if (!id) throw badRequest('Lead ID is required', 'VALIDATION_ERROR', { field: 'id' });
    const lead = isId(id) ? await getLead(db, req.auth.workspaceId, id) : undefined;
    if (!lead) throw new AppError(404, 'NOT_FOUND', 'Lead not found');
    const r = await checkLead(lead);
    if (r === 'quota') return quotaReply(reply);
    return { success: true, leadId: lead.id, available: r.available, status: r.status, ...ext(lead) };
  });

  app.post(
    '/leads/check-availability',
    {
      schema: {
        tags: ['availability'],
        body: Obj({ address: Type.Optional(Type.String({ maxLength: 320 })), leadIds: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: MAX_BULK })), listId: Type.Optional(Id) }),
      },
    },
    async (req, reply) => {
      const body = req.body as { address?: string; leadIds?: string[]; listId?: string };
      const ws = req.auth.workspaceId;
      if (body.address) {
        const address = normalize(body.address);
        if (!address) throw badRequest(`address "${body.address}" is neither a phone number nor an email address`, 'VALIDATION_ERROR', { field: 'address' });
        const r = await check(ws, address);
        if (!r.ok && r.reason === 'quota') return quotaReply(reply);
        if (!r.ok) throw new AppError(502, 'AVAILABILITY_ERROR', `The availability check failed: ${r.error}`);
        return { success: true, available: r.capable, address };
      }
      let leads: LeadRow[] = [];
      if (body.leadIds?.length) {
        leads = await db.selectFrom('leads').selectAll().where('workspace_id', '=', ws).where('id', 'in', body.leadIds.filter(isId)).execute();
      } else if (body.listId) {
        leads = await db.selectFrom('leads').selectAll().where('workspace_id', '=', ws).where('list_id', '=', body.listId).limit(MAX_BULK + 1).execute();
        if (leads.length > MAX_BULK) throw badRequest(`The list has more than ${MAX_BULK} leads; check them by leadIds in batches of ${MAX_BULK}`, 'TOO_MANY_LEADS');
      }
      if (!leads.length) throw notFound('Leads');
      const results = [];
      let quotaHit = false;
      for (const lead of leads) {
        const r = quotaHit ? 'quota' : await checkLead(lead);
        if (r === 'quota') {
          quotaHit = true;
          results.push({ leadId: lead.id, available: false, status: 'error', error: QUOTA_TEXT });
        } else results.push({ leadId: lead.id, available: r.available, status: r.status });
      }
      const errors = results.filter((r) => r.status === 'error').length;
      return { success: true, checked: results.length, successful: results.length - errors, errors, results, processingMode: 'synchronous' };
    },
  );

  app.get('/check-availability', { schema: { tags: ['availability'], querystring: Obj({ address: Type.String({ minLength: 1, maxLength: 320 }) }) } }, async (req, reply) => {
    const raw = (req.query as { address: string }).address;
    const address = normalize(raw);
    if (!address) throw badRequest(`address "${raw}" is neither a phone number nor an email address`, 'VALIDATION_ERROR', { field: 'address' });
    const r = await check(req.auth.workspaceId, address);
    if (!r.ok && r.reason === 'quota') return quotaReply(reply);
    if (!r.ok) throw new AppError(502, 'AVAILABILITY_ERROR', `The availability check failed: ${r.error}`);
    return { success: true, available: r.capable, address, cached: r.cached };
  });

  app.post(
    '/check-availability-rr',
    {
      schema: {
        tags: ['availability'],
        body: Obj({ phones: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { maxItems: 20 })), emails: Type.Optional(Type.Array(Type.String({ maxLength: 320 }), { maxItems: 20 })) }),
      },
    },
    async (req, reply) => {
      const body = req.body as { phones?: string[]; emails?: string[] };
      // Phones first, in order, then emails; addresses that do not parse are skipped.
      const addresses = [...(body.phones ?? []).map((p) => normalizePhone(p)), ...(body.emails ?? []).map((e) => normalizeEmail(e))].filter((a): a is string => !!a);
      if (!addresses.length) {
        reply.code(400);
        return { available: false, reason: 'No phone or email addresses provided' };
      }
      for (const address of addresses) {
        const r = await check(req.auth.workspaceId, address);
        if (!r.ok && r.reason === 'quota') {
          reply.code(429).header('Retry-After', '3600');
          return { available: false, reason: QUOTA_TEXT };
        }
        if (r.ok && r.capable) return { available: true };
      }
      return { available: false, reason: 'Contact not available on iMessage' };
    },
  );
};
