import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTuco, type TestTuco } from './helpers.js';

let t: TestTuco;
beforeAll(async () => {
  t = await startTestTuco();
});
afterAll(async () => t?.close());

async function withLine() {
  const ws = await t.newWorkspace();
  const line = await ws.api('POST', '/api/lines', { firstName: 'Sim', lastName: 'One', provider: 'simulator' });
  return { ...ws, lineId: line.body.line._id as string };
}

describe('POST /api/messages errors, as documented', () => {
  it('rejects an empty message without attachments', async () => {
    const { api } = await withLine();
    const r = await api('POST', '/api/messages', { message: '  ', recipientPhone: '+12125550123' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('Message and attachmentUrls cannot both be empty');
  });

  it('rejects a bad messageType with the documented text', async () => {
    const { api } = await withLine();
    const r = await api('POST', '/api/messages', { message: 'x', recipientPhone: '+12125550123', messageType: 'fax' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('Invalid messageType. Must be email, sms, or imessage');
  });

  it('says there are no active lines when none can send', async () => {
    const { api } = await t.newWorkspace();
    const r = await api('POST', '/api/messages', { message: 'x', recipientPhone: '+12125550123' });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('NO_ACTIVE_LINES');
    expect(r.body.error).toMatch(/^No active lines in workspace/);
    expect((await api('GET', '/api/messages')).body.messages).toEqual([]);
  });

  it('needs a recipient', async () => {
    const { api } = await withLine();
    const r = await api('POST', '/api/messages', { message: 'x' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/^Either recipientEmail or recipientPhone is required/);
  });

  it('answers FALLBACK_NOT_CONFIGURED when no line can send the fallback SMS', async () => {
    const { api } = await t.newWorkspace();
    await api('POST', '/api/lines', { firstName: 'Mail', lastName: 'Box', provider: 'smtp', providerSettings: { host: 'smtp.example.com', port: 587, from: 'a@example.com' } });
    const r = await api('POST', '/api/messages', { message: 'x', recipientEmail: 'a@b.co', messageType: 'email', sendFallbackSmsOnFailed: true });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('FALLBACK_NOT_CONFIGURED');
  });

  it('answers 401 without a key, 402 when read-only, 429 over the rate limit', async () => {
    const { api, workspaceId } = await withLine();
    const anon = await fetch(`${t.baseUrl}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anon.status).toBe(401);
    await t.admin('PUT', `/admin/workspaces/${workspaceId}/billing`, { status: 'canceled' });
    const ro = await api('POST', '/api/messages', { message: 'x', recipientPhone: '+12125550123' });
    expect(ro.status).toBe(402);
    expect(ro.body).toEqual({ error: 'READ_ONLY', code: 'READ_ONLY', reason: 'canceled' });
    const limited = await startTestTuco({ env: { TUCO_RATE_LIMIT_PER_MINUTE: '1' } });
    try {
      const ws = await limited.newWorkspace();
      await ws.api('POST', '/api/lines', { firstName: 'S', lastName: 'S', provider: 'simulator' });
      const r = await ws.api('POST', '/api/messages', { message: 'x', recipientPhone: '+12125550123' });
      expect(r.status).toBe(429);
      expect(r.body.error).toBe('Rate limit exceeded');
    } finally {
      await limited.close();
    }
  });

  it('names the problem with bad phones, dates, windows, unknown fields and foreign ids', async () => {
    const { api } = await withLine();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ recipientPhone: 'call me' }, /recipientPhone "call me" is not a phone number/],
      [{ recipientPhone: '+12125550123', scheduledDate: 'tomorrow' }, /scheduledDate "tomorrow"/],
      [{ recipientPhone: '+12125550123', sendWindowStart: '09:00', sendWindowEnd: '17:00' }, /timezone is required/],
      [{ recipientPhone: '+12125550123', timezone: 'Europe/Nowhere', sendWindowStart: '09:00', sendWindowEnd: '17:00' }, /not an IANA time zone/],
      [{ recipientPhone: '+12125550123', allowedDaysOfWeek: [8], timezone: 'UTC' }, /0 \(Sunday\) to 6/],
      [{ recipientPhone: '+12125550123', urgent: true }, /Unknown field "urgent"/],
      [{ recipientPhone: '+12125550123', messageType: 'email' }, /email message needs an email address/],
      [{ recipientEmail: 'a@b.co', messageType: 'sms' }, /sms message needs a phone number/],
    ];
    for (const [body, re] of cases) {
      const r = await api('POST', '/api/messages', { message: 'x', ...body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toMatch(re);
    }
    const other = await withLine();
    const foreignLine = await api('POST', '/api/messages', { message: 'x', recipientPhone: '+12125550123', fromLineId: other.lineId });
    expect(foreignLine.status).toBe(404);
    const foreignLead = await api('POST', '/api/messages', { message: 'x', leadId: '0123456789abcdef01234567' });
    expect(foreignLead.status).toBe(404);
    expect((await api('GET', '/api/messages')).body.messages).toEqual([]);
  });
});

describe('POST /api/messages success shapes', () => {
  it('creates a lead in Quick Sends (201), then reuses it (200, duplicateOnly)', async () => {
    const { api } = await withLine();
    const first = await api('POST', '/api/messages', { message: 'Hi', recipientPhone: '(212) 555-0123', recipientName: 'Ana María López', altEmail1: 'ana@example.com' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ success: true, status: 'queued', duplicateOnly: false, existingLeadIds: [] });
    expect(first.body.message).toMatchObject({ recipientPhone: '+12125550123', messageType: 'imessage', status: 'queued', recipientName: 'Ana María López' });
    const lead = (await api('GET', `/api/leads?id=${first.body.leadId}`)).body.lead;
    expect(lead).toMatchObject({ firstName: 'Ana', lastName: 'María López', phone: '+12125550123', altEmail1: 'ana@example.com', source: 'api' });
    const lists = (await api('GET', '/api/lists')).body.lists;
    expect(lists.find((l: any) => l._id === lead.listId).name).toBe('Quick Sends');
    const again = await api('POST', '/api/messages', { message: 'Again', recipientPhone: '+1 212 555 0123' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicateOnly: true, existingLeadIds: [first.body.leadId], leadId: first.body.leadId, duplicateMessage: 'Lead was duplicate; message sent using existing lead.' });
  });

  it('honours Idempotency-Key: the same key returns the first response and creates nothing', async () => {
    const { api } = await withLine();
    const h = { 'idempotency-key': 'order-42' };
    const a = await api('POST', '/api/messages', { message: 'Once', recipientPhone: '+12125550123' }, h);
    const b = await api('POST', '/api/messages', { message: 'Once', recipientPhone: '+12125550123' }, h);
    expect(b.status).toBe(a.status);
    expect(b.body).toEqual(a.body);
    expect((await api('GET', '/api/messages')).body.messages).toHaveLength(1);
    const c = await api('POST', '/api/messages', { message: 'Once', recipientPhone: '+12125550123' }, { 'idempotency-key': 'order-43' });
    expect(c.body.message._id).not.toBe(a.body.message._id);
  });

  it('defaults an email subject to the workspace name', async () => {
    const { api } = await withLine();
    const r = await api('POST', '/api/messages', { message: 'Hello', recipientEmail: 'Ana@Example.com', messageType: 'email' });
    expect(r.status).toBe(201);
    expect(r.body.message).toMatchObject({ subject: 'Test workspace', recipientEmail: 'ana@example.com' });
  });
});

describe('reading and cancelling messages', () => {
  it('lists newest first with filters and cursor paging', async () => {
    const { api, lineId } = await withLine();
    for (let i = 0; i < 5; i++) await api('POST', '/api/messages', { message: `m${i}`, recipientPhone: `+121255501${i + 5}1`, batchId: i % 2 ? 'odd' : 'even' });
    const page1 = await api('GET', '/api/messages?limit=2');
    expect(page1.body.messages.map((m: any) => m.message)).toEqual(['m4', 'm3']);
    const page2 = await api('GET', `/api/messages?limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.messages.map((m: any) => m.message)).toEqual(['m2', 'm1']);
    const page3 = await api('GET', `/api/messages?limit=2&cursor=${page2.body.nextCursor}`);
    expect(page3.body.messages.map((m: any) => m.message)).toEqual(['m0']);
    expect(page3.body.nextCursor).toBeNull();
    expect((await api('GET', '/api/messages?batchId=odd')).body.messages.map((m: any) => m.message)).toEqual(['m3', 'm1']);
    expect((await api('GET', '/api/messages?status=sent')).body.messages).toEqual([]);
    expect((await api('GET', '/api/messages?status=nope')).status).toBe(400);
    await t.engine.runOnce();
    expect((await api('GET', `/api/messages?status=sent&lineId=${lineId}`)).body.messages).toHaveLength(5);
    const other = await t.newWorkspace();
    expect((await other.api('GET', '/api/messages')).body.messages).toEqual([]);
    expect((await other.api('GET', `/api/messages/${page1.body.messages[0]._id}`)).status).toBe(404);
  });

  it('cancels a waiting message; a sent one cannot be cancelled', async () => {
    const { api } = await withLine();
    const later = await api('POST', '/api/messages', { message: 'later', recipientPhone: '+12125550123', scheduledDate: '2030-01-01T00:00:00Z' });
    const cancel = await api('POST', `/api/messages/${later.body.message._id}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body.message.status).toBe('cancelled');
    expect(cancel.body.message.holdReason).toBeNull();
    const now = await api('POST', '/api/messages', { message: 'now', recipientPhone: '+12125550124' });
    await t.engine.runOnce();
    const late = await api('POST', `/api/messages/${now.body.message._id}/cancel`);
    expect(late.status).toBe(409);
    expect(late.body.error).toMatch(/already sent/);
  });
});

describe('addressing', () => {
  it('sends to an existing lead by leadId, trying its addresses in channel order, and shows where it went', async () => {
    const { api } = await withLine();
    const lead = await api('POST', '/api/leads', { leads: [{ firstName: 'Kai', phone: '+12125550160', altPhone1: '+12125550161', email: 'kai@example.com' }] });
    const leadId = lead.body.leadIds[0];
    const r = await api('POST', '/api/messages', { message: 'Hi {firstName}', leadId });
    expect(r.status).toBe(200);
    expect(r.body.message).toMatchObject({ recipientPhone: '+12125550160', recipientEmail: 'kai@example.com', leadId });
    for (let i = 0; i < 5; i++) if ((await t.engine.runOnce()) === 0) break;
    const m = (await api('GET', `/api/messages/${r.body.message._id}`)).body.message;
    expect(m).toMatchObject({ status: 'sent', recipientAddress: '+12125550161', message: 'Hi Kai' });
  });

  it('creates one lead when two sends to the same new recipient arrive at once', async () => {
    const { api } = await withLine();
    const results = await Promise.all(Array.from({ length: 6 }, () => api('POST', '/api/messages', { message: 'x', recipientPhone: '+12125550171' })));
    expect(new Set(results.map((r) => r.body.leadId)).size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const leads = await api('GET', '/api/leads?search=2125550171');
    expect(leads.body.pagination.totalCount).toBe(1);
  });
});

describe('text PostgreSQL cannot store', () => {
  it('refuses a NUL character in any body or query with a 400 naming the field, storing nothing', async () => {
    const { api, lineId } = await withLine();
    const body = await api('POST', '/api/messages', { message: 'hi\u0000there', recipientPhone: '+12125550123' });
    expect(body.status).toBe(400);
    expect(body.body.error).toMatch(/^message contains a NUL character/);
    const inbound = await api('POST', '/api/simulator/inbound', { lineId, from: '+12125550123', text: '\u0000' });
    expect(inbound.status).toBe(400);
    const query = await api('GET', '/api/messages?batchId=a%00b');
    expect(query.status).toBe(400);
    expect(query.body.error).toMatch(/batchId contains a NUL/);
    expect((await api('GET', '/api/messages')).body.messages).toEqual([]);
  });
});

describe('attachments', () => {
  it('takes up to two http(s) attachment URLs and refuses anything else, naming the field', async () => {
    const strict = await startTestTuco({ env: { TUCO_WEBHOOK_ALLOW_PRIVATE: '0' } });
    try {
      const ws = await strict.newWorkspace();
      await ws.api('POST', '/api/lines', { firstName: 'S', lastName: 'S', provider: 'simulator' });
      const ok = await ws.api('POST', '/api/messages', { attachmentUrls: ['https://cdn.example.com/a.png'], recipientPhone: '+12125550123' });
      expect(ok.status).toBe(201);
      expect(ok.body.message.attachmentUrls).toEqual(['https://cdn.example.com/a.png']);
      for (const bad of ['ftp://x.example.com/a.png', 'http://cdn.example.com/a.png', 'https://127.0.0.1/a.png', 'https://10.0.0.8/x']) {
        const r = await ws.api('POST', '/api/messages', { attachmentUrls: [bad], recipientPhone: '+12125550123' });
        expect(r.status, bad).toBe(400);
        expect(r.body.field).toBe('attachmentUrls');
      }
      const three = await ws.api('POST', '/api/messages', { attachmentUrls: ['https://a.example.com/1', 'https://a.example.com/2', 'https://a.example.com/3'], recipientPhone: '+12125550123' });
      expect(three.status).toBe(400);
      expect(three.body.error).toMatch(/attachmentUrls/);
    } finally {
      await strict.close();
    }
  });
});
