import type { Db } from './db.js';
import { newId } from '../domain/ids.js';

/** The first of these addresses found on the workspace's Do Not Contact list, if any. */
export async function findDnc(db: Db, workspaceId: string, addresses: string[]): Promise<string | null> {
  if (!addresses.length) return null;
  const row = await db.selectFrom('dnc').select('address').where('workspace_id', '=', workspaceId).where('address', 'in', addresses).executeTakeFirst();
  return row?.address ?? null;
}

export async function addDnc(db: Db, workspaceId: string, address: string, reason: string, now: number): Promise<void> {
  await db
    .insertInto('dnc')
    .values({ id: newId(now), workspace_id: workspaceId, address, reason, created_at: now })
    .onConflict((oc) => oc.columns(['workspace_id', 'address']).doNothing())
    .execute();
}

const OPT_OUT = new Set(['stop', 'unsubscribe', 'opt out', 'remove me', 'do not contact']);

/** A reply that is only an opt-out phrase (any case, surrounding punctuation ignored). */
export function isOptOut(text: string): boolean {
  return OPT_OUT.has(text.trim().toLowerCase().replace(/[.!\s]+$/g, '').replace(/^\s+/, '').replace(/\s+/g, ' '));
}
