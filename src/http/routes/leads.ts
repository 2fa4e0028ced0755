import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../types.js';
import { Obj, Nullable, Id, IdParams } from '../schemas.js';
import { AppError, badRequest, conflict, notFound } from '../../domain/errors.js';
import { parseDefaultCountry } from '../../domain/addresses.js';
import { TEXT_FIELDS, leadAddresses, normalizeLeadAddresses, type LeadInput } from '../../domain/leads.js';
import { deleteLeads, findLeadsByAddress, getLead, importLeads, leadView, lockWorkspaceLeads, searchLeads } from '../../store/leads.js';
import { getList, leadCounts, listLists, listView, quickSendsList } from '../../store/lists.js';

const Str = Nullable(Type.String({ maxLength: 2000 }));
const leadFields = {
  firstName: Type.Optional(Str),
  lastName: Type.Optional(Str),
  email: Type.Optional(Str),
  phone: Type.Optional(Str),
  altPhone1: Type.Optional(Str),
  altPhone2: Type.Optional(Str),
  altPhone3: Type.Optional(Str),
  altEmail1: Type.Optional(Str),
  altEmail2: Type.Optional(Str),
  altEmail3: Type.Optional(Str),
  companyName: Type.Optional(Str),
  jobTitle: Type.Optional(Str),
  linkedinUrl: Type.Optional(Str),
  notes: Type.Optional(Nullable(Type.String({ maxLength: 20000 }))),
  customFields: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
  tags: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 }))),
  source: Type.Optional(Str),
  ghlContactId: Type.Optional(Str),
  ghlLocationId: Type.Optional(Str),
  hsPortalId: Type.Optional(Str),
  hsContactId: Type.Optional(Str),
};
/** One lead as POST /api/leads and POST /api/messages accept it. */
export const LeadInputSchema = Obj(leadFields);
const MAX_BATCH = 10_000;

const ImportBody = Obj({
  leads: Type.Optional(Type.Array(LeadInputSchema, { maxItems: MAX_BATCH })),
  body: Type.Optional(Type.Array(LeadInputSchema, { maxItems: MAX_BATCH })),
  listId: Type.Optional(Id),
  source: Type.Optional(Type.String({ maxLength: 100 })),
  defaultCountryCode: Type.Optional(Type.String({ maxLength: 8 })),
  ghlLocationId: Type.Optional(Type.String({ maxLength: 200 })),
});

const extIds = (l?: { ghl_contact_id: string | null; ghl_location_id: string | null; hs_portal_id: string | null; hs_contact_id: string | null }) => ({
  ghlContactId: l?.ghl_contact_id ?? null,
  ghlLocationId: l?.ghl_location_id ?? null,
  hsPortalId: l?.hs_portal_id ?? null,
  hsContactId: l?.hs_contact_id ?? null,
});

export function countryOrThrow(code: string | undefined) {
  const country = parseDefaultCountry(code);
  if (!country) throw badRequest(`defaultCountryCode "${code}" is not a calling code like "+1" or a region like "GB"`, 'VALIDATION_ERROR', { field: 'defaultCountryCode' });
  return country;
}

