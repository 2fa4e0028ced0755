import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshStore } from './helpers.js';
import { fireEvents } from './webhookHelpers.js';
import { createWorkspace } from '../src/store/workspaces.js';
import { claimDueDeliveries, fanOutEvents, insertEndpoint, recordAttempts, releaseClaims, type AttemptOutcome } from '../src/store/webhooks.js';
import type { Store } from '../src/store/db.js';

let fresh: Awaited<ReturnType<typeof freshStore>>;
let store: Store;
const T0 = Date.parse('2026-03-02T15:00:00.000Z');
beforeAll(async () => {
  fresh = await freshStore();
  store = fresh.store;
});
afterAll(async () => {
  await store?.close();
  await fresh?.drop();
});

async function endpointWithEvents(n: number) {
  const ws = await store.db.transaction().execute((trx) => createWorkspace(trx, 'Store test', T0));
  const ep = await insertEndpoint(store.db, { workspaceId: ws.id, url: 'https://hooks.example.com/x', name: 'x', description: null, events: ['message.sent'], secret: 'whsec_AAAA', now: T0 });
  const events = await fireEvents(store, ws.id, n, T0);
  return { ws, ep, events };
}

const outcome = (ok: boolean, startedAt: number): AttemptOutcome => ({
  ok,
  startedAt,
  finishedAt: startedAt + 100,
  latencyMs: 100,
  statusCode: ok ? 200 : 500,
  responseBody: ok ? 'ok' : 'boom',
  error: ok ? null : 'The endpoint answered HTTP 500',
});

describe('webhook store', () => {
  it('fans each outbox event out once per endpoint, however often fan-out runs', async () => {
    const { ep, events } = await endpointWithEvents(3);
    await fanOutEvents(store, T0, 500);
    await fanOutEvents(store, T0, 500);
    const rows = await store.db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', ep.id).orderBy('sequence').execute();
    expect(rows.map((r) => [r.event_id, Number(r.sequence)])).toEqual(events.map((id, i) => [id, i + 1]));
    const undispatched = await store.db.selectFrom('outbox_events').select('id').where('id', 'in', events).where('dispatched_at', 'is', null).execute();
    expect(undispatched).toEqual([]);
  });

  it('records a batch of attempts as if they had been applied one by one', async () => {
    const { ep } = await endpointWithEvents(3);
    await fanOutEvents(store, T0, 500);
    const [d1, d2, d3] = await claimDueDeliveries(store, ep.id, T0, 10, T0 + 60_000);
    const results = await recordAttempts(store, [
      { delivery: d1, outcome: outcome(false, T0 + 1), after: { kind: 'retry', at: T0 + 5000 } },
      { delivery: d2, outcome: outcome(true, T0 + 2), after: null },
      { delivery: d3, outcome: outcome(false, T0 + 3), after: { kind: 'dead' } },
    ]);
    expect(results).toEqual([
      { recorded: true, disabled: false },
      { recorded: true, disabled: false },
      { recorded: true, disabled: false },
    ]);
    const e = await store.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', ep.id).executeTakeFirstOrThrow();
    expect(e).toMatchObject({ failure_count: 1, last_triggered_at: T0 + 3, last_success_at: T0 + 102, last_failure_at: T0 + 103, is_active: 1 });
    expect(Number(e.failing_since)).toBe(T0 + 3);
    const rows = await store.db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', ep.id).orderBy('sequence').execute();
    expect(rows.map((r) => [r.status, r.next_attempt_at === null ? null : Number(r.next_attempt_at), r.attempt_count, r.claimed_at])).toEqual([
      ['pending', T0 + 5000, 1, null],
      ['succeeded', null, 1, null],
      ['failed', null, 1, null],
    ]);
    const attempts = await store.db.selectFrom('webhook_attempts').selectAll().where('endpoint_id', '=', ep.id).execute();
    expect(attempts).toHaveLength(3);
  });

  it('makes a delivery due again when its lease runs out, and hands back only its own claims', async () => {
    const { ep } = await endpointWithEvents(1);
    await fanOutEvents(store, T0, 500);
    const [first] = await claimDueDeliveries(store, ep.id, T0, 10, T0 + 25_000);
    expect(first).toBeDefined();
    expect(await claimDueDeliveries(store, ep.id, T0 + 24_999, 10, T0 + 50_000)).toEqual([]);
    const [again] = await claimDueDeliveries(store, ep.id, T0 + 25_000, 10, T0 + 50_000);
    expect(again.id).toBe(first.id);
    // The first claimer comes back late: its hand-back must not free the second claim.
    await releaseClaims(store, [{ id: first.id, claimedAt: T0 }], T0 + 26_000);
    expect(await claimDueDeliveries(store, ep.id, T0 + 26_000, 10, T0 + 60_000)).toEqual([]);
    await releaseClaims(store, [{ id: again.id, claimedAt: T0 + 25_000 }], T0 + 26_000);
    expect((await claimDueDeliveries(store, ep.id, T0 + 26_000, 10, T0 + 60_000)).map((d) => d.id)).toEqual([first.id]);
  });
});
