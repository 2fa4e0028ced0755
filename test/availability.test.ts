import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTuco, type TestTuco } from './helpers.js';

let t: TestTuco; // three checks per line per day, to reach the quota
let roomy: TestTuco; // the default quota
beforeAll(async () => {
  t = await startTestTuco({ env: { TUCO_AVAILABILITY_DAILY_QUOTA: '3' } });
  roomy = await startTestTuco();
});
afterAll(async () => {
  await t?.close();
  await roomy?.close();
});

async function drain() {
  for (let i = 0; i < 50; i++) if ((await t.engine.runOnce()) === 0) return;
}
async function withLine() {
  const ws = await t.newWorkspace();
  const line = await ws.api('POST', '/api/lines', { firstName: 'Sim', lastName: 'One', provider: 'simulator' });
  return { ...ws, lineId: line.body.line._id as string };
}
const checks = async (api: any, lineId: string) => (await api('GET', `/api/lines/${lineId}`)).body.line.usage.availabilityChecksCount;

describe('availability in the engine', () => {
  it('asks once per address and reuses the answer for later iMessage sends', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api, lineId } = await withLine();
    await api('POST', '/api/messages', { message: 'a', recipientPhone: '+12125550123' });
    await drain();
    await api('POST', '/api/messages', { message: 'b', recipientPhone: '+12125550123' });
    await drain();
    expect(await checks(api, lineId)).toBe(1);
  });

  it('holds an iMessage send when the line has no checks left today, and sends it after the UTC reset', async () => {
    t.clock.set('2026-03-02T23:00:00Z');
    const { api, lineId } = await withLine();
    const ids = [];
    for (const n of ['31', '32', '33', '34']) ids.push((await api('POST', '/api/messages', { message: 'x', recipientPhone: `+121255501${n}` })).body.message._id);
    await drain();
    const ms = await Promise.all(ids.map(async (id) => (await api('GET', `/api/messages/${id}`)).body.message));
    expect(ms.filter((m) => m.status === 'sent')).toHaveLength(3);
    const held = ms.find((m) => m.status !== 'sent');
    expect(held).toMatchObject({ status: 'pending', holdReason: 'availability_quota', eligibleAt: '2026-03-03T00:00:00.000Z' });
    expect(await checks(api, lineId)).toBe(3);
    t.clock.set('2026-03-03T00:00:00Z');
    await drain();
    expect((await api('GET', `/api/messages/${held._id}`)).body.message.status).toBe('sent');
  });
});

describe('availability endpoints', () => {
  it('checks a lead, an address and a list of leads, writing availabilityStatus', async () => {
    const { api } = await roomy.newWorkspace();
    await api('POST', '/api/lines', { firstName: 'Sim', lastName: 'One', provider: 'simulator' });
    const made = await api('POST', '/api/leads', {
      leads: [
        { firstName: 'Yes', phone: '+12125550151' },
        { firstName: 'No', phone: '+12125550160', email: 'noimessage.no@example.com' },
        { firstName: 'Err', phone: '+12125550166' },
      ],
    });
    const [yes, no, err] = made.body.leadIds;
    const one = await api('GET', `/api/leads/check-availability?id=${yes}`);
    expect(one.body).toMatchObject({ success: true, leadId: yes, available: true, status: 'available', ghlContactId: null });
    expect((await api('GET', '/api/leads/check-availability')).body.error).toBe('Lead ID is required');
    const missing = await api('GET', '/api/leads/check-availability?id=0123456789abcdef01234567');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('Lead not found');
    const quick = await api('POST', '/api/leads/check-availability', { address: '(212) 555-0151' });
    expect(quick.body).toEqual({ success: true, available: true, address: '+12125550151' });
    const bulk = await api('POST', '/api/leads/check-availability', { leadIds: [no, err] });
    expect(bulk.body).toMatchObject({ success: true, checked: 2, successful: 1, errors: 1, processingMode: 'synchronous' });
    expect(bulk.body.results).toEqual([
      { leadId: no, available: false, status: 'unavailable' },
      { leadId: err, available: false, status: 'error' },
    ]);
    expect((await api('GET', `/api/leads?id=${no}`)).body.lead.availabilityStatus).toBe('unavailable');
    expect((await api('GET', `/api/leads?id=${err}`)).body.lead.availabilityStatus).toBe('error');
    const any = await api('GET', '/api/check-availability?address=someone@example.com');
    expect(any.body).toMatchObject({ success: true, available: true, address: 'someone@example.com' });
  });

  it('answers the round-robin check with the documented shapes, and 429 with Retry-After when the quota is spent', async () => {
    t.clock.set('2026-03-05T10:00:00Z');
    const { api } = await withLine();
    expect((await api('POST', '/api/check-availability-rr', { phones: ['+12125550171'] })).body).toEqual({ available: true });
    const none = await api('POST', '/api/check-availability-rr', { phones: ['+12125550180'], emails: ['noimessage@example.com'] });
    expect(none.body).toEqual({ available: false, reason: 'Contact not available on iMessage' });
    const empty = await api('POST', '/api/check-availability-rr', { phones: [] });
    expect(empty.status).toBe(400);
    expect(empty.body).toEqual({ available: false, reason: 'No phone or email addresses provided' });
    const spent = await api('POST', '/api/check-availability-rr', { phones: ['+12125550191'] });
    expect(spent.status).toBe(429);
    expect(spent.headers.get('retry-after')).toBe('3600');
    expect(spent.body).toEqual({ available: false, reason: 'Daily availability check quota exhausted' });
    const spentLead = await api('POST', '/api/leads/check-availability', { address: '+12125550192' });
    expect(spentLead.status).toBe(429);
    expect(spentLead.body.error).toBe('Daily availability check quota exhausted');
    // A cached answer costs nothing, even with the quota spent.
    expect((await api('POST', '/api/check-availability-rr', { phones: ['+12125550171'] })).body).toEqual({ available: true });
  });

  it('says so when no line can check iMessage', async () => {
    const { api } = await t.newWorkspace();
    const r = await api('GET', '/api/check-availability?address=%2B12125550171');
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('NO_ACTIVE_LINES');
  });
});
