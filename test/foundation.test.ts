import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTuco, apiClient, type TestTuco } from './helpers.js';

let t: TestTuco;
beforeAll(async () => {
  t = await startTestTuco();
});
afterAll(async () => t?.close());

describe('authentication and errors', () => {
  it('answers 401 without a key or with a wrong one, naming how to authenticate', async () => {
    const none = await apiClient(t.baseUrl, null)('GET', '/api/leads');
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('UNAUTHORIZED');
    expect(none.body.error).toMatch(/Bearer/);
    const wrong = await apiClient(t.baseUrl, 'tuco_sk_nottherightkeyatall')('GET', '/api/leads');
    expect(wrong.status).toBe(401);
  });

  it('echoes x-correlation-id, or mints an app_ one', async () => {
    const { api } = await t.newWorkspace();
    const echoed = await api('GET', '/api/lists', undefined, { 'x-correlation-id': 'corr-123' });
    expect(echoed.headers.get('x-correlation-id')).toBe('corr-123');
    const minted = await api('GET', '/api/lists');
    expect(minted.headers.get('x-correlation-id')).toMatch(/^app_[0-9a-f]+$/);
  });

  it('rejects malformed JSON, unknown fields and wrong types with a 400 naming the problem', async () => {
    const { api } = await t.newWorkspace();
    const bad = await api('POST', '/api/lists', '{"name": ');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('INVALID_JSON');
    const unknown = await api('POST', '/api/lists', { name: 'x', colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toContain('colour');
    const wrongType = await api('POST', '/api/lists', { name: 42 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error).toContain('name');
    expect(wrongType.body.error).toContain('string');
    const nested = await api('POST', '/api/leads', { leads: [{ firstName: 'A', phone: 5551234 }] });
    expect(nested.status).toBe(400);
    expect(nested.body.error).toContain('leads[0].phone');
  });

  it('answers 413 for a body over 1 MB, and stays up', async () => {
    const { api } = await t.newWorkspace();
    const big = await api('POST', '/api/lists', { name: 'x', description: 'a'.repeat(2 * 1024 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await api('GET', '/api/lists')).status).toBe(200);
  });

  it('serves health, readiness and an OpenAPI description built from the route schemas', async () => {
    const api = apiClient(t.baseUrl, null);
    expect((await api('GET', '/healthz')).body.status).toBe('ok');
    expect((await api('GET', '/readyz')).body.status).toBe('ready');
    const spec = await api('GET', '/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.paths['/api/leads'].post.requestBody).toBeDefined();
    expect(spec.body.paths['/api/lines'].post).toBeDefined();
  });
});

describe('workspaces and keys', () => {
  it('creates a workspace through the admin API and its key works only for it', async () => {
    const created = await t.admin('POST', '/admin/workspaces', { name: 'Acme' });
    expect(created.status).toBe(201);
    expect(created.body.workspace).toMatchObject({ name: 'Acme', billingStatus: 'active' });
    expect(created.body.workspace._id).toMatch(/^[0-9a-f]{24}$/);
    expect(created.body.apiKey).toMatch(/^tuco_sk_/);
    const acme = apiClient(t.baseUrl, created.body.apiKey);
    const list = await acme('POST', '/api/lists', { name: 'Acme prospects' });
    expect(list.status).toBe(201);

    const other = await t.newWorkspace('Other');
    expect((await other.api('GET', `/api/lists/${list.body.list._id}`)).status).toBe(404);
    const otherLists = await other.api('GET', '/api/lists');
    expect(otherLists.body.lists.map((l: any) => l.name)).toEqual(['Quick Sends']);

    const denied = await apiClient(t.baseUrl, 'wrong')('GET', '/admin/workspaces');
    expect(denied.status).toBe(401);
    const all = await t.admin('GET', '/admin/workspaces');
    expect(all.body.workspaces.some((w: any) => w.name === 'Acme')).toBe(true);
  });

  it('stores keys hashed, shows a new key once, and stops a revoked key at once', async () => {
    const { api, workspaceId } = await t.newWorkspace();
    const made = await api('POST', '/api/api-keys', { name: 'CRM' });
    expect(made.status).toBe(201);
    const plain = made.body.key as string;
    const rows = await t.store.db.selectFrom('api_keys').selectAll().where('workspace_id', '=', workspaceId).execute();
    expect(rows.some((r) => r.key_hash === plain || r.key_hash.includes(plain))).toBe(false);
    const listed = await api('GET', '/api/api-keys');
    expect(JSON.stringify(listed.body)).not.toContain(plain);
    const crm = apiClient(t.baseUrl, plain);
    expect((await crm('GET', '/api/lists')).status).toBe(200);
    expect((await api('PATCH', `/api/api-keys/${made.body.apiKey._id}`, { isActive: false })).status).toBe(200);
    expect((await crm('GET', '/api/lists')).status).toBe(401);
  });

  it('puts a workspace whose billing lapsed in read-only mode: writes 402, reads work', async () => {
    const { api, workspaceId } = await t.newWorkspace();
    expect((await t.admin('PUT', `/admin/workspaces/${workspaceId}/billing`, { status: 'past_due' })).status).toBe(200);
    const write = await api('POST', '/api/lists', { name: 'x' });
    expect(write.status).toBe(402);
    expect(write.body).toEqual({ error: 'READ_ONLY', code: 'READ_ONLY', reason: 'past_due' });
    expect((await api('GET', '/api/lists')).body.lists).toHaveLength(1);
    await t.admin('PUT', `/admin/workspaces/${workspaceId}/billing`, { status: 'active' });
    expect((await api('POST', '/api/lists', { name: 'x' })).status).toBe(201);
  });

  it('limits requests per workspace per minute with 429 and Retry-After', async () => {
    const limited = await startTestTuco({ env: { TUCO_RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const { api } = await limited.newWorkspace();
      for (let i = 0; i < 3; i++) expect((await api('GET', '/api/lists')).status).toBe(200);
      const over = await api('GET', '/api/lists');
      expect(over.status).toBe(429);
      expect(over.body.error).toBe('Rate limit exceeded');
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
      const other = await limited.newWorkspace();
      expect((await other.api('GET', '/api/lists')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
