import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../types.js';
import { Obj, Nullable, IdParams } from '../schemas.js';
import { badRequest, conflict, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { getList, leadCounts, listLists, listView } from '../../store/lists.js';

/** Lists CRUD; the "Quick Sends" list always exists and cannot be removed. */
export const listRoutes = (deps: AppDeps): FastifyPluginAsync => async (app) => {
  const { db } = deps.store;
  const view = async (ws: string, id: string) => {
    const l = await getList(db, ws, id);
    if (!l) throw notFound('List');
    return listView(l, (await leadCounts(db, ws, [id])).get(id) ?? 0);
  };

  app.get('/lists', { schema: { tags: ['lists'] } }, async (req) => {
    const ws = req.auth.workspaceId;
    const counts = await leadCounts(db, ws);
    return { lists: (await listLists(db, ws)).map((l) => listView(l, counts.get(l.id) ?? 0)) };
  });

  app.post(
    '/lists',
    { schema: { tags: ['lists'], body: Obj({ name: Type.String({ minLength: 1, maxLength: 200 }), description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))) }) } },
    async (req, reply) => {
      const { name, description } = req.body as { name: string; description?: string | null };
      if (!name.trim()) throw badRequest('"name" cannot be blank', 'VALIDATION_ERROR', { field: 'name' });
      const now = deps.clock.now();
      const id = newId(now);
      await db
        .insertInto('lists')
        .values({ id, workspace_id: req.auth.workspaceId, name: name.trim(), description: description ?? null, is_quick_sends: 0, created_at: now, updated_at: now })
        .execute();
      reply.code(201);
      return { list: await view(req.auth.workspaceId, id) };
    },
  );

  app.get('/lists/:id', { schema: { tags: ['lists'], params: IdParams } }, async (req) => ({
    list: await view(req.auth.workspaceId, (req.params as { id: string }).id),
  }));

  app.patch(
    '/lists/:id',
    {
      schema: {
        tags: ['lists'],
        params: IdParams,
        body: Obj({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))) }),
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const body = req.body as { name?: string; description?: string | null };
      const list = await getList(db, req.auth.workspaceId, id);
      if (!list) throw notFound('List');
      const set: Record<string, unknown> = { updated_at: deps.clock.now() };
      if (body.name !== undefined) {
        if (!body.name.trim()) throw badRequest('"name" cannot be blank', 'VALIDATION_ERROR', { field: 'name' });
        // Integrations find the list by its documented name; only its description may change.
        if (list.is_quick_sends && body.name.trim() !== list.name) {
          throw conflict('The "Quick Sends" list cannot be renamed: messages to new recipients create their leads there', 'LIST_PROTECTED');
        }
        set.name = body.name.trim();
      }
      if (body.description !== undefined) set.description = body.description;
      await db.updateTable('lists').set(set).where('workspace_id', '=', req.auth.workspaceId).where('id', '=', id).execute();
      return { list: await view(req.auth.workspaceId, id) };
    },
  );

  app.delete(
    '/lists/:id',
    { schema: { tags: ['lists'], params: IdParams, querystring: Obj({ deleteLeads: Type.Boolean({ default: false }) }) } },
    async (req) => {
      const ws = req.auth.workspaceId;
      const { id } = req.params as { id: string };
      const { deleteLeads } = req.query as { deleteLeads: boolean };
      return db.transaction().execute(async (trx) => {
        const list = await getList(trx, ws, id);
        if (!list) throw notFound('List');
        if (list.is_quick_sends) throw conflict('The "Quick Sends" list cannot be deleted: messages to new recipients create their leads there', 'LIST_PROTECTED');
        const count = (await leadCounts(trx, ws, [id])).get(id) ?? 0;
        if (count > 0 && !deleteLeads) {
          throw conflict(`The list still has ${count} lead(s); move them first, or call again with ?deleteLeads=true to delete them too`, 'LIST_NOT_EMPTY');
        }
        const r = await trx.deleteFrom('leads').where('workspace_id', '=', ws).where('list_id', '=', id).executeTakeFirst();
        await trx.deleteFrom('lists').where('id', '=', id).execute();
        return { success: true, deletedLeadCount: Number(r.numDeletedRows) };
      });
    },
  );
};
