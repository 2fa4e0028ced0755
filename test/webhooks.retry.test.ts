import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTuco, type TestTuco } from './helpers.js';
import { createWebhook, drain, fireEvents, startReceiver, type Receiver } from './webhookHelpers.js';
import { buildWebhookWorker, type WebhookWorker } from '../src/engine/webhookWorker.js';
import { createLogger } from '../src/logger.js';

// Time moves by hand here (ManualClock): retries days apart take no real time.
let t: TestTuco;
let worker: WebhookWorker;
const receivers: Receiver[] = [];
const receiver = async (...args: Parameters<typeof startReceiver>) => {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
};
const isoNow = () => new Date(t.clock.now()).toISOString();
beforeAll(async () => {
  t = await startTestTuco();
  // The retry ladder without jitter, so the three-day mark falls at a known attempt.
  worker = buildWebhookWorker({ store: t.store, clock: t.clock, logger: createLogger('silent'), config: t.config, random: () => 0.5 });
  await t.webhooks.stop();
  t.webhooks = worker;
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await worker?.stop();
  await t?.close();
});

describe('webhook retries', () => {
  it('sends an event once more, with the same id and bytes, to an endpoint that answered 500 twice then 200', async () => {
    const rcv = await receiver((_r, n) => (n <= 2 ? 500 : 200));
    const { api, workspaceId } = await t.newWorkspace();
    const w = await createWebhook(api, rcv.url);
    const [eventId] = await fireEvents(t.store, workspaceId, 1, t.clock.now());
    const t0 = t.clock.now();

    await worker.runOnce();
    expect(rcv.received).toHaveLength(1);
    let [d] = (await api('GET', `/api/webhooks/${w.id}/deliveries`)).body.deliveries;
    expect(d).toMatchObject({ eventId, status: 'pending', attemptCount: 1, lastStatusCode: 500 });
    expect(Date.parse(d.nextAttemptAt) - t0).toBeLessThanOrEqual(10_000); // the first retry comes within 10 s
    expect((await api('GET', `/api/webhooks/${w.id}`)).body).toMatchObject({ failureCount: 1, lastFailureAt: isoNow(), lastSuccessAt: null });

    t.clock.advance(10_000);
    await worker.runOnce();
    expect(rcv.received).toHaveLength(2);
    expect((await api('GET', `/api/webhooks/${w.id}`)).body.failureCount).toBe(2);

    await drain(t);
    expect(rcv.received).toHaveLength(3);
    const ids = rcv.received.map((r) => r.headers['webhook-id']);
    expect(new Set(ids)).toEqual(new Set([eventId]));
    expect(new Set(rcv.received.map((r) => r.json.eventId))).toEqual(new Set([eventId]));
    expect(new Set(rcv.received.map((r) => r.body)).size).toBe(1); // identical bytes on every attempt
    expect(new Set(rcv.received.map((r) => r.headers['webhook-timestamp'])).size).toBe(3); // signed afresh each time

    [d] = (await api('GET', `/api/webhooks/${w.id}/deliveries`)).body.deliveries;
    expect(d).toMatchObject({ status: 'succeeded', attemptCount: 3, lastStatusCode: 200, nextAttemptAt: null, deliveredAt: isoNow() });
    expect(d.attempts.map((a: any) => a.statusCode)).toEqual([500, 500, 200]);
    expect(d.attempts.map((a: any) => a.response)).toEqual(['error 500', 'error 500', 'ok']);
    for (const a of d.attempts) expect(a.latencyMs).toBeGreaterThanOrEqual(0);
    expect((await api('GET', `/api/webhooks/${w.id}`)).body).toMatchObject({ failureCount: 0, lastSuccessAt: isoNow(), lastTriggeredAt: isoNow() });
  });

  it('delivers all 1,000 events fired while the endpoint was down once it is back', async () => {
    const rcv = await receiver(200);
    const { api, workspaceId } = await t.newWorkspace();
    const w = await createWebhook(api, rcv.url);
    await rcv.down();
    const fired = await fireEvents(t.store, workspaceId, 1000, t.clock.now());
    expect(await worker.runOnce()).toBe(1000);
    const hook = (await api('GET', `/api/webhooks/${w.id}`)).body;
    expect(hook).toMatchObject({ isActive: true, failureCount: 1000 });
    const pending = (await api('GET', `/api/webhooks/${w.id}/deliveries?status=pending&limit=1`)).body.deliveries[0];
    expect(pending.attempts[0].error).toMatch(/refused/i);

    await rcv.listen();
    t.clock.advance(10_000);
    expect(await worker.runOnce()).toBe(1000);
    expect(rcv.acknowledged()).toEqual(new Set(fired));
    expect(rcv.received).toHaveLength(1000);
    expect(rcv.received.map((r) => r.json.sequence).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect((await api('GET', `/api/webhooks/${w.id}/deliveries?status=pending`)).body.deliveries).toHaveLength(0);
    expect((await api('GET', `/api/webhooks/${w.id}`)).body.failureCount).toBe(0);
  });

  it('disables an endpoint that answers 410 and holds its events until it is re-enabled', async () => {
    const rcv = await receiver(410);
    const { api, workspaceId } = await t.newWorkspace();
    const w = await createWebhook(api, rcv.url);
    const since = new Date(t.clock.now()).toISOString();
    const first = await fireEvents(t.store, workspaceId, 2, t.clock.now());
    await worker.runOnce();
    const hook = (await api('GET', `/api/webhooks/${w.id}`)).body;
    expect(hook).toMatchObject({ isActive: false, disabledReason: expect.stringMatching(/410/), disabledAt: isoNow() });
    expect(rcv.received.length).toBeGreaterThanOrEqual(1);
    const held = (await api('GET', `/api/webhooks/${w.id}/deliveries`)).body.deliveries;
    expect(held.map((d: any) => [d.status, d.nextAttemptAt])).toEqual([
      ['pending', null],
      ['pending', null],
    ]);

    const whileDisabled = await fireEvents(t.store, workspaceId, 1, t.clock.now());
    t.clock.advance(3_600_000);
    const seen = rcv.received.length;
    await worker.runOnce();
    expect(rcv.received).toHaveLength(seen);
    expect((await api('POST', `/api/webhooks/${w.id}/replay`, { since })).status).toBe(409);

    rcv.answerWith(200);
    expect((await api('PATCH', `/api/webhooks/${w.id}`, { isActive: true })).body).toEqual({ success: true });
    const enabled = (await api('GET', `/api/webhooks/${w.id}`)).body;
    expect(enabled).toMatchObject({ isActive: true, failureCount: 0 });
    expect(enabled.disabledReason).toBeUndefined();
    await worker.runOnce();
    expect(rcv.acknowledged()).toEqual(new Set(first));

    // The event fired while it was disabled comes with a replay, after the two already delivered.
    const replay = await api('POST', `/api/webhooks/${w.id}/replay`, { since });
    expect(replay.body).toMatchObject({ success: true, replayed: 3 });
    await worker.runOnce();
    expect(rcv.acknowledged()).toEqual(new Set([...first, ...whileDisabled]));
    const bySeq = new Map(rcv.received.filter((r) => r.answered === 200).map((r) => [r.json.eventId, r.json.sequence]));
    expect(bySeq.get(whileDisabled[0])).toBe(3);
  });

  it('disables and flags an endpoint that failed for 3 days; its dead delivery stays retryable', async () => {
    const rcv = await receiver(500);
    const { api, workspaceId } = await t.newWorkspace();
    const w = await createWebhook(api, rcv.url);
    const t0 = t.clock.now();
    await fireEvents(t.store, workspaceId, 1, t0);
    expect(await drain(t)).toBe(10);
    expect(t.clock.now() - t0).toBeGreaterThan(72 * 3_600_000);
    expect(t.clock.now() - t0).toBeLessThan(80 * 3_600_000);
    const hook = (await api('GET', `/api/webhooks/${w.id}`)).body;
    expect(hook).toMatchObject({ isActive: false, failureCount: 10, disabledReason: expect.stringMatching(/3 days/), disabledAt: isoNow() });
    const dead = (await api('GET', `/api/webhooks/${w.id}/deliveries?status=failed`)).body.deliveries;
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ status: 'failed', attemptCount: 10, nextAttemptAt: null });
    expect(dead[0].attempts).toHaveLength(10);

    const refused = await api('POST', `/api/webhooks/${w.id}/deliveries/${dead[0].id}/retry`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('WEBHOOK_DISABLED');
    rcv.answerWith(200);
    await api('PATCH', `/api/webhooks/${w.id}`, { isActive: true });
    const retried = await api('POST', `/api/webhooks/${w.id}/deliveries/${dead[0].id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ success: true, queued: true, delivery: { status: 'pending', nextAttemptAt: isoNow() } });
    await worker.runOnce();
    const [d] = (await api('GET', `/api/webhooks/${w.id}/deliveries`)).body.deliveries;
    expect(d).toMatchObject({ status: 'succeeded', attemptCount: 11 });
    expect(rcv.received.map((r) => r.json.eventId)).toEqual(Array(11).fill(d.eventId));
  });

  it('pausing holds waiting deliveries and resuming sends them', async () => {
    const rcv = await receiver(503);
    const { api, workspaceId } = await t.newWorkspace();
    const w = await createWebhook(api, rcv.url);
    const [id] = await fireEvents(t.store, workspaceId, 1, t.clock.now());
    await worker.runOnce();
    await api('PATCH', `/api/webhooks/${w.id}`, { isActive: false });
    expect((await api('GET', `/api/webhooks/${w.id}/deliveries`)).body.deliveries[0]).toMatchObject({ status: 'pending', nextAttemptAt: null });
    t.clock.advance(86_400_000);
    await worker.runOnce();
    expect(rcv.received).toHaveLength(1);
    rcv.answerWith(204);
    await api('PATCH', `/api/webhooks/${w.id}`, { isActive: true });
    await worker.runOnce();
    expect(rcv.acknowledged()).toEqual(new Set([id]));
  });

  it('keeps a searchable delivery log: status, event and time filters, 1 KB of each answer, paging, one delivery with its body', async () => {
    const rcv = await receiver((r) => (r.json.event === 'message.failed' ? { status: 500, body: 'x'.repeat(5000) } : 200));
    const { api, workspaceId } = await t.newWorkspace();
    const w = await createWebhook(api, rcv.url, ['message.sent', 'message.failed']);
    const early = t.clock.now();
    await fireEvents(t.store, workspaceId, 2, early, 'message.sent');
    t.clock.advance(60_000);
    const late = t.clock.now();
    const [failedId] = await fireEvents(t.store, workspaceId, 1, late, 'message.failed');
    await worker.runOnce();

    const get = async (q: string) => (await api('GET', `/api/webhooks/${w.id}/deliveries${q}`)).body;
    const all = await get('');
    expect(all.deliveries).toHaveLength(3);
    expect(all.deliveries[0].event).toBe('message.failed'); // newest first
    expect(all.nextCursor).toBeNull();
    expect((await get('?status=succeeded')).deliveries).toHaveLength(2);
    const failing = (await get('?status=pending&event=message.failed')).deliveries;
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ eventId: failedId, lastStatusCode: 500, lastError: expect.stringContaining('500') });
    expect(failing[0].attempts[0].response).toBe('x'.repeat(1024));
    expect((await get(`?from=${encodeURIComponent(new Date(late).toISOString())}`)).deliveries.map((d: any) => d.eventId)).toEqual([failedId]);
    expect((await get(`?to=${encodeURIComponent(new Date(late).toISOString())}`)).deliveries).toHaveLength(2);
    const page1 = await get('?limit=2');
    expect(page1.deliveries).toHaveLength(2);
    const page2 = await get(`?limit=2&cursor=${page1.nextCursor}`);
    expect(page2.deliveries).toHaveLength(1);
    expect(page2.nextCursor).toBeNull();
    const badStatus = await api('GET', `/api/webhooks/${w.id}/deliveries?status=lost`);
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error).toContain('status');
    expect((await api('GET', `/api/webhooks/${w.id}/deliveries?from=yesterday`)).status).toBe(400);

    const one = await api('GET', `/api/webhooks/${w.id}/deliveries/${failing[0].id}`);
    expect(one.body.delivery.payload).toEqual(rcv.received.find((r) => r.json.eventId === failedId)!.json);
    expect((await api('GET', `/api/webhooks/${w.id}/deliveries/${'0'.repeat(24)}`)).status).toBe(404);
  });

  it('replays everything since an instant with the original ids and sequence numbers', async () => {
    const rcv = await receiver(200);
    const { api, workspaceId } = await t.newWorkspace();
    const w = await createWebhook(api, rcv.url);
    await fireEvents(t.store, workspaceId, 2, t.clock.now());
    t.clock.advance(3_600_000);
    const since = t.clock.now();
    const recent = await fireEvents(t.store, workspaceId, 2, since);
    await worker.runOnce();
    expect(rcv.received).toHaveLength(4);
    const firstTime = new Map(rcv.received.map((r) => [r.json.eventId, r.json.sequence]));

    const r = await api('POST', `/api/webhooks/${w.id}/replay`, { since: new Date(since).toISOString() });
    expect(r.body).toMatchObject({ success: true, replayed: 2 });
    await worker.runOnce();
    const replayed = rcv.received.slice(4);
    expect(new Set(replayed.map((x) => x.json.eventId))).toEqual(new Set(recent));
    for (const x of replayed) expect(x.json.sequence).toBe(firstTime.get(x.json.eventId));
    expect((await api('POST', `/api/webhooks/${w.id}/replay`, {})).status).toBe(400);
    expect((await api('POST', `/api/webhooks/${w.id}/replay`, { since: 'last week' })).status).toBe(400);
  });
});
