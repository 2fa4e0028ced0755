import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTuco, type TestTuco } from './helpers.js';
import { createWebhook, startReceiver, type Receiver } from './webhookHelpers.js';
import { WEBHOOK_EVENTS } from '../src/store/outbox.js';

let t: TestTuco;
let rcv: Receiver;
beforeAll(async () => {
  t = await startTestTuco({ env: { TUCO_WEBHOOK_TIMEOUT_MS: '1000' } });
  rcv = await startReceiver(200);
});
afterAll(async () => {
  await rcv?.close();
  await t?.close();
});

describe('webhook management API', () => {
  it('creates a webhook and shows its whsec_ secret once', async () => {
    const { api } = await t.newWorkspace();
    const created = new Date(t.clock.now()).toISOString();
    const r = await api('POST', '/api/webhooks', { url: rcv.url, events: ['message.sent', 'message.reply'], name: 'CRM', description: 'sync' });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(['createdAt', 'events', 'id', 'name', 'secret', 'url', 'warning']);
    expect(r.body).toMatchObject({ url: rcv.url, events: ['message.sent', 'message.reply'], name: 'CRM', createdAt: created });
    expect(r.body.id).toMatch(/^[0-9a-f]{24}$/);
    expect(r.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(r.body.warning).toMatch(/once/);

    const one = await api('GET', `/api/webhooks/${r.body.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({
      id: r.body.id,
      url: rcv.url,
      events: ['message.sent', 'message.reply'],
      name: 'CRM',
      description: 'sync',
      isActive: true,
      lastTriggeredAt: null,
      lastSuccessAt: null,
      lastFailureAt: null,
      failureCount: 0,
      createdAt: created,
      updatedAt: created,
    });
    const all = await api('GET', '/api/webhooks');
    expect(JSON.stringify(all.body)).not.toContain(r.body.secret);
    expect(JSON.stringify(one.body)).not.toContain('secret');
  });

  it('lists webhooks newest first', async () => {
    const { api } = await t.newWorkspace();
    const a = await createWebhook(api, rcv.url, ['message.sent'], 'first');
    t.clock.advance(1000);
    const b = await createWebhook(api, rcv.url, ['message.sent'], 'second');
    const list = await api('GET', '/api/webhooks');
    expect(list.body.webhooks.map((w: any) => w.id)).toEqual([b.id, a.id]);
  });

  it('rejects bad input with a 400 naming the field, listing valid events', async () => {
    const { api } = await t.newWorkspace();
    const bad = await api('POST', '/api/webhooks', { url: rcv.url, events: ['message.sent', 'message.bounced'], name: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_ERROR');
    expect(bad.body.error).toContain('message.bounced');
    for (const e of WEBHOOK_EVENTS) expect(bad.body.error).toContain(e);
    const empty = await api('POST', '/api/webhooks', { url: rcv.url, events: [], name: 'x' });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toContain('events');
    const noName = await api('POST', '/api/webhooks', { url: rcv.url, events: ['message.sent'] });
    expect(noName.status).toBe(400);
    expect(noName.body.error).toContain('name');
    const blank = await api('POST', '/api/webhooks', { url: rcv.url, events: ['message.sent'], name: '  ' });
    expect(blank.status).toBe(400);
    const noUrl = await api('POST', '/api/webhooks', { events: ['message.sent'], name: 'x' });
    expect(noUrl.status).toBe(400);
    expect(noUrl.body.error).toContain('url');
    const notUrl = await api('POST', '/api/webhooks', { url: 'example', events: ['message.sent'], name: 'x' });
    expect(notUrl.status).toBe(400);
    expect(notUrl.body.error).toContain('url');
    const unknown = await api('POST', '/api/webhooks', { url: rcv.url, events: ['message.sent'], name: 'x', secret: 'mine' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toContain('secret');
    const wrongType = await api('POST', '/api/webhooks', { url: rcv.url, events: 'message.sent', name: 'x' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error).toContain('events');
  });

  it('PATCH replaces events, updates fields, answers { success: true }, and validates like POST', async () => {
    const { api } = await t.newWorkspace();
    const w = await createWebhook(api, rcv.url, ['message.sent', 'message.failed']);
    t.clock.advance(5000);
    const r = await api('PATCH', `/api/webhooks/${w.id}`, { events: ['message.reply'], name: 'Renamed', description: null, url: `${rcv.url}?v=2` });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ success: true });
    const got = (await api('GET', `/api/webhooks/${w.id}`)).body;
    expect(got).toMatchObject({ events: ['message.reply'], name: 'Renamed', description: null, url: `${rcv.url}?v=2`, updatedAt: new Date(t.clock.now()).toISOString() });
    expect((await api('PATCH', `/api/webhooks/${w.id}`, { events: [] })).status).toBe(400);
    expect((await api('PATCH', `/api/webhooks/${w.id}`, { events: ['nope'] })).body.error).toContain('message.opened');
    expect((await api('PATCH', `/api/webhooks/${w.id}`, { name: '' })).status).toBe(400);
    expect((await api('PATCH', `/api/webhooks/${w.id}`, { url: 'ftp://x' })).status).toBe(400);
    expect((await api('PATCH', `/api/webhooks/${w.id}`, { isActive: 'yes' })).status).toBe(400);
    expect((await api('PATCH', `/api/webhooks/${w.id}`, { isActive: false })).body).toEqual({ success: true });
    expect((await api('GET', `/api/webhooks/${w.id}`)).body.isActive).toBe(false);
  });

  it('answers 404 for a webhook of another workspace, and DELETE removes it for good', async () => {
    const a = await t.newWorkspace();
    const b = await t.newWorkspace();
    const w = await createWebhook(a.api, rcv.url);
    expect((await b.api('GET', `/api/webhooks/${w.id}`)).status).toBe(404);
    expect((await b.api('PATCH', `/api/webhooks/${w.id}`, { name: 'x' })).status).toBe(404);
    expect((await b.api('DELETE', `/api/webhooks/${w.id}`)).status).toBe(404);
    expect((await b.api('GET', `/api/webhooks/${w.id}/deliveries`)).status).toBe(404);
    expect((await b.api('POST', `/api/webhooks/${w.id}/health-check`)).status).toBe(404);
    expect((await b.api('POST', `/api/webhooks/${w.id}/rotate-secret`)).status).toBe(404);
    expect((await b.api('GET', '/api/webhooks')).body.webhooks).toEqual([]);
    const del = await a.api('DELETE', `/api/webhooks/${w.id}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ success: true });
    expect((await a.api('GET', `/api/webhooks/${w.id}`)).status).toBe(404);
    expect((await a.api('DELETE', `/api/webhooks/${w.id}`)).status).toBe(404);
  });

  it('answers 402 to writes in a read-only workspace, while reads work', async () => {
    const { api, workspaceId } = await t.newWorkspace();
    const w = await createWebhook(api, rcv.url);
    await t.admin('PUT', `/admin/workspaces/${workspaceId}/billing`, { status: 'past_due' });
    for (const [m, u, b] of [
      ['POST', '/api/webhooks', { url: rcv.url, events: ['message.sent'], name: 'x' }],
      ['PATCH', `/api/webhooks/${w.id}`, { name: 'y' }],
      ['DELETE', `/api/webhooks/${w.id}`, undefined],
      ['POST', `/api/webhooks/${w.id}/rotate-secret`, undefined],
    ] as const) {
      const r = await api(m, u, b);
      expect(r.status, `${m} ${u}`).toBe(402);
      expect(r.body).toEqual({ error: 'READ_ONLY', code: 'READ_ONLY', reason: 'past_due' });
    }
    expect((await api('GET', '/api/webhooks')).body.webhooks).toHaveLength(1);
    expect((await api('GET', `/api/webhooks/${w.id}/deliveries`)).status).toBe(200);
  });

  it('health-check sends a signed test POST and reports the answer', async () => {
    const { api, workspaceId } = await t.newWorkspace();
    const w = await createWebhook(api, rcv.url, ['message.reply', 'message.sent']);
    const before = rcv.received.length;
    const ok = await api('POST', `/api/webhooks/${w.id}/health-check`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ success: true, message: expect.any(String), statusCode: 200, response: 'ok', error: null, details: null });
    const req = rcv.received[before];
    expect(req.headers['x-tuco-event']).toBe('message.reply');
    expect(req.json).toMatchObject({ event: 'message.sent', workspaceId, data: { test: true, message: 'This is a health check test webhook from Tuco AI' } });
    expect(req.headers['x-tuco-signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(req.headers['webhook-id']).toBe(req.json.eventId);

    const failing = await startReceiver({ status: 503, body: 'maintenance' });
    await api('PATCH', `/api/webhooks/${w.id}`, { url: failing.url });
    const bad = await api('POST', `/api/webhooks/${w.id}/health-check`);
    expect(bad.body).toMatchObject({ success: false, statusCode: 503, response: 'maintenance', error: expect.stringContaining('503') });
    await failing.close();
  });

  it('health-check reports a timeout (the limit is TUCO_WEBHOOK_TIMEOUT_MS, 10 s by default) and a refused connection', async () => {
    const { api } = await t.newWorkspace();
    const silent = await startReceiver('hang');
    const w = await createWebhook(api, silent.url);
    const r = await api('POST', `/api/webhooks/${w.id}/health-check`);
    expect(r.body).toMatchObject({ success: false, statusCode: null, error: expect.any(String), details: expect.stringMatching(/timed out/) });
    await silent.close();
    const refused = await api('POST', `/api/webhooks/${w.id}/health-check`);
    expect(refused.body).toMatchObject({ success: false, statusCode: null, details: expect.stringMatching(/refused/i) });
  });

  it('rotate-secret shows the new secret once and keeps the old one signing for 24 h', async () => {
    const { api } = await t.newWorkspace();
    const w = await createWebhook(api, rcv.url);
    const r = await api('POST', `/api/webhooks/${w.id}/rotate-secret`);
    expect(r.status).toBe(200);
    expect(r.body.secret).toMatch(/^whsec_/);
    expect(r.body.secret).not.toBe(w.secret);
    expect(Date.parse(r.body.previousSecretExpiresAt) - t.clock.now()).toBe(24 * 3_600_000);
    const before = rcv.received.length;
    await api('POST', `/api/webhooks/${w.id}/health-check`);
    expect(rcv.received[before].headers['webhook-signature'].split(' ')).toHaveLength(2);
  });

  it('is described in /openapi.json', async () => {
    const spec = await (await fetch(`${t.baseUrl}/openapi.json`)).json();
    for (const p of ['/api/webhooks', '/api/webhooks/{id}', '/api/webhooks/{id}/deliveries', '/api/webhooks/{id}/replay', '/api/webhooks/{id}/rotate-secret']) {
      expect(spec.paths[p], p).toBeDefined();
    }
  });
});

describe('webhook targets when private addresses are not allowed', () => {
  let strict: TestTuco;
  beforeAll(async () => {
    strict = await startTestTuco({ env: { TUCO_WEBHOOK_ALLOW_PRIVATE: '0' } });
  });
  afterAll(async () => strict?.close());

  it('accepts only public https:// URLs', async () => {
    const { api } = await strict.newWorkspace();
    for (const url of ['http://hooks.example.com/x', 'https://127.0.0.1/x', 'https://localhost:8443/x', 'https://[::1]/x', 'https://169.254.169.254/latest', 'https://10.0.0.5/x', 'https://printer.local/x']) {
      const r = await api('POST', '/api/webhooks', { url, events: ['message.sent'], name: 'x' });
      expect(r.status, url).toBe(400);
      expect(r.body.error).toContain('url');
    }
    const ok = await api('POST', '/api/webhooks', { url: 'https://hooks.example.com/tuco', events: ['message.sent'], name: 'x' });
    expect(ok.status).toBe(201);
    expect((await api('PATCH', `/api/webhooks/${ok.body.id}`, { url: 'https://192.168.1.1/' })).status).toBe(400);
  });
});
