import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db.js';
import type { ApiKeyRow, WorkspaceRow } from './schema.js';
import { newId } from '../domain/ids.js';

export const BILLING_STATUSES = ['active', 'past_due', 'canceled'] as const;
export type BillingStatus = (typeof BILLING_STATUSES)[number];

/** Creates a workspace together with its "Quick Sends" list. */
export async function createWorkspace(db: Db, name: string, now: number): Promise<WorkspaceRow> {
  const ws: WorkspaceRow = { id: newId(now), name, billing_status: 'active', created_at: now, updated_at: now };
  await db.insertInto('workspaces').values(ws).execute();
  await db
    .insertInto('lists')
    .values({
      id: newId(now),
      workspace_id: ws.id,
      name: 'Quick Sends',
      description: 'Quick send messages',
      is_quick_sends: 1,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return ws;
}

export async function getWorkspace(db: Db, id: string): Promise<WorkspaceRow | undefined> {
  return db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listWorkspaces(db: Db): Promise<WorkspaceRow[]> {
  return db.selectFrom('workspaces').selectAll().orderBy('created_at').orderBy('id').execute();
}

export async function setBillingStatus(db: Db, id: string, status: BillingStatus, now: number): Promise<boolean> {
  const r = await db
    .updateTable('workspaces')
    .set({ billing_status: status, updated_at: now })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The oldest workspace, created on first start. */
export async function defaultWorkspace(db: Db): Promise<WorkspaceRow | undefined> {
  return db.selectFrom('workspaces').selectAll().orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
}

/** Keys are high-entropy random strings, so one SHA-256 is enough to store them safely. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateApiKey(): string {
  return `tuco_sk_${randomBytes(24).toString('base64url')}`;
}

/** Stores a key (hashed) and returns its row; the plain key is never stored. */
export async function insertApiKey(db: Db, workspaceId: string, name: string, plainKey: string, now: number): Promise<ApiKeyRow> {
  const row: ApiKeyRow = {
    id: newId(now),
    workspace_id: workspaceId,
    name,
    prefix: plainKey.slice(0, 12),
    key_hash: hashApiKey(plainKey),
    created_at: now,
    last_used_at: null,
    revoked_at: null,
  };
  await db.insertInto('api_keys').values(row).execute();
  return row;
}

export async function findApiKey(db: Db, plainKey: string): Promise<(ApiKeyRow & { billing_status: string }) | undefined> {
  return db
    .selectFrom('api_keys')
    .innerJoin('workspaces', 'workspaces.id', 'api_keys.workspace_id')
    .selectAll('api_keys')
    .select('workspaces.billing_status')
    .where('api_keys.key_hash', '=', hashApiKey(plainKey))
    .executeTakeFirst();
}

export async function listApiKeys(db: Db, workspaceId: string): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').orderBy('id').execute();
}

export async function revokeApiKey(db: Db, workspaceId: string, id: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export function apiKeyView(k: ApiKeyRow) {
  return {
    _id: k.id,
    workspaceId: k.workspace_id,
    name: k.name,
    prefix: k.prefix,
    isActive: k.revoked_at === null,
    createdAt: new Date(k.created_at).toISOString(),
    lastUsedAt: k.last_used_at ? new Date(k.last_used_at).toISOString() : null,
    revokedAt: k.revoked_at ? new Date(k.revoked_at).toISOString() : null,
  };
}

export function workspaceView(w: WorkspaceRow) {
  return {
    _id: w.id,
    name: w.name,
    billingStatus: w.billing_status,
    createdAt: new Date(w.created_at).toISOString(),
    updatedAt: new Date(w.updated_at).toISOString(),
  };
}
