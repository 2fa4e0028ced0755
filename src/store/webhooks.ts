import { sql } from 'kysely';
import { chunk, cursorPage, type Db, type Store } from './db.js';
import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow } from './webhookSchema.js';
import type { OutboxEventRow } from './schema.js';
import { newId } from '../domain/ids.js';
import { iso } from '../domain/time.js';

/** An endpoint whose every attempt failed for this long is disabled and flagged. */
export const DISABLE_AFTER_FAILING_MS = 3 * 86_400_000;
/** How long the secret before a rotation keeps signing (and verifying) deliveries. */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;
/** Stored answer bytes per attempt. */
export const RESPONSE_SNIPPET_BYTES = 1024;

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

// ---------------------------------------------------------------------------------------------
// Endpoints

export async function getEndpoint(db: Db, workspaceId: string, id: string): Promise<WebhookEndpointRow | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
}

/** A workspace's endpoints, newest first. */
export async function listEndpoints(db: Db, workspaceId: string): Promise<WebhookEndpointRow[]> {
  return db.selectFrom('webhook_endpoints').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
}

export async function insertEndpoint(
  db: Db,
  e: { workspaceId: string; url: string; name: string; description: string | null; events: string[]; secret: string; now: number },
): Promise<WebhookEndpointRow> {
  const row: WebhookEndpointRow = {
    id: newId(e.now),
    workspace_id: e.workspaceId,
    url: e.url,
    name: e.name,
    description: e.description,
    events: JSON.stringify(e.events),
    is_active: 1,
    secret: e.secret,
    previous_secret: null,
    previous_secret_expires_at: null,
    last_sequence: 0,
    last_triggered_at: null,
    last_success_at: null,
    last_failure_at: null,
    failure_count: 0,
    failing_since: null,
    disabled_reason: null,
    disabled_at: null,
    created_at: e.now,
    updated_at: e.now,
  };
  await db.insertInto('webhook_endpoints').values(row).execute();
  return row;
}

/** The webhook object of the API; secrets never leave through it. */
export function endpointView(e: WebhookEndpointRow) {
  return {
    id: e.id,
    url: e.url,
    events: JSON.parse(e.events) as string[],
    name: e.name,
    description: e.description,
    isActive: e.is_active === 1,
    lastTriggeredAt: iso(e.last_triggered_at),
    lastSuccessAt: iso(e.last_success_at),
    lastFailureAt: iso(e.last_failure_at),
    failureCount: e.failure_count,
    createdAt: iso(e.created_at),
    updatedAt: iso(e.updated_at),
    ...(e.disabled_reason ? { disabledReason: e.disabled_reason, disabledAt: iso(e.disabled_at) } : {}),
  };
}

/** Stops sending an endpoint's waiting deliveries; they stay pending and resume on re-enable. */
export async function holdDeliveries(db: Db, endpointId: string, now: number): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ next_attempt_at: null, updated_at: now })
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .where('claimed_at', 'is', null)
    .execute();
}

/** Makes every waiting delivery of a re-enabled endpoint due now, each with a fresh retry ladder. */
export async function resumeDeliveries(db: Db, endpointId: string, now: number): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ next_attempt_at: now, ladder_failures: 0, updated_at: now })
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .where('claimed_at', 'is', null)
    .execute();
}

/** Pauses an endpoint (the user's choice): no new deliveries, waiting ones held. */
export async function pauseEndpoint(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable('webhook_endpoints').set({ is_active: 0, updated_at: now }).where('id', '=', id).execute();
  await holdDeliveries(db, id, now);
}

/** Re-enables an endpoint: clears Tuco's disabled flag and the failure run, and resumes waiting deliveries. */
export async function enableEndpoint(db: Db, id: string, now: number): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({ is_active: 1, disabled_reason: null, disabled_at: null, failure_count: 0, failing_since: null, updated_at: now })
    .where('id', '=', id)
    .execute();
  await resumeDeliveries(db, id, now);
}

