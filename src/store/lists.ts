import type { Db } from './db.js';
import type { ListRow } from './schema.js';
import { iso } from '../domain/time.js';

export async function quickSendsList(db: Db, workspaceId: string): Promise<ListRow> {
  return db
    .selectFrom('lists')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('is_quick_sends', '=', 1)
    .executeTakeFirstOrThrow();
}

export async function getList(db: Db, workspaceId: string, id: string): Promise<ListRow | undefined> {
  return db.selectFrom('lists').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
}

/** Lead counts per list of a workspace, counted now (never a stale counter). */
export async function leadCounts(db: Db, workspaceId: string, listIds?: string[]): Promise<Map<string, number>> {
  let q = db
    .selectFrom('leads')
    .select(['list_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', workspaceId)
    .groupBy('list_id');
  if (listIds) {
    if (!listIds.length) return new Map();
    q = q.where('list_id', 'in', listIds);
  }
  const rows = await q.execute();
  return new Map(rows.map((r) => [r.list_id, Number(r.n)]));
}

export async function listLists(db: Db, workspaceId: string): Promise<ListRow[]> {
  return db.selectFrom('lists').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').orderBy('id').execute();
}

export function listView(l: ListRow, leadCount: number) {
  return {
    _id: l.id,
    name: l.name,
    description: l.description,
    workspaceId: l.workspace_id,
    leadCount,
    isQuickSends: l.is_quick_sends === 1,
    createdAt: iso(l.created_at),
    updatedAt: iso(l.updated_at),
  };
}
