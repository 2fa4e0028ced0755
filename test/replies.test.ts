import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTuco, type TestTuco } from './helpers.js';

let t: TestTuco;
beforeAll(async () => {
  t = await startTestTuco();
});
afterAll(async () => t?.close());

async function drain() {
  for (let i = 0; i < 50; i++) if ((await t.engine.runOnce()) === 0) return;
}

describe('GET /api/replies', () => {
  it('lists who replied, latest first, with their recent replies and the messages before them', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api } = await t.newWorkspace();
    const lineId = (await api('POST', '/api/lines', { firstName: 'Sim', lastName: 'One', provider: 'simulator' })).body.line._id;
    const sent = await api('POST', '/api/messages', { message: 'Hello {{firstName}}', recipientPhone: '+12125550142', recipientName: 'Ana Ruiz', batchId: 'b1' });
    await drain();
    t.clock.advance(3000);
    await drain(); // delivered, then the simulated reply
    t.clock.advance(60_000);
    await api('POST', '/api/simulator/inbound', { lineId, from: '+12125550142', text: 'Call me tomorrow' });
    t.clock.advance(60_000);
    await api('POST', '/api/simulator/inbound', { lineId, from: '+12125550177', text: 'Who is this?' });

    const r = await api('GET', '/api/replies');
    expect(r.status).toBe(200);
    expect(r.body.replies).toHaveLength(2);
    const [stranger, ana] = r.body.replies;
    expect(stranger).toMatchObject({ leadId: null, message: 'Who is this?', recipientPhone: '+12125550177', parentMessages: [] });
    expect(ana).toMatchObject({ leadId: sent.body.leadId, message: 'Call me tomorrow', name: 'Ana Ruiz', respondedAtUtc: '2026-03-02T15:01:03.000Z' });
    expect(ana.recentReplies.map((x: any) => x.message)).toEqual(['Call me tomorrow', 'Sounds good, tell me more']);
    expect(ana.parentMessages).toEqual([{ messageId: sent.body.message._id, message: 'Hello Ana', sentAtUtc: '2026-03-02T15:00:00.000Z', batchId: 'b1', stepIndex: null }]);

    expect((await api('GET', `/api/replies?leadId=${sent.body.leadId}`)).body.replies).toHaveLength(1);
    expect((await api('GET', '/api/replies?recipientPhone=(212) 555-0177')).body.replies[0].message).toBe('Who is this?');
    expect((await api('GET', '/api/replies?dateFrom=2026-03-02T15:01:00Z&dateTo=2026-03-02T15:01:10Z')).body.replies.map((x: any) => x.message)).toEqual(['Call me tomorrow']);
    expect((await api('GET', '/api/replies?lineId=nope')).body.error).toBe('Invalid lineId');
    expect((await api('GET', '/api/replies?dateFrom=2026-03-03T00:00:00Z&dateTo=2026-03-02T00:00:00Z')).body.error).toBe('dateFrom must be <= dateTo');
    expect((await api('GET', '/api/replies?leadId=0123456789abcdef01234567')).status).toBe(404);
  });
});

describe('Do Not Contact', () => {
  it('adds, lists, searches and removes entries; a DNC address is never sent to', async () => {
    const { api } = await t.newWorkspace();
    await api('POST', '/api/lines', { firstName: 'Sim', lastName: 'One', provider: 'simulator' });
    const added = await api('POST', '/api/dnc', { phone: '(904) 295-6129', reason: 'manual' });
    expect(added.status).toBe(201);
    expect(added.body.entry).toMatchObject({ phone: '+19042956129', reason: 'manual' });
    expect((await api('POST', '/api/dnc', { email: 'Not.Me@Example.com' })).body.entry.email).toBe('not.me@example.com');
    expect((await api('POST', '/api/dnc', {})).status).toBe(400);
    const list = await api('GET', '/api/dnc?search=904');
    expect(list.body.entries.map((e: any) => e.phone)).toEqual(['+19042956129']);
    const m = await api('POST', '/api/messages', { message: 'x', recipientPhone: '+19042956129' });
    await drain();
    expect((await api('GET', `/api/messages/${m.body.message._id}`)).body.message).toMatchObject({ status: 'failed', errorMessage: expect.stringMatching(/Do Not Contact/) });
    expect((await api('DELETE', `/api/dnc?id=${added.body.entry._id}`)).body).toEqual({ success: true });
    expect((await api('GET', '/api/dnc')).body.entries).toHaveLength(1);
  });
});