/** Disables an endpoint on Tuco's side with a reason shown to the user; true if it was active. */
export async function disableEndpoint(db: Db, id: string, reason: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('webhook_endpoints')
    .set({ is_active: 0, disabled_reason: reason, disabled_at: now, updated_at: now })
    .where('id', '=', id)
    .where('is_active', '=', 1)
    .executeTakeFirst();
  if (!Number(r.numUpdatedRows)) return false;
  await holdDeliveries(db, id, now);
  return true;
}

/** The secrets that sign at `now`: the current one, then the previous one inside its overlap. */
export function signingSecrets(e: Pick<WebhookEndpointRow, 'secret' | 'previous_secret' | 'previous_secret_expires_at'>, now: number): string[] {
  return e.previous_secret && (e.previous_secret_expires_at ?? 0) > now ? [e.secret, e.previous_secret] : [e.secret];
}

// ---------------------------------------------------------------------------------------------
// Fan-out: outbox events → one delivery per subscribed active endpoint

const DELIVERY_COLUMNS = 19;

/**
 * Turns up to `batch` undispatched outbox events into deliveries, in one transaction, and marks
 * them dispatched. On PostgreSQL the events are claimed with SKIP LOCKED so several workers share
 * the work, and the endpoint rows are locked (in id order, so two workers cannot deadlock) while
 * their `sequence` counter advances.
 */
export async function fanOutEvents(store: Store, now: number, batch: number): Promise<{ events: number; deliveries: number }> {
  const { profile } = store;
  return store.db.transaction().execute(async (trx) => {
    let eq = trx
      .selectFrom('outbox_events')
      .select(['id', 'workspace_id', 'event', 'created_at'])
      .where('dispatched_at', 'is', null)
      .orderBy('id')
      .limit(batch);
    if (profile.claimLock) eq = eq.forUpdate().skipLocked();
    const events = await eq.execute();
    if (!events.length) return { events: 0, deliveries: 0 };

    const workspaceIds = [...new Set(events.map((e) => e.workspace_id))];
    let pq = trx
      .selectFrom('webhook_endpoints')
      .select(['id', 'workspace_id', 'events', 'last_sequence'])
      .where('workspace_id', 'in', workspaceIds)
      .where('is_active', '=', 1)
      .orderBy('id');
    if (profile.claimLock) pq = pq.forUpdate();
    const endpoints = (await pq.execute()).map((e) => ({ ...e, subscribed: new Set(JSON.parse(e.events) as string[]), sequence: Number(e.last_sequence) }));

    const byWorkspace = new Map<string, typeof endpoints>();
    for (const e of endpoints) byWorkspace.set(e.workspace_id, [...(byWorkspace.get(e.workspace_id) ?? []), e]);
    const rows: WebhookDeliveryRow[] = [];
    for (const ev of events) {
      for (const ep of byWorkspace.get(ev.workspace_id) ?? []) {
        if (!ep.subscribed.has(ev.event)) continue;
        ep.sequence += 1;
        rows.push(newDelivery({ workspaceId: ev.workspace_id, endpointId: ep.id, eventId: ev.id, event: ev.event, sequence: ep.sequence, eventCreatedAt: Number(ev.created_at), now }));
      }
    }
    for (const part of chunk(rows, Math.floor(profile.maxParams / DELIVERY_COLUMNS))) {
      await trx.insertInto('webhook_deliveries').values(part).onConflict((oc) => oc.columns(['endpoint_id', 'event_id']).doNothing()).execute();
    }
    for (const ep of endpoints) {
      if (ep.sequence !== Number(ep.last_sequence)) {
        await trx.updateTable('webhook_endpoints').set({ last_sequence: ep.sequence }).where('id', '=', ep.id).execute();
      }
    }
    for (const ids of chunk(events.map((e) => e.id), profile.maxParams - 1)) {
      await trx.updateTable('outbox_events').set({ dispatched_at: now }).where('id', 'in', ids).execute();
    }
    return { events: events.length, deliveries: rows.length };
  });
}