/** Leads: import (one or many), search, read, update, delete. */
export const leadRoutes = (deps: AppDeps): FastifyPluginAsync => async (app) => {
  const { db } = deps.store;

  app.post('/leads', { bodyLimit: 10 * 1024 * 1024, config: { nulPerRow: true }, schema: { tags: ['leads'], body: ImportBody } }, async (req, reply) => {
    const body = req.body as { leads?: LeadInput[]; body?: LeadInput[]; listId?: string; source?: string; defaultCountryCode?: string; ghlLocationId?: string };
    const inputs = body.leads ?? body.body;
    if (!inputs || inputs.length === 0) {
      throw badRequest('Send at least one lead in "leads" (an array; one lead is a one-element array)', 'VALIDATION_ERROR', { field: 'leads' });
    }
    const country = countryOrThrow(body.defaultCountryCode);
    const ws = req.auth.workspaceId;
    const list = body.listId ? await getList(db, ws, body.listId) : await quickSendsList(db, ws);
    if (!list) throw new AppError(404, 'NOT_FOUND', `List ${body.listId} not found in this workspace`);
    if (body.ghlLocationId) for (const l of inputs) l.ghlLocationId ??= body.ghlLocationId;
    const now = deps.clock.now();
    const result = await db.transaction().execute(async (trx) => {
      await lockWorkspaceLeads(trx, ws, deps.store.profile);
      return importLeads(trx, inputs, { workspaceId: ws, listId: list.id, source: body.source ?? 'csv', country, now });
    });
    const existingLeadIds = [...new Set(result.duplicates.map((d) => d.existingLead.id))];
    const duplicates = result.duplicates.map((d) => ({ index: d.index, input: d.input, existingLead: leadView(d.existingLead) }));
    const common = {
      duplicateCount: result.duplicates.length,
      totalProcessed: inputs.length,
      listId: list.id,
      existingLeadIds,
      duplicates,
    };
    if (result.saved.length === 0 && result.errors.length === 0) {
      const first = result.duplicates[0].existingLead;
      reply.code(200);
      return {
        message: result.duplicates.length === 1 ? 'Lead was a duplicate; existing lead ID returned.' : 'All leads were duplicates; existing lead IDs returned.',
        duplicateOnly: true,
        savedCount: 0,
        leadId: first.id,
        leadIds: existingLeadIds,
        ...common,
        ...extIds(first),
      };
    }
    if (result.saved.length === 0 && result.duplicates.length === 0) {
      throw new AppError(400, 'INVALID_LEADS', `No lead was saved: ${result.errors.length === 1 ? 'the lead has a problem' : 'every lead has a problem'}; see "errors" for what to fix in each`, {
        errors: result.errors,
        totalProcessed: inputs.length,
      });
    }
    reply.code(result.saved.length ? 201 : 200);
    return {
      message: result.saved.length === 0
        ? 'No new lead saved: every row was a duplicate or had a problem; see "duplicates" and "errors"'
        : result.errors.length ? 'Leads saved; some rows were skipped, see "errors"' : 'Leads saved successfully',
      duplicateOnly: false,
      savedCount: result.saved.length,
      errorCount: result.errors.length,
      leadId: result.saved[0]?.id ?? existingLeadIds[0],
      leadIds: result.saved.map((l) => l.id),
      errors: result.errors,
      ...common,
      ...extIds(result.saved[0]),
    };
  });

  app.get(
    '/leads',
    {
      schema: {
        tags: ['leads'],
        querystring: Obj({
          id: Type.Optional(Id),
          search: Type.Optional(Type.String({ maxLength: 200 })),
          listId: Type.Optional(Id),
          page: Type.Integer({ minimum: 1, default: 1 }),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
        }),
      },
    },
    async (req) => {
      const q = req.query as { id?: string; search?: string; listId?: string; page: number; limit: number };
      const ws = req.auth.workspaceId;
      if (q.id) {
        const lead = await getLead(db, ws, q.id);
        if (!lead) throw notFound('Lead');
        return { lead: leadView(lead) };
      }
      const { rows, total } = await searchLeads(db, ws, q);
      const lists = await listLists(db, ws);
      const counts = await leadCounts(db, ws);
      return {
        leads: rows.map(leadView),
        lists: lists.map((l) => listView(l, counts.get(l.id) ?? 0)),
        pagination: { page: q.page, limit: q.limit, totalCount: total, totalPages: Math.ceil(total / q.limit) },
      };
    },
  );

  app.get('/leads/:id', { schema: { tags: ['leads'], params: IdParams } }, async (req) => {
    const lead = await getLead(db, req.auth.workspaceId, (req.params as { id: string }).id);
    if (!lead) throw notFound('Lead');
    return { lead: leadView(lead) };
  });

  app.delete(
    '/leads',
    { schema: { tags: ['leads'], body: Obj({ ids: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10_000 }) }) } },
    async (req) => {
      const { ids } = req.body as { ids: string[] };
      if (!ids.length) throw badRequest('"ids" is empty: list the ids of the leads to delete', 'VALIDATION_ERROR', { field: 'ids' });
      const valid = ids.filter((id) => /^[0-9a-f]{24}$/.test(id));
      const deletedCount = await db.transaction().execute((trx) => deleteLeads(trx, req.auth.workspaceId, valid));
      return { deletedCount };
    },
  );

  app.patch(
    '/leads/:id',
    { schema: { tags: ['leads'], params: IdParams, body: Obj({ ...leadFields, listId: Type.Optional(Id), defaultCountryCode: Type.Optional(Type.String({ maxLength: 8 })) }) } },
    async (req) => {
      const ws = req.auth.workspaceId;
      const { id } = req.params as { id: string };
      const body = req.body as LeadInput & { listId?: string; defaultCountryCode?: string };
      const country = countryOrThrow(body.defaultCountryCode);
      return db.transaction().execute(async (trx) => {
        await lockWorkspaceLeads(trx, ws, deps.store.profile);
        const lead = await getLead(trx, ws, id);
        if (!lead) throw notFound('Lead');
        const { values, problems } = normalizeLeadAddresses(body, country);
        if (problems.length) throw badRequest(`${problems[0].field}: ${problems[0].error}`, 'VALIDATION_ERROR', { field: problems[0].field });
        const set: Record<string, unknown> = { ...values, updated_at: deps.clock.now() };
        if ('email' in values) set.email_lower = values.email;
        for (const [field, col] of Object.entries(TEXT_FIELDS)) {
          const v = body[field as keyof LeadInput];
          if (v !== undefined) set[col] = typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
        }
        if (body.customFields !== undefined) set.custom_fields = JSON.stringify(body.customFields ?? {});
        if (body.tags !== undefined) set.tags = JSON.stringify(body.tags ?? []);
        if (body.source !== undefined) set.source = body.source ?? 'csv';
        if (body.listId !== undefined) {
          if (!(await getList(trx, ws, body.listId))) throw new AppError(404, 'NOT_FOUND', `List ${body.listId} not found in this workspace`);
          set.list_id = body.listId;
        }
        const clash = await findLeadsByAddress(trx, ws, values.phone ? [values.phone] : [], values.email ? [values.email] : []);
        const other = [...clash.values()].find((l) => l.id !== id);
        if (other) throw conflict(`Another lead (${other.id}) already has this ${other.phone === values.phone ? 'phone' : 'email'}`, 'DUPLICATE_LEAD');
        await trx.updateTable('leads').set(set).where('id', '=', id).where('workspace_id', '=', ws).execute();
        const updated = (await getLead(trx, ws, id))!;
        // Any of the eight addresses keeps the lead reachable; throwing here rolls the update back.
        if (leadAddresses(updated, 'imessage').length === 0) {
          throw badRequest('A lead needs at least one phone number or email address', 'VALIDATION_ERROR', { field: 'phone' });
        }
        return { lead: leadView(updated) };
      });
    },
  );
};
