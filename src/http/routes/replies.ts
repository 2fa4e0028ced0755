import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { sql } from 'kysely';
import type { AppDeps } from '../types.js';
import { Obj, Nullable } from '../schemas.js';
import { AppError, badRequest, notFound } from '../../domain/errors.js';
import { isId, newId } from '../../domain/ids.js';
import { normalizeEmail, normalizePhone } from '../../domain/addresses.js';
import { iso } from '../../domain/time.js';
import { getLead } from '../../store/leads.js';
import { parentMessages, replyItem } from '../../engine/inbound.js';
import type { LeadRow } from '../../store/schema.js';

/** GET /api/replies (who replied, with context) and the Do Not Contact list. */
export const replyRoutes = (deps: AppDeps): FastifyPluginAsync => async (app) => {
  const { db } = deps.store;

  app.get(
    '/replies',
    {
      schema: {
        tags: ['replies'],
        querystring: Obj({
          leadId: Type.Optional(Type.String({ maxLength: 64 })),
          campaignId: Type.Optional(Type.String({ maxLength: 64 })),
          lineId: Type.Optional(Type.String({ maxLength: 64 })),
          recipientPhone: Type.Optional(Type.String({ maxLength: 40 })),
          recipientEmail: Type.Optional(Type.String({ maxLength: 320 })),
          dateFrom: Type.Optional(Type.String({ maxLength: 40 })),
          dateTo: Type.Optional(Type.String({ maxLength: 40 })),
          page: Type.Integer({ minimum: 1, default: 1 }),
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
        }),
      },
    },
    async (req) => {
      const q = req.query as Record<string, any>;
      const ws = req.auth.workspaceId;
      for (const k of ['leadId', 'campaignId', 'lineId']) if (q[k] !== undefined && !isId(q[k])) throw badRequest(`Invalid ${k}`, 'VALIDATION_ERROR', { field: k });
      const time = (k: 'dateFrom' | 'dateTo') => {
        if (q[k] === undefined) return undefined;
        const t = Date.parse(q[k]);
        if (Number.isNaN(t)) throw badRequest(`Invalid ${k}`, 'VALIDATION_ERROR', { field: k });
        return t;
      };
      const from = time('dateFrom');
      const to = time('dateTo');
      if (from !== undefined && to !== undefined && from > to) throw badRequest('dateFrom must be <= dateTo');
      if (q.leadId && !(await getLead(db, ws, q.leadId))) throw notFound('Lead');
      let base = db.selectFrom('messages').where('workspace_id', '=', ws).where('direction', '=', 'inbound');
      if (q.leadId) base = base.where('lead_id', '=', q.leadId);
      if (q.lineId) base = base.where('line_id', '=', q.lineId);
      if (q.campaignId) base = base.where('campaign_id', '=', q.campaignId);
      if (q.recipientPhone) base = base.where('recipient_phone', '=', normalizePhone(q.recipientPhone) ?? q.recipientPhone);
      if (q.recipientEmail) base = base.where('recipient_email', '=', normalizeEmail(q.recipientEmail) ?? q.recipientEmail);
      if (from !== undefined) base = base.where('created_at', '>=', from);
      if (to !== undefined) base = base.where('created_at', '<=', to);
      // One item per recipient: their latest reply.
      const groups = await base
        .select([sql<string>`max(id)`.as('last')])
        .groupBy(sql`coalesce(lead_id, recipient_address)`)
        .orderBy(sql`max(id)`, 'desc')
        .limit(q.limit)
        .offset((q.page - 1) * q.limit)
        .execute();
      const total = await db
        .selectFrom(base.select(sql`coalesce(lead_id, recipient_address)`.as('k')).groupBy(sql`coalesce(lead_id, recipient_address)`).as('g'))
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      const replies = [];
      for (const g of groups) {
        const last = await db.selectFrom('messages').selectAll().where('id', '=', g.last).executeTakeFirstOrThrow();
        const lead: LeadRow | undefined = last.lead_id ? await getLead(db, ws, last.lead_id) : undefined;
        let recentQ = db.selectFrom('messages').selectAll().where('workspace_id', '=', ws).where('direction', '=', 'inbound');
        recentQ = last.lead_id ? recentQ.where('lead_id', '=', last.lead_id) : recentQ.where('recipient_address', '=', last.recipient_address);
        const recent = await recentQ.orderBy('id', 'desc').limit(10).execute();
        const parents = last.lead_id ? await parentMessages(db, ws, last.lead_id, last.created_at) : [];
        replies.push(replyItem(last, lead, recent, parents));
      }
      const totalCount = Number(total?.n ?? 0);
      return { replies, pagination: { page: q.page, limit: q.limit, totalCount, totalPages: Math.ceil(totalCount / q.limit) } };
    },
  );

  const dncView = (r: { id: string; address: string; reason: string; created_at: number }) => ({
    _id: r.id,
    phone: r.address.includes('@') ? null : r.address,
    email: r.address.includes('@') ? r.address : null,
    reason: r.reason,
    createdAt: iso(r.created_at),
  });

  app.get(
    '/dnc',
    { schema: { tags: ['dnc'], querystring: Obj({ page: Type.Integer({ minimum: 1, default: 1 }), limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }), search: Type.Optional(Type.String({ maxLength: 200 })) }) } },
    async (req) => {
      const q = req.query as { page: number; limit: number; search?: string };
      let base = db.selectFrom('dnc').where('workspace_id', '=', req.auth.workspaceId);
      if (q.search?.trim()) base = base.where('address', 'like', `%${q.search.trim().toLowerCase().replace(/[\\%_]/g, '')}%`);
      const total = Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())?.n ?? 0);
      const rows = await base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).offset((q.page - 1) * q.limit).execute();
      return { entries: rows.map(dncView), pagination: { page: q.page, limit: q.limit, totalCount: total, totalPages: Math.ceil(total / q.limit) } };
    },
  );

  app.post(
    '/dnc',
    { schema: { tags: ['dnc'], body: Obj({ phone: Type.Optional(Nullable(Type.String({ maxLength: 40 }))), email: Type.Optional(Nullable(Type.String({ maxLength: 320 }))), reason: Type.Optional(Type.String({ maxLength: 200 })) }) } },
    async (req, reply) => {
      const body = req.body as { phone?: string | null; email?: string | null; reason?: string };
      if (!body.phone && !body.email) throw badRequest('Give "phone" or "email" to add to Do Not Contact', 'VALIDATION_ERROR', { field: 'phone' });
      const address = body.phone ? normalizePhone(body.phone) : normalizeEmail(body.email!);
      if (!address) throw badRequest(body.phone ? `phone "${body.phone}" is not a phone number` : `email "${body.email}" is not a valid email address`, 'VALIDATION_ERROR', { field: body.phone ? 'phone' : 'email' });
      const now = deps.clock.now();
      await db
        .insertInto('dnc')
        .values({ id: newId(now), workspace_id: req.auth.workspaceId, address, reason: body.reason ?? 'manual', created_at: now })
        .onConflict((oc) => oc.columns(['workspace_id', 'address']).doNothing())
        .execute();
      const row = await db.selectFrom('dnc').selectAll().where('workspace_id', '=', req.auth.workspaceId).where('address', '=', address).executeTakeFirstOrThrow();
      reply.code(201);
      return { entry: dncView(row) };
    },
  );

  app.delete('/dnc', { schema: { tags: ['dnc'], querystring: Obj({ id: Type.String({ maxLength: 64 }) }) } }, async (req) => {
    const { id } = req.query as { id: string };
    if (!isId(id)) throw new AppError(400, 'VALIDATION_ERROR', 'Invalid id', { field: 'id' });
    const r = await db.deleteFrom('dnc').where('workspace_id', '=', req.auth.workspaceId).where('id', '=', id).executeTakeFirst();
    if (!Number(r.numDeletedRows)) throw notFound('DNC entry');
    return { success: true };
  });
};