function newDelivery(d: { workspaceId: string; endpointId: string; eventId: string; event: string; sequence: number; eventCreatedAt: number; now: number }): WebhookDeliveryRow {
  return {
    id: newId(d.now),
    workspace_id: d.workspaceId,
    endpoint_id: d.endpointId,
    event_id: d.eventId,
    event: d.event,
    sequence: d.sequence,
    status: 'pending',
    attempt_count: 0,
    ladder_failures: 0,
    next_attempt_at: d.now,
    claimed_at: null,
    last_attempt_at: null,
    last_status_code: null,
    last_error: null,
    delivered_at: null,
    event_created_at: d.eventCreatedAt,
    created_at: d.now,
    updated_at: d.now,
  };
}

// ---------------------------------------------------------------------------------------------
// Claiming and recording attempts

/** Active endpoints that have at least one delivery due at `now`. */
export async function endpointsWithDueDeliveries(db: Db, now: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .select('d.endpoint_id')
    .where('d.next_attempt_at', '<=', now)
    .where('e.is_active', '=', 1)
    .groupBy('d.endpoint_id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.endpoint_id);
}

/**
 * Leases up to `limit` due deliveries of one endpoint until `leaseUntil`, oldest due first. A
 * worker that dies mid-request leaves the lease to run out; the delivery is then due again.
 */
export async function claimDueDeliveries(store: Store, endpointId: string, now: number, limit: number, leaseUntil: number): Promise<WebhookDeliveryRow[]> {
  const rows = await store.db
    .updateTable('webhook_deliveries')
    .set({ claimed_at: now, next_attempt_at: leaseUntil })
    .where('id', 'in', (eb) => {
      let q = eb
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('endpoint_id', '=', endpointId)
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .orderBy('sequence')
        .limit(limit);
      if (store.profile.claimLock) q = q.forUpdate().skipLocked();
      return q;
    })
    .returningAll()
    .execute();
  return rows.sort((a, b) => Number(a.sequence) - Number(b.sequence));
}

/** Hands claimed deliveries back (due now) if the claim is still the one this worker made. */
export async function releaseClaims(store: Store, claims: { id: string; claimedAt: number }[], now: number): Promise<void> {
  const byClaim = new Map<number, string[]>();
  for (const c of claims) byClaim.set(c.claimedAt, [...(byClaim.get(c.claimedAt) ?? []), c.id]);
  for (const [claimedAt, ids] of byClaim) {
    for (const part of chunk(ids, store.profile.maxParams - 2)) {
      await store.db
        .updateTable('webhook_deliveries')
        .set({ claimed_at: null, next_attempt_at: now })
        .where('id', 'in', part)
        .where('claimed_at', '=', claimedAt)
        .where('status', '=', 'pending')
        .execute();
    }
  }
}

export async function outboxEventsByIds(db: Db, ids: string[]): Promise<Map<string, OutboxEventRow>> {
  if (!ids.length) return new Map();
  const rows = await db.selectFrom('outbox_events').selectAll().where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

export async function getEndpointById(db: Db, id: string): Promise<WebhookEndpointRow | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface AttemptOutcome {
  startedAt: number;
  finishedAt: number;
  latencyMs: number;
  statusCode: number | null;
  responseBody: string | null;
  error: string | null;
  ok: boolean;
}

/**
 * What happens to a delivery after a failed attempt, decided by the worker from the retry ladder:
 * try again at an instant, hold (the endpoint answered 410 and is being disabled), or give up.
 */
export type AfterFailure = { kind: 'retry'; at: number } | { kind: 'hold'; disableReason: string } | { kind: 'dead' };

export interface AttemptRecord {
  delivery: Pick<WebhookDeliveryRow, 'id' | 'endpoint_id' | 'workspace_id'>;
  outcome: AttemptOutcome;
  after: AfterFailure | null;
}

const ATTEMPT_COLUMNS = 10;

/**
 * Logs finished attempts and moves each delivery and its endpoint's health fields on, in one
 * short transaction for the whole batch (the HTTP requests are already over). Several workers
 * record at once on PostgreSQL, so locks are always taken endpoint row first, then its
 * deliveries, in endpoint id order (as fan-out, pause and re-enable do), which rules out deadlocks.
 * For each record: `recorded` is false when the delivery no longer exists (its endpoint was
 * deleted meanwhile); `disabled` is true when this attempt disabled the endpoint.
 */
export async function recordAttempts(store: Store, records: AttemptRecord[]): Promise<{ recorded: boolean; disabled: boolean }[]> {
  const results = records.map(() => ({ recorded: false, disabled: false }));
  const byEndpoint = new Map<string, { r: AttemptRecord; i: number }[]>();
  records.forEach((r, i) => byEndpoint.set(r.delivery.endpoint_id, [...(byEndpoint.get(r.delivery.endpoint_id) ?? []), { r, i }]));
  await store.db.transaction().execute(async (trx) => {
    const attempts: WebhookAttemptRow[] = [];
    for (const endpointId of [...byEndpoint.keys()].sort()) {
      const group = byEndpoint.get(endpointId)!;
      const outcomes = group.map((g) => g.r.outcome);
      // One update of the health fields per endpoint and batch, as if the attempts had been applied one by one.
      const lastOk = outcomes.map((o) => o.ok).lastIndexOf(true);
      const trailingFailures = outcomes.slice(lastOk + 1);
      const failures = outcomes.filter((o) => !o.ok);
      const set: Record<string, unknown> = { last_triggered_at: Math.max(...outcomes.map((o) => o.startedAt)) };
      if (lastOk >= 0) {
        Object.assign(set, {
          last_success_at: Math.max(...outcomes.filter((o) => o.ok).map((o) => o.finishedAt)),
          failure_count: trailingFailures.length,
          failing_since: trailingFailures.length ? trailingFailures[0].startedAt : null,
        });
      } else {
        Object.assign(set, { failure_count: sql`failure_count + ${failures.length}`, failing_since: sql`coalesce(failing_since, ${failures[0].startedAt})` });
      }
      if (failures.length) set.last_failure_at = Math.max(...failures.map((o) => o.finishedAt));
      const ep = await trx.updateTable('webhook_endpoints').set(set).where('id', '=', endpointId).returning(['failing_since', 'is_active']).executeTakeFirst();
      if (!ep) continue; // deleted meanwhile, with its deliveries

      for (const { r, i } of group) {
        const { delivery: d, outcome, after } = r;
        const upd: Record<string, unknown> = {
          attempt_count: sql`attempt_count + 1`,
          claimed_at: null,
          last_attempt_at: outcome.startedAt,
          last_status_code: outcome.statusCode,
          last_error: outcome.error,
          updated_at: outcome.finishedAt,
        };
        if (outcome.ok) Object.assign(upd, { status: 'succeeded', next_attempt_at: null, delivered_at: outcome.finishedAt });
        else {
          upd.ladder_failures = sql`ladder_failures + 1`;
          if (after?.kind === 'retry') Object.assign(upd, { status: 'pending', next_attempt_at: after.at });
          else if (after?.kind === 'hold') Object.assign(upd, { status: 'pending', next_attempt_at: null });
          else Object.assign(upd, { status: 'failed', next_attempt_at: null });
        }
        const updated = await trx.updateTable('webhook_deliveries').set(upd).where('id', '=', d.id).returning('attempt_count').executeTakeFirst();
        if (!updated) continue;
        results[i].recorded = true;
        attempts.push({
          id: newId(outcome.startedAt),
          delivery_id: d.id,
          endpoint_id: d.endpoint_id,
          workspace_id: d.workspace_id,
          attempt: Number(updated.attempt_count),
          started_at: outcome.startedAt,
          latency_ms: Math.round(outcome.latencyMs),
          status_code: outcome.statusCode,
          response_body: outcome.responseBody,
          error: outcome.error,
        });
      }

      const now = Math.max(...outcomes.map((o) => o.finishedAt));
      const gone = group.find((g) => g.r.after?.kind === 'hold');
      if (gone && gone.r.after?.kind === 'hold') {
        results[gone.i].disabled = await disableEndpoint(trx, endpointId, gone.r.after.disableReason, now);
      } else if (trailingFailures.length && ep.is_active === 1 && ep.failing_since !== null && Number(ep.failing_since) <= now - DISABLE_AFTER_FAILING_MS) {
        const reason = `Every delivery failed for 3 days (since ${iso(Number(ep.failing_since))}); fix the endpoint, then re-enable it and replay`;
        results[group[group.length - 1].i].disabled = await disableEndpoint(trx, endpointId, reason, now);
      }
    }
    for (const part of chunk(attempts, Math.floor(store.profile.maxParams / ATTEMPT_COLUMNS))) {
      await trx.insertInto('webhook_attempts').values(part).execute();
    }
  });
  return results;
}

// ---------------------------------------------------------------------------------------------
// The delivery log, retry and replay

export interface DeliveryFilter {
  status?: DeliveryStatus;
  event?: string;
  from?: number;
  to?: number;
  cursor?: string;
  limit: number;
}

/** An endpoint's deliveries, newest first, with every attempt. */
export async function listDeliveries(db: Db, endpointId: string, f: DeliveryFilter): Promise<{ rows: WebhookDeliveryRow[]; attempts: Map<string, WebhookAttemptRow[]>; nextCursor: string | null }> {
  let q = db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpointId);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.event) q = q.where('event', '=', f.event);
  if (f.from !== undefined) q = q.where('event_created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('event_created_at', '<', f.to);
  if (f.cursor) q = q.where('id', '<', f.cursor);
  const { rows, nextCursor } = cursorPage(await q.orderBy('id', 'desc').limit(f.limit + 1).execute(), f.limit);
  return { rows, attempts: await attemptsOf(db, rows.map((r) => r.id)), nextCursor };
}

export async function attemptsOf(db: Db, deliveryIds: string[]): Promise<Map<string, WebhookAttemptRow[]>> {
  const out = new Map<string, WebhookAttemptRow[]>();
  if (!deliveryIds.length) return out;
  const rows = await db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', deliveryIds).orderBy('delivery_id').orderBy('attempt').execute();
  for (const r of rows) out.set(r.delivery_id, [...(out.get(r.delivery_id) ?? []), r]);
  return out;
}

export async function getDelivery(db: Db, endpointId: string, id: string): Promise<WebhookDeliveryRow | undefined> {
  return db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpointId).where('id', '=', id).executeTakeFirst();
}

