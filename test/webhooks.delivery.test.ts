import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startTestTuco, type TestTuco } from './helpers.js';
import { createWebhook, fireEvents, startReceiver, type Receiver } from './webhookHelpers.js';
import { ManualClock } from '../src/domain/time.js';
import { buildWebhookWorker } from '../src/engine/webhookWorker.js';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';

// Real "now", so that the Standard Webhooks library's 5-minute timestamp tolerance holds.
let t: TestTuco;
const receivers: Receiver[] = [];
const receiver = async (...args: Parameters<typeof startReceiver>) => {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
};
beforeAll(async () => {
  t = await startTestTuco({ clock: new ManualClock(Date.now()), env: { TUCO_WEBHOOK_TIMEOUT_MS: '1500' } });
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await t?.close();
});

describe('webhook delivery', () => {
  it('signs every delivery so the Standard Webhooks library and a plain hex HMAC both verify it', async () => {
    const rcv = await receiver(200);
    const { api, workspaceId } = await t.newWorkspace();
    const { secret } = await createWebhook(api, rcv.url, ['message.sent']);
    const ids = await fireEvents(t.store, workspaceId, 3, t.clock.now());
    expect(await t.webhooks.runOnce()).toBe(3);
    expect(rcv.received).toHaveLength(3);
    const wh = new Webhook(secret);
    for (const [i, r] of rcv.received.entries()) {
      const payload = wh.verify(r.body, r.headers) as any;
      expect(payload.eventId).toBe(ids[i]);
      expect(createHmac('sha256', secret).update(r.body).digest('hex')).toBe(r.headers['x-tuco-signature']);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-tuco-event']).toBe('message.sent');
      expect(r.headers['x-tuco-timestamp']).toBe(new Date(t.clock.now()).toISOString());
      expect(r.headers['webhook-id']).toBe(ids[i]);
      expect(r.headers['webhook-timestamp']).toBe(String(Math.floor(t.clock.now() / 1000)));
      expect(Object.keys(r.json)).toEqual(['eventId', 'event', 'timestamp', 'workspaceId', 'sequence', 'data']);
      expect(r.json).toMatchObject({ event: 'message.sent', workspaceId, sequence: i + 1, data: { status: 'sent', message: `Hello number ${i} ✓` } });
    }
    // A body changed in transit fails both checks.
    const forged = rcv.received[0].body.replace('Hello', 'Hallo');
    expect(() => wh.verify(forged, rcv.received[0].headers)).toThrow();
    expect(createHmac('sha256', secret).update(forged).digest('hex')).not.toBe(rcv.received[0].headers['x-tuco-signature']);
    // The delivery log and health fields show it.
    const w = (await api('GET', (`/api/webhooks/${(await api('GET', '/api/webhooks')).body.webhooks[0].id}`))).body;
    expect(w).toMatchObject({ lastTriggeredAt: new Date(t.clock.now()).toISOString(), lastSuccessAt: new Date(t.clock.now()).toISOString(), lastFailureAt: null, failureCount: 0 });
  });

  it('fans each event out to the active endpoints of its workspace that subscribe to it, numbering each endpoint\'s sequence', async () => {
    const sent = await receiver(200);
    const replies = await receiver(200);
    const paused = await receiver(200);
    const other = await receiver(200);
    const a = await t.newWorkspace();
    const b = await t.newWorkspace();
    await createWebhook(a.api, sent.url, ['message.sent', 'message.delivered']);
    await createWebhook(a.api, replies.url, ['message.reply']);
    const p = await createWebhook(a.api, paused.url, ['message.sent']);
    await a.api('PATCH', `/api/webhooks/${p.id}`, { isActive: false });
    await createWebhook(b.api, other.url, ['message.sent']);
    await fireEvents(t.store, a.workspaceId, 2, t.clock.now(), 'message.sent');
    await fireEvents(t.store, a.workspaceId, 1, t.clock.now(), 'message.reply');
    await fireEvents(t.store, a.workspaceId, 1, t.clock.now(), 'message.delivered');
    await t.webhooks.runOnce();
    expect(sent.received.map((r) => [r.json.event, r.json.sequence]).sort()).toEqual([
      ['message.delivered', 3],
      ['message.sent', 1],
      ['message.sent', 2],
    ]);
    expect(replies.received.map((r) => [r.json.event, r.json.sequence])).toEqual([['message.reply', 1]]);
    expect(paused.received).toHaveLength(0);
    expect(other.received).toHaveLength(0);
    expect(sent.received.every((r) => r.json.workspaceId === a.workspaceId)).toBe(true);
  });

  it('does not let a receiver that never answers hold up other endpoints, and limits requests in flight per endpoint', async () => {
    const silent = await receiver('hang');
    const fast = await receiver(200);
    const { api, workspaceId } = await t.newWorkspace();
    const s = await createWebhook(api, silent.url);
    await createWebhook(api, fast.url);
    await fireEvents(t.store, workspaceId, 6, t.clock.now());
    let finished = false;
    const pass = t.webhooks.runOnce().then((n) => {
      finished = true;
      return n;
    });
    await fast.waitFor((r) => r.acknowledged().size === 6);
    expect(finished).toBe(false);
    expect(silent.received.length).toBe(4); // TUCO_WEBHOOK_CONCURRENCY (4) in flight; the rest wait their turn
    expect(await pass).toBe(12);
    const log = (await api('GET', `/api/webhooks/${s.id}/deliveries`)).body.deliveries;
    expect(log).toHaveLength(6);
    for (const d of log) {
      expect(d.status).toBe('pending');
      expect(d.attempts[0]).toMatchObject({ statusCode: null, error: expect.stringMatching(/timed out/) });
    }
    await api('DELETE', `/api/webhooks/${s.id}`);
  });

  it('does not follow redirects', async () => {
    const elsewhere = await receiver(200);
    const redirecting = await receiver({ status: 302, headers: { location: elsewhere.url } });
    const { api, workspaceId } = await t.newWorkspace();
    const w = await createWebhook(api, redirecting.url);
    await fireEvents(t.store, workspaceId, 1, t.clock.now());
    await t.webhooks.runOnce();
    expect(redirecting.received).toHaveLength(1);
    expect(elsewhere.received).toHaveLength(0);
    const [d] = (await api('GET', `/api/webhooks/${w.id}/deliveries`)).body.deliveries;
    expect(d).toMatchObject({ status: 'pending', lastStatusCode: 302, lastError: expect.stringMatching(/redirect/) });
    await api('DELETE', `/api/webhooks/${w.id}`);
  });

  it('refuses, at connect time, a public-looking name that resolves to a private address', async () => {
    const inside = await receiver(200);
    const { api, workspaceId } = await t.newWorkspace();
    // Registered while private targets are allowed; delivered by a worker that does not allow them.
    const w = await createWebhook(api, `https://hooks.example.com:${inside.port}/x`);
    const strict = buildWebhookWorker({
      store: t.store,
      clock: t.clock,
      logger: createLogger('silent'),
      config: parseConfig({ TUCO_DATA_DIR: t.config.dataDir, TUCO_WEBHOOK_ALLOW_PRIVATE: '0' }),
      resolveHost: async () => [{ address: '::ffff:127.0.0.1', family: 6 }, { address: '93.184.216.34', family: 4 }],
    });
    try {
      await fireEvents(t.store, workspaceId, 1, t.clock.now());
      expect(await strict.runOnce()).toBe(1);
    } finally {
      await strict.stop();
    }
    expect(inside.received).toHaveLength(0);
    const [d] = (await api('GET', `/api/webhooks/${w.id}/deliveries`)).body.deliveries;
    expect(d.attempts[0].error).toMatch(/hooks\.example\.com resolves to ::ffff:127\.0\.0\.1, a private address/);
    await api('DELETE', `/api/webhooks/${w.id}`);
  });

  it('lets several workers share the work without sending an event twice', async () => {
    const rcv = await receiver(200);
    const { api, workspaceId } = await t.newWorkspace();
    await createWebhook(api, rcv.url);
    const second = buildWebhookWorker({ store: t.store, clock: t.clock, logger: createLogger('silent'), config: t.config });
    try {
      await fireEvents(t.store, workspaceId, 200, t.clock.now());
      const [x, y] = await Promise.all([t.webhooks.runOnce(), second.runOnce()]);
      expect(x + y).toBe(200);
    } finally {
      await second.stop();
    }
    expect(rcv.received).toHaveLength(200);
    expect(rcv.acknowledged().size).toBe(200);
    expect(new Set(rcv.received.map((r) => r.json.sequence)).size).toBe(200);
  });

  it('keeps delivering for a read-only workspace', async () => {
    const rcv = await receiver(200);
    const { api, workspaceId } = await t.newWorkspace();
    await createWebhook(api, rcv.url);
    await t.admin('PUT', `/admin/workspaces/${workspaceId}/billing`, { status: 'canceled' });
    await fireEvents(t.store, workspaceId, 2, t.clock.now());
    await t.webhooks.runOnce();
    expect(rcv.acknowledged().size).toBe(2);
  });

  // Moves the clock a day on: keep it last in this file.
  it('signs with both secrets for 24 h after a rotation (X-Tuco-Signature with the new one), then with the new one only', async () => {
    const rcv = await receiver(200);
    const { api, workspaceId } = await t.newWorkspace();
    const w = await createWebhook(api, rcv.url);
    const rotated = (await api('POST', `/api/webhooks/${w.id}/rotate-secret`)).body.secret as string;
    await fireEvents(t.store, workspaceId, 1, t.clock.now());
    await t.webhooks.runOnce();
    const during = rcv.received[0];
    expect(during.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(rotated).verify(during.body, during.headers)).toBeTruthy();
    expect(new Webhook(w.secret).verify(during.body, during.headers)).toBeTruthy();
    expect(during.headers['x-tuco-signature']).toBe(createHmac('sha256', rotated).update(during.body).digest('hex'));

    t.clock.advance(24 * 3_600_000 + 1000);
    await fireEvents(t.store, workspaceId, 1, t.clock.now());
    await t.webhooks.runOnce();
    const after = rcv.received[1];
    const expected = (secret: string) =>
      'v1,' + createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${after.headers['webhook-id']}.${after.headers['webhook-timestamp']}.${after.body}`).digest('base64');
    expect(after.headers['webhook-signature']).toBe(expected(rotated));
    expect(after.headers['webhook-signature']).not.toContain(expected(w.secret).slice(3));
  });
});
