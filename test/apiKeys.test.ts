import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestTuco, type TestTuco } from './helpers.js';

let t: TestTuco;
beforeAll(async () => {
  t = await startTestTuco();
});
afterAll(async () => t?.close());

describe('API keys and workspaces: what foundation.test.ts does not cover', () => {
  it('will not let a key delete or disable itself, so a workspace cannot lock itself out', async () => {
    const { api } = await t.newWorkspace();
    const own = (await api('GET', '/api/api-keys')).body.apiKeys[0];
    for (const [method, body] of [['DELETE'], ['PATCH', { isActive: false }]] as const) {
      const res = await api(method, `/api/api-keys/${own._id}`, body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('KEY_IN_USE');
    }
    expect((await api('GET', '/api/lists')).status).toBe(200);

    const other = await api('POST', '/api/api-keys', { name: 'Second' });
    const second = apiClient(t.baseUrl, other.body.key);
    expect((await second('DELETE', `/api/api-keys/${own._id}`)).body).toEqual({ success: true });
    expect((await api('GET', '/api/lists')).status).toBe(401);
  });

  it('answers 404 for another workspace\'s key', async () => {
    const a = await t.newWorkspace();
    const b = await t.newWorkspace();
    const key = (await a.api('POST', '/api/api-keys', { name: 'A key' })).body.apiKey._id;
    expect((await b.api('PATCH', `/api/api-keys/${key}`, { name: 'stolen' })).status).toBe(404);
    expect((await b.api('DELETE', `/api/api-keys/${key}`)).status).toBe(404);
    expect((await a.api('GET', '/api/api-keys')).body.apiKeys.map((k: any) => k.name)).toEqual(['test', 'A key']);
  });

  it('refuses blank or NUL-carrying names with a 400 naming the field, creating nothing', async () => {
    const before = (await t.admin('GET', '/admin/workspaces')).body.workspaces.length;
    for (const name of ['   ', 'a\u0000b']) {
      const res = await t.admin('POST', '/admin/workspaces', { name });
      expect(res.status).toBe(400);
      expect(res.body.error).toContain('name');
    }
    expect((await t.admin('GET', '/admin/workspaces')).body.workspaces).toHaveLength(before);
    const { api } = await t.newWorkspace();
    const key = await api('POST', '/api/api-keys', { name: 'x\u0000' });
    expect(key.status).toBe(400);
    expect((await api('GET', '/api/api-keys')).body.apiKeys).toHaveLength(1);
  });
});
