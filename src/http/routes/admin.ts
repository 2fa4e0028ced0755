import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../types.js';
import { Obj, IdParams } from '../schemas.js';
import { badRequest, notFound } from '../../domain/errors.js';
import { releaseHolds } from '../../store/messages.js';
import {
  BILLING_STATUSES, createWorkspace, generateApiKey, insertApiKey, listWorkspaces, setBillingStatus, workspaceView, getWorkspace,
} from '../../store/workspaces.js';

/** Operator endpoints behind TUCO_ADMIN_TOKEN: workspaces and their billing state. */
export const adminRoutes = (deps: AppDeps): FastifyPluginAsync => async (app) => {
  const { db } = deps.store;
  app.get('/workspaces', { schema: { tags: ['admin'] } }, async () => ({
    workspaces: (await listWorkspaces(db)).map(workspaceView),
  }));

  app.post('/workspaces', { schema: { tags: ['admin'], body: Obj({ name: Type.String({ minLength: 1, maxLength: 200 }) }) } }, async (req, reply) => {
    const { name } = req.body as { name: string };
    if (!name.trim()) throw badRequest('"name" cannot be blank', 'VALIDATION_ERROR', { field: 'name' });
    const now = deps.clock.now();
    const apiKey = generateApiKey();
    const ws = await db.transaction().execute(async (trx) => {
      const w = await createWorkspace(trx, name.trim(), now);
      await insertApiKey(trx, w.id, 'Default key', apiKey, now);
      return w;
    });
    reply.code(201);
    return { workspace: workspaceView(ws), apiKey };
  });

  app.put(
    '/workspaces/:id/billing',
    { schema: { tags: ['admin'], params: IdParams, body: Obj({ status: Type.Union(BILLING_STATUSES.map((s) => Type.Literal(s))) }) } },
    async (req) => {
      const { id } = req.params as { id: string };
      const { status } = req.body as { status: (typeof BILLING_STATUSES)[number] };
      if (!(await setBillingStatus(db, id, status, deps.clock.now()))) throw notFound('Workspace');
      // Messages held while read-only go out as soon as billing is active again.
      if (status === 'active') await releaseHolds(db, id, ['workspace_read_only'], deps.clock.now());
      deps.wakeEngine?.();
      return { workspace: workspaceView((await getWorkspace(db, id))!) };
    },
  );
};