export function deliveryView(d: WebhookDeliveryRow, attempts: WebhookAttemptRow[] = []) {
  return {
    id: d.id,
    webhookId: d.endpoint_id,
    eventId: d.event_id,
    event: d.event,
    sequence: Number(d.sequence),
    status: d.status,
    attemptCount: d.attempt_count,
    nextAttemptAt: iso(d.next_attempt_at),
    lastAttemptAt: iso(d.last_attempt_at),
    lastStatusCode: d.last_status_code,
    lastError: d.last_error,
    deliveredAt: iso(d.delivered_at),
    eventCreatedAt: iso(d.event_created_at),
    createdAt: iso(d.created_at),
    updatedAt: iso(d.updated_at),
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      at: iso(a.started_at),
      statusCode: a.status_code,
      latencyMs: a.latency_ms,
      response: a.response_body,
      error: a.error,
    })),
  };
}

/**
 * Queues one delivery again now, with a fresh retry ladder. A delivery already in flight is left
 * alone (its attempt is under way). Returns false when it was in flight.
 */
export async function retryDelivery(db: Db, endpointId: string, id: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: now, ladder_failures: 0, claimed_at: null, updated_at: now })
    .where('endpoint_id', '=', endpointId)
    .where('id', '=', id)
    .where((eb) => eb.or([eb('claimed_at', 'is', null), eb('next_attempt_at', '<=', now), eb('next_attempt_at', 'is', null)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

const REPLAY_PAGE = 500;

/**
 * Sends again every event the endpoint subscribes to that happened in [since, until]: deliveries
 * already made are queued again with the same `eventId` and `sequence`; events that never reached
 * this endpoint (it was paused, disabled or not yet created) get new deliveries with new sequence
 * numbers. One short transaction per page of events.
 */
export async function replayEvents(store: Store, endpointId: string, since: number, until: number, now: number): Promise<number> {
  let queued = 0;
  let after: { created_at: number; id: string } | null = null;
  for (;;) {
    const page = await store.db.transaction().execute(async (trx) => {
      let lock = trx.selectFrom('webhook_endpoints').selectAll().where('id', '=', endpointId);
      if (store.profile.claimLock) lock = lock.forUpdate();
      const ep = await lock.executeTakeFirst();
      if (!ep) return [];
      const subscribed = JSON.parse(ep.events) as string[];
      let q = trx
        .selectFrom('outbox_events')
        .select(['id', 'event', 'created_at', 'workspace_id'])
        .where('workspace_id', '=', ep.workspace_id)
        .where('event', 'in', subscribed)
        .where('dispatched_at', 'is not', null)
        .where('created_at', '>=', since)
        .where('created_at', '<=', until);
      if (after) {
        const a = after;
        q = q.where((eb) => eb.or([eb('created_at', '>', a.created_at), eb.and([eb('created_at', '=', a.created_at), eb('id', '>', a.id)])]));
      }
      const events = await q.orderBy('created_at').orderBy('id').limit(REPLAY_PAGE).execute();
      if (!events.length) return [];
      const ids = events.map((e) => e.id);
      const existing = new Set(
        (await trx.selectFrom('webhook_deliveries').select('event_id').where('endpoint_id', '=', endpointId).where('event_id', 'in', ids).execute()).map((r) => r.event_id),
      );
      const r = await trx
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', next_attempt_at: now, ladder_failures: 0, claimed_at: null, updated_at: now })
        .where('endpoint_id', '=', endpointId)
        .where('event_id', 'in', ids)
        .where((eb) => eb.or([eb('claimed_at', 'is', null), eb('next_attempt_at', '<=', now), eb('next_attempt_at', 'is', null)]))
        .executeTakeFirst();
      queued += Number(r.numUpdatedRows);
      let sequence = Number(ep.last_sequence);
      const fresh = events
        .filter((e) => !existing.has(e.id))
        .map((e) => newDelivery({ workspaceId: e.workspace_id, endpointId, eventId: e.id, event: e.event, sequence: ++sequence, eventCreatedAt: Number(e.created_at), now }));
      for (const part of chunk(fresh, Math.floor(store.profile.maxParams / DELIVERY_COLUMNS))) {
        await trx.insertInto('webhook_deliveries').values(part).onConflict((oc) => oc.columns(['endpoint_id', 'event_id']).doNothing()).execute();
      }
      if (fresh.length) await trx.updateTable('webhook_endpoints').set({ last_sequence: sequence }).where('id', '=', endpointId).execute();
      queued += fresh.length;
      return events;
    });
    if (page.length < REPLAY_PAGE) return queued;
    const last = page[page.length - 1];
    after = { created_at: Number(last.created_at), id: last.id };
  }
}
