import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../types.js';
import { Obj, IdParams } from '../schemas.js';
import { notFound, badRequest } from '../../domain/errors.js';
import { apiKeyView, generateApiKey, insertApiKey, listApiKeys } from '../../store/workspaces.js';

/** API keys of the caller's workspace; the plain key is shown once, at creation. */
export const apiKeyRoutes = (deps: AppDeps): FastifyPluginAsync => async (app) => {
  const { db } = deps.store;
  app.get('/api-keys', { schema: { tags: ['api-keys'] } }, async (req) => ({
    apiKeys: (await listApiKeys(db, req.auth.workspaceId)).map(apiKeyView),
  }));

  app.post('/api-keys', { schema: { tags: ['api-keys'], body: Obj({ name: Type.String({ minLength: 1, maxLength: 200 }) }) } }, async (req, reply) => {
    const plain = generateApiKey();
    const row = await insertApiKey(db, req.auth.workspaceId, (req.body as { name: string }).name, plain, deps.clock.now());
    reply.code(201);
    return { apiKey: apiKeyView(row), key: plain, warning: 'Store this key now: it is shown only once.' };
  });

  app.patch(
    '/api-keys/:id',
    { schema: { tags: ['api-keys'], params: IdParams, body: Obj({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), isActive: Type.Optional(Type.Boolean()) }) } },
    async (req) => {
      const { id } = req.params as { id: string };
      const body = req.body as { name?: string; isActive?: boolean };
      if (body.name === undefined && body.isActive === undefined) throw badRequest('Send "name" or "isActive" to change');
      if (body.isActive === false && id === req.auth.apiKeyId) {
        throw badRequest('This request is authenticated with the key you are disabling; use another key to disable it', 'KEY_IN_USE');
      }
      const set: Record<string, unknown> = {};
      if (body.name !== undefined) set.name = body.name;
      if (body.isActive !== undefined) set.revoked_at = body.isActive ? null : deps.clock.now();
      const r = await db.updateTable('api_keys').set(set).where('workspace_id', '=', req.auth.workspaceId).where('id', '=', id).executeTakeFirst();
      if (!Number(r.numUpdatedRows)) throw notFound('API key');
      const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return { apiKey: apiKeyView(row) };
    },
  );

  app.delete('/api-keys/:id', { schema: { tags: ['api-keys'], params: IdParams } }, async (req) => {
    const { id } = req.params as { id: string };
    if (id === req.auth.apiKeyId) {
      throw badRequest('This request is authenticated with the key you are deleting; use another key to delete it', 'KEY_IN_USE');
    }
    const r = await db.deleteFrom('api_keys').where('workspace_id', '=', req.auth.workspaceId).where('id', '=', id).executeTakeFirst();
    if (!Number(r.numDeletedRows)) throw notFound('API key');
    return { success: true };
  });
};
