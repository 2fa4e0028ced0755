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

describe('analytics for the runbook', () => {
  it('counts outcomes by list and source, and ranks failure reasons with an example message', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api } = await t.newWorkspace();
    await api('POST', '/api/lines', { firstName: 'Sim', lastName: 'One', provider: 'simulator' });
    const list = (await api('POST', '/api/lists', { name: 'Bad import' })).body.list._id;
    await api('POST', '/api/leads', { listId: list, source: 'hubspot', leads: [{ phone: '+12125550113' }, { phone: '+12125550213' }, { phone: '+12125550150' }] });
    const leads = (await api('GET', `/api/leads?listId=${list}`)).body.leads;
    for (const l of leads) await api('POST', '/api/messages', { message: 'x', leadId: l._id });
    await api('POST', '/api/messages', { message: 'x', recipientPhone: '+12125550123' });
    for (let i = 0; i < 10; i++) if ((await t.engine.runOnce()) === 0) break;
    const byList = await api('GET', '/api/analytics/outcomes?groupBy=list');
    const bad = byList.body.groups.find((g: any) => g.key === list);
    expect(bad).toMatchObject({ total: 3, byStatus: { failed: 2, fallback: 1 } });
    expect(bad.failedRate).toBeCloseTo(2 / 3);
    const bySource = await api('GET', '/api/analytics/outcomes?groupBy=source');
    expect(bySource.body.groups.map((g: any) => [g.key, g.total])).toEqual([['hubspot', 3], ['api', 1]]);
    const byDay = await api('GET', '/api/analytics/outcomes?groupBy=day');
    expect(byDay.body.groups).toEqual([expect.objectContaining({ key: '2026-03-02', total: 4 })]);
    const reasons = await api('GET', '/api/analytics/failure-reasons');
    expect(reasons.body.reasons[0]).toMatchObject({ status: 'failed', reason: 'Recipient address rejected', count: 2 });
    expect(reasons.body.reasons[0].exampleMessageId).toMatch(/^[0-9a-f]{24}$/);
    expect((await api('GET', '/api/analytics/outcomes?groupBy=planet')).status).toBe(400);
  });
});
