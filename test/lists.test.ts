import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTuco, type TestTuco } from './helpers.js';

let t: TestTuco;
beforeAll(async () => {
  t = await startTestTuco();
});
afterAll(async () => t?.close());

describe('lists', () => {
  it('starts every workspace with the "Quick Sends" list', async () => {
    const { api, workspaceId } = await t.newWorkspace();
    const res = await api('GET', '/api/lists');
    expect(res.status).toBe(200);
    expect(res.body.lists).toHaveLength(1);
    expect(res.body.lists[0]).toMatchObject({ name: 'Quick Sends', description: 'Quick send messages', workspaceId, leadCount: 0, isQuickSends: true });
    expect(res.body.lists[0]._id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('creates, reads, renames and deletes a list', async () => {
    const { api, workspaceId } = await t.newWorkspace();
    const created = await api('POST', '/api/lists', { name: '  Q3 prospects ', description: 'from the fair' });
    expect(created.status).toBe(201);
    const list = created.body.list;
    expect(list).toMatchObject({ name: 'Q3 prospects', description: 'from the fair', workspaceId, leadCount: 0, isQuickSends: false });
    expect(list.createdAt).toMatch(/Z$/);

    expect((await api('GET', `/api/lists/${list._id}`)).body.list).toEqual(list);
    t.clock.advance(1000);
    const renamed = await api('PATCH', `/api/lists/${list._id}`, { name: 'Q4 prospects', description: null });
    expect(renamed.status).toBe(200);
    expect(renamed.body.list).toMatchObject({ _id: list._id, name: 'Q4 prospects', description: null });
    expect(renamed.body.list.updatedAt > list.updatedAt).toBe(true);
    expect((await api('GET', '/api/lists')).body.lists.map((l: any) => l.name)).toEqual(['Quick Sends', 'Q4 prospects']);

    const deleted = await api('DELETE', `/api/lists/${list._id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ success: true, deletedLeadCount: 0 });
    expect((await api('GET', `/api/lists/${list._id}`)).status).toBe(404);
  });

  it('rejects a blank, missing or wrongly typed name, naming the field', async () => {
    const { api } = await t.newWorkspace();
    for (const body of [{ name: '   ' }, {}, { name: '' }, { name: ['x'] }, { name: 'nul\u0000' }]) {
      const res = await api('POST', '/api/lists', body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_ERROR');
      expect(res.body.error).toContain('name');
    }
    const list = (await api('POST', '/api/lists', { name: 'Kept' })).body.list;
    const blank = await api('PATCH', `/api/lists/${list._id}`, { name: '  ' });
    expect(blank.status).toBe(400);
    expect(blank.body.error).toContain('name');
    expect((await api('GET', `/api/lists/${list._id}`)).body.list.name).toBe('Kept');
    expect((await api('GET', '/api/lists')).body.lists).toHaveLength(2);
  });

  it('protects "Quick Sends": it cannot be deleted or renamed', async () => {
    const { api } = await t.newWorkspace();
    const quick = (await api('GET', '/api/lists')).body.lists[0];
    const del = await api('DELETE', `/api/lists/${quick._id}`);
    expect(del.status).toBe(409);
    expect(del.body.code).toBe('LIST_PROTECTED');
    expect(del.body.error).toContain('Quick Sends');
    const rename = await api('PATCH', `/api/lists/${quick._id}`, { name: 'Mine now' });
    expect(rename.status).toBe(409);
    expect(rename.body.code).toBe('LIST_PROTECTED');
    expect((await api('GET', `/api/lists/${quick._id}`)).body.list.name).toBe('Quick Sends');
    // Its description is the user's to change.
    const described = await api('PATCH', `/api/lists/${quick._id}`, { description: 'one-off sends' });
    expect(described.status).toBe(200);
    expect(described.body.list).toMatchObject({ name: 'Quick Sends', description: 'one-off sends' });
  });

  it('refuses to delete a list that still has leads unless asked to delete them too', async () => {
    const { api } = await t.newWorkspace();
    const list = (await api('POST', '/api/lists', { name: 'Full' })).body.list;
    await api('POST', '/api/leads', { listId: list._id, leads: [{ email: 'a@example.com' }, { email: 'b@example.com' }] });
    await api('POST', '/api/leads', { leads: [{ email: 'c@example.com' }] });
    expect((await api('GET', `/api/lists/${list._id}`)).body.list.leadCount).toBe(2);

    const refused = await api('DELETE', `/api/lists/${list._id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('LIST_NOT_EMPTY');
    expect(refused.body.error).toContain('2 lead');
    expect(refused.body.error).toContain('deleteLeads=true');
    expect((await api('GET', '/api/leads')).body.pagination.totalCount).toBe(3);

    const forced = await api('DELETE', `/api/lists/${list._id}?deleteLeads=true`);
    expect(forced.status).toBe(200);
    expect(forced.body).toEqual({ success: true, deletedLeadCount: 2 });
    const left = await api('GET', '/api/leads');
    expect(left.body.leads.map((l: any) => l.email)).toEqual(['c@example.com']);
    expect(left.body.lists.map((l: any) => [l.name, l.leadCount])).toEqual([['Quick Sends', 1]]);
  });

  it('keeps lead counts current as leads are added, moved and deleted', async () => {
    const { api } = await t.newWorkspace();
    const a = (await api('POST', '/api/lists', { name: 'A' })).body.list._id;
    const b = (await api('POST', '/api/lists', { name: 'B' })).body.list._id;
    const ids = (await api('POST', '/api/leads', { listId: a, leads: [{ email: '1@example.com' }, { email: '2@example.com' }, { email: '3@example.com' }] })).body.leadIds;
    const counts = async () => Object.fromEntries((await api('GET', '/api/lists')).body.lists.map((l: any) => [l.name, l.leadCount]));
    expect(await counts()).toEqual({ 'Quick Sends': 0, A: 3, B: 0 });
    await api('PATCH', `/api/leads/${ids[0]}`, { listId: b });
    expect(await counts()).toEqual({ 'Quick Sends': 0, A: 2, B: 1 });
    await api('DELETE', '/api/leads', { ids: [ids[1]] });
    expect(await counts()).toEqual({ 'Quick Sends': 0, A: 1, B: 1 });
    expect((await api('GET', `/api/lists/${b}`)).body.list.leadCount).toBe(1);
  });

  it('answers 404 for another workspace\'s list on every route, and 400 for a malformed id', async () => {
    const { api } = await t.newWorkspace();
    const other = await t.newWorkspace();
    const list = (await api('POST', '/api/lists', { name: 'Private' })).body.list;
    await api('POST', '/api/leads', { listId: list._id, leads: [{ email: 'p@example.com' }] });
    for (const [method, body] of [['GET'], ['PATCH', { name: 'Stolen' }], ['DELETE']] as const) {
      const res = await other.api(method, `/api/lists/${list._id}`, body);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'List not found', code: 'NOT_FOUND' });
    }
    expect((await other.api('DELETE', `/api/lists/${list._id}?deleteLeads=true`)).status).toBe(404);
    expect((await api('GET', `/api/lists/${list._id}`)).body.list).toMatchObject({ name: 'Private', leadCount: 1 });
    expect((await api('GET', '/api/lists/not-an-id')).status).toBe(400);
  });
});
