import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { sql } from 'kysely';
import type { AppDeps } from '../types.js';
import { Obj } from '../schemas.js';
import { badRequest } from '../../domain/errors.js';

const GROUPS = ['campaign', 'line', 'list', 'source', 'messageType', 'day'] as const;
type Group = (typeof GROUPS)[number];

/** Outcome counts for the runbook's "segment by source" checks: where failures and fallbacks concentrate. */
export const analyticsRoutes = (deps: AppDeps): FastifyPluginAsync => async (app) => {
  const { db } = deps.store;
  const Range = {
    from: Type.Optional(Type.String({ maxLength: 40 })),
    to: Type.Optional(Type.String({ maxLength: 40 })),
  };
  const range = (q: { from?: string; to?: string }) => {
    const parse = (k: 'from' | 'to') => {
      if (!q[k]) return undefined;
      const t = Date.parse(q[k]!);
      if (Number.isNaN(t)) throw badRequest(`${k} "${q[k]}" is not an ISO-8601 date-time`, 'VALIDATION_ERROR', { field: k });
      return t;
    };
    return { from: parse('from'), to: parse('to') };
  };

  app.get(
    '/analytics/outcomes',
    { schema: { tags: ['analytics'], querystring: Obj({ groupBy: Type.Union(GROUPS.map((g) => Type.Literal(g)), { default: 'day' }), ...Range }) } },
    async (req) => {
      const q = req.query as { groupBy: Group; from?: string; to?: string };
      const { from, to } = range(q);
      const key = {
        campaign: sql<string>`m.campaign_id`,
        line: sql<string>`m.line_id`,
        list: sql<string>`l.list_id`,
        source: sql<string>`l.source`,
        messageType: sql<string>`m.message_type`,
        // Epoch-ms integer division gives the UTC day on both stores.
        day: sql<string>`(m.created_at / 86400000)`,
      }[q.groupBy];
      let query = db
        .selectFrom('messages as m')
        .leftJoin('leads as l', 'l.id', 'm.lead_id')
        .select([key.as('k'), 'm.status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('m.workspace_id', '=', req.auth.workspaceId)
        .where('m.direction', '=', 'outbound');
      if (from !== undefined) query = query.where('m.created_at', '>=', from);
      if (to !== undefined) query = query.where('m.created_at', '<', to);
      const rows = await query.groupBy([key, 'm.status']).execute();
      const groups = new Map<string, { key: string | null; total: number; byStatus: Record<string, number> }>();
      for (const r of rows) {
        const k = r.k === null ? null : q.groupBy === 'day' ? new Date(Number(r.k) * 86_400_000).toISOString().slice(0, 10) : String(r.k);
        const g = groups.get(String(k)) ?? { key: k, total: 0, byStatus: {} };
        g.byStatus[r.status] = (g.byStatus[r.status] ?? 0) + Number(r.n);
        g.total += Number(r.n);
        groups.set(String(k), g);
      }
      const list = [...groups.values()].map((g) => ({
        ...g,
        failedRate: g.total ? (g.byStatus.failed ?? 0) / g.total : 0,
        fallbackRate: g.total ? (g.byStatus.fallback ?? 0) / g.total : 0,
      }));
      list.sort((a, b) => (q.groupBy === 'day' ? String(a.key).localeCompare(String(b.key)) : b.total - a.total));
      return { groupBy: q.groupBy, groups: list };
    },
  );

  app.get('/analytics/webhooks', { schema: { tags: ['analytics'], querystring: Obj({ ...Range }) } }, async (req) => {
    const ws = req.auth.workspaceId;
    const { from, to } = range(req.query as { from?: string; to?: string });
    const endpoints = await db.selectFrom('webhook_endpoints').selectAll().where('workspace_id', '=', ws).orderBy('created_at', 'desc').execute();
    let deliveries = db.selectFrom('webhook_deliveries').select(['endpoint_id', 'status', (eb) => eb.fn.countAll<number>().as('n')]).where('workspace_id', '=', ws);
    let attempts = db
      .selectFrom('webhook_attempts')
      .select([
        'endpoint_id',
        (eb) => eb.fn.countAll<number>().as('n'),
        (eb) => eb.fn.sum<number>(eb.case().when(eb.and([eb('status_code', '>=', 200), eb('status_code', '<', 300)])).then(1).else(0).end()).as('ok'),
        (eb) => eb.fn.avg<number>('latency_ms').as('avg_ms'),
        (eb) => eb.fn.max<number>('latency_ms').as('max_ms'),
      ])
      .where('workspace_id', '=', ws);
    if (from !== undefined) {
      deliveries = deliveries.where('created_at', '>=', from);
      attempts = attempts.where('started_at', '>=', from);
    }
    if (to !== undefined) {
      deliveries = deliveries.where('created_at', '<', to);
      attempts = attempts.where('started_at', '<', to);
    }
    const byStatus = await deliveries.groupBy(['endpoint_id', 'status']).execute();
    const tries = await attempts.groupBy('endpoint_id').execute();
    return {
      webhooks: endpoints.map((e) => {
        const a = tries.find((t) => t.endpoint_id === e.id);
        const counts = Object.fromEntries(byStatus.filter((d) => d.endpoint_id === e.id).map((d) => [d.status, Number(d.n)]));
        return {
          id: e.id,
          name: e.name,
          url: e.url,
          isActive: e.is_active === 1,
          disabledReason: e.disabled_reason,
          deliveries: { pending: counts.pending ?? 0, succeeded: counts.succeeded ?? 0, failed: counts.failed ?? 0 },
          attempts: Number(a?.n ?? 0),
          successRate: a && Number(a.n) ? Number(a.ok) / Number(a.n) : null,
          averageLatencyMs: a?.avg_ms === null || a?.avg_ms === undefined ? null : Math.round(Number(a.avg_ms)),
          maxLatencyMs: a?.max_ms === null || a?.max_ms === undefined ? null : Number(a.max_ms),
        };
      }),
    };
  });

  app.get('/analytics/failure-reasons', { schema: { tags: ['analytics'], querystring: Obj({ ...Range }) } }, async (req) => {
    const { from, to } = range(req.query as { from?: string; to?: string });
    let query = db
      .selectFrom('messages')
      .select(['status', 'error_message', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.max('id').as('example')])
      .where('workspace_id', '=', req.auth.workspaceId)
      .where('status', 'in', ['failed', 'fallback']);
    if (from !== undefined) query = query.where('created_at', '>=', from);
    if (to !== undefined) query = query.where('created_at', '<', to);
    const rows = await query.groupBy(['status', 'error_message']).execute();
    return {
      reasons: rows
        .map((r) => ({ status: r.status, reason: r.error_message, count: Number(r.n), exampleMessageId: r.example }))
        .sort((a, b) => b.count - a.count),
    };
  });
};
