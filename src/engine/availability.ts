import type { Kysely } from 'kysely';
import type { Database, LineRow } from '../store/schema.js';
import type { Channels } from '../channels/types.js';
import { dayBucket, nextUtcMidnight } from '../domain/time.js';

/** How long an answer is trusted: people rarely turn iMessage off, more often on. */
export const CAPABLE_TTL_MS = 7 * 86_400_000;
export const NOT_CAPABLE_TTL_MS = 86_400_000;

/** The quota bucket of a line's availability checks on a UTC day ('a:YYYY-MM-DD' in line_usage). */
const quotaBucket = (now: number) => `a:${dayBucket(now)}`;

export type AvailabilityAnswer =
  | { ok: true; capable: boolean; cached: boolean }
  | { ok: false; reason: 'quota'; retryAt: number }
  | { ok: false; reason: 'error'; error: string };

export interface AvailabilityDeps {
  db: Kysely<Database>;
  channels: Channels;
  quota: number;
}

/**
 * Whether `address` can receive iMessage, asked through `line`: from the workspace's cache when
 * fresh, else by the line's provider at the cost of one check of the line's daily quota. An answer
 * is cached; an error is not.
 */
export async function checkAddress(deps: AvailabilityDeps, line: LineRow, address: string, now: number): Promise<AvailabilityAnswer> {
  const { db } = deps;
  const cached = await db
    .selectFrom('availability_cache')
    .select(['capable', 'expires_at'])
    .where('workspace_id', '=', line.workspace_id)
    .where('address', '=', address)
    .executeTakeFirst();
  if (cached && cached.expires_at > now) return { ok: true, capable: cached.capable === 1, cached: true };
  const adapter = deps.channels[line.provider as keyof Channels];
  if (!adapter?.checkAvailability) return { ok: false, reason: 'error', error: `Provider ${line.provider} cannot check iMessage availability` };
  // Take one check from today's quota, atomically: the row is created or bumped only while under it.
  const bucket = quotaBucket(now);
  const taken = await db
    .insertInto('line_usage')
    .values({ line_id: line.id, bucket, new_count: 0, total_count: 1 })
    .onConflict((oc) =>
      oc
        .columns(['line_id', 'bucket'])
        .doUpdateSet((eb) => ({ total_count: eb('line_usage.total_count', '+', 1) }))
        .where('line_usage.total_count', '<', deps.quota),
    )
    .executeTakeFirst();
  if (deps.quota === 0 || !Number(taken.numInsertedOrUpdatedRows ?? 0)) return { ok: false, reason: 'quota', retryAt: nextUtcMidnight(now) };
  const answer = await adapter.checkAvailability(line, JSON.parse(line.provider_settings), address);
  if (!answer.ok) return { ok: false, reason: 'error', error: answer.error };
  await db
    .insertInto('availability_cache')
    .values({ workspace_id: line.workspace_id, address, capable: answer.capable ? 1 : 0, checked_at: now, expires_at: now + (answer.capable ? CAPABLE_TTL_MS : NOT_CAPABLE_TTL_MS) })
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'address']).doUpdateSet({ capable: answer.capable ? 1 : 0, checked_at: now, expires_at: now + (answer.capable ? CAPABLE_TTL_MS : NOT_CAPABLE_TTL_MS) }),
    )
    .execute();
  return { ok: true, capable: answer.capable, cached: false };
}

/** Checks used today per line (UTC), for the lines listing. */
export async function checksUsed(db: Kysely<Database>, lineIds: string[], now: number): Promise<Map<string, number>> {
  if (!lineIds.length) return new Map();
  const rows = await db.selectFrom('line_usage').select(['line_id', 'total_count']).where('line_id', 'in', lineIds).where('bucket', '=', quotaBucket(now)).execute();
  return new Map(rows.map((r) => [r.line_id, r.total_count]));
}

/** Active lines of a workspace that can check availability, the one with most checks left first. */
export async function checkingLines(deps: AvailabilityDeps, workspaceId: string, now: number): Promise<LineRow[]> {
  const lines = (await deps.db.selectFrom('lines').selectAll().where('workspace_id', '=', workspaceId).where('deleted_at', 'is', null).where('is_active', '=', 1).execute()).filter(
    (l) => (JSON.parse(l.channels) as string[]).includes('imessage') && deps.channels[l.provider as keyof Channels]?.checkAvailability,
  );
  const used = await checksUsed(deps.db, lines.map((l) => l.id), now);
  return lines.sort((a, b) => (used.get(a.id) ?? 0) - (used.get(b.id) ?? 0) || a.id.localeCompare(b.id));
}
