import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTuco, apiClient, type TestTuco } from './helpers.js';

let t: TestTuco;
beforeAll(async () => {
  t = await startTestTuco();
});
afterAll(async () => t?.close());

describe('operations endpoints', () => {
  it('GET /status reports the engine degraded when work sits due, and ok once it is done', async () => {
    const pub = apiClient(t.baseUrl, null);
    t.clock.set('2026-03-02T15:00:00Z');
    const ok = await pub('GET', '/status');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'ok', components: { database: { status: 'ok' }, engine: { status: 'ok' }, webhooks: { status: 'ok' } } });
    const { api } = await t.newWorkspace();
    await api('POST', '/api/lines', { firstName: 'Sim', lastName: 'One', provider: 'simulator' });
    await api('POST', '/api/messages', { message: 'x', recipientPhone: '+12125550123' });
    t.clock.advance(5 * 60_000); // no engine ran
    const late = await pub('GET', '/status');
    expect(late.body.status).toBe('degraded');
    expect(late.body.components.engine.detail).toMatch(/1 message\(s\) have been due for over a minute.*Is a worker running\?/);
    await t.engine.runOnce();
    expect((await pub('GET', '/status')).body.status).toBe('ok');
  });

  it('GET /metrics serves Prometheus text with request timings', async () => {
    const pub = apiClient(t.baseUrl, null);
    await pub('GET', '/healthz');
    const m = await pub('GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/text\/plain/);
    expect(m.text).toMatch(/tuco_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+/);
  });
});
