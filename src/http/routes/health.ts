import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import type { AppDeps } from '../types.js';

/** Liveness and readiness, without authentication. */
export const healthRoutes = (deps: AppDeps): FastifyPluginAsync => async (app) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(deps.store.db);
      return { status: 'ready', store: deps.store.profile.backend };
    } catch (err) {
      reply.code(503);
      return { status: 'unavailable', store: deps.store.profile.backend, error: 'The database does not answer' };
    }
  });
};
