import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import type { AppDeps } from '../types.js';
import type { Metrics } from '../../metrics.js';

/** How long work may sit due before the component is reported degraded. */
const ENGINE_LAG_MS = 60_000;
const WEBHOOK_LAG_MS = 5 * 60_000;

/** Liveness, readiness, component status and metrics, without authentication. */
export const healthRoutes = (deps: AppDeps, metrics: Metrics): FastifyPluginAsync => async (app) => {
  const { db } = deps.store;
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(db);
      return { status: 'ready', store: deps.store.profile.backend };
    } catch {
      reply.code(503);
      return { status: 'unavailable', store: deps.store.profile.backend, error: 'The database does not answer' };
    }
  });

  /**
   * Component health read from the shared store, so it is true whichever process runs the engine:
   * work that has been due for long means the engine or the webhook worker is not keeping up.
   */
  app.get('/status', { schema: { tags: ['operations'] } }, async (_req, reply) => {
    const now = deps.clock.now();
    const started = performance.now();
    try {
      await sql`select 1`.execute(db);
    } catch {
      reply.code(503);
      return { status: 'down', checkedAt: new Date(now).toISOString(), components: { database: { status: 'down', detail: 'The database does not answer' } } };
    }
    const dbMs = Math.round(performance.now() - started);
    const oldestDue = await db.selectFrom('messages').select((eb) => eb.fn.min('next_attempt_at').as('at')).where('next_attempt_at', '<=', now).executeTakeFirst();
    const dueCount = await db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('next_attempt_at', '<=', now - ENGINE_LAG_MS).executeTakeFirst();
    const lagMs = oldestDue?.at ? now - Number(oldestDue.at) : 0;
    const webhookLate = await db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now - WEBHOOK_LAG_MS)
      .executeTakeFirst();
    const engine = lagMs > ENGINE_LAG_MS
      ? { status: 'degraded', detail: `${Number(dueCount?.n ?? 0)} message(s) have been due for over a minute; the oldest for ${Math.round(lagMs / 1000)} s. Is a worker running?`, lagMs }
      : { status: 'ok', lagMs };
    const late = Number(webhookLate?.n ?? 0);
    const webhooks = late > 0 ? { status: 'degraded', detail: `${late} webhook deliveries are over 5 minutes late`, lateDeliveries: late } : { status: 'ok', lateDeliveries: 0 };
    const overall = engine.status === 'ok' && webhooks.status === 'ok' ? 'ok' : 'degraded';
    return { status: overall, checkedAt: new Date(now).toISOString(), components: { database: { status: 'ok', latencyMs: dbMs, store: deps.store.profile.backend }, engine, webhooks } };
  });

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
