import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTuco, type Api, type TestTuco } from './helpers.js';
import { buildEngine } from '../src/engine/engine.js';
import { buildChannels } from '../src/channels/index.js';
import { claimDueMessages } from '../src/engine/claim.js';
import { createLogger } from '../src/logger.js';

let t: TestTuco;
beforeAll(async () => {
  t = await startTestTuco();
});
afterAll(async () => t?.close());

/** Runs engine ticks until nothing more is due now (bounded). */
async function drain(engine = t.engine): Promise<void> {
  for (let i = 0; i < 50; i++) if ((await engine.runOnce()) === 0) return;
  throw new Error('engine did not settle');
}
const at = (iso: string) => Date.parse(iso);

async function setup(lineBody: Record<string, unknown> = {}) {
  const ws = await t.newWorkspace();
  const line = await ws.api('POST', '/api/lines', { firstName: 'Sim', lastName: 'One', provider: 'simulator', phone: '+12125550100', ...lineBody });
  expect(line.status).toBe(201);
  return { ...ws, lineId: line.body.line._id as string };
}
const send = (api: Api, body: Record<string, unknown>, headers?: Record<string, string>) => api('POST', '/api/messages', { message: 'Hi {{firstName}}', ...body }, headers);
const get = async (api: Api, id: string) => (await api('GET', `/api/messages/${id}`)).body.message;

describe('the simulator path', () => {
  it('moves queued → pending → sending → sent → delivered, then read', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api } = await setup();
    const r = await send(api, { recipientPhone: '+12125550123', recipientName: 'Ana Lopez' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ success: true, status: 'queued', duplicateOnly: false });
    const id = r.body.message._id;
    await drain();
    let m = await get(api, id);
    expect(m.status).toBe('sent');
    expect(m.message).toBe('Hi Ana');
    expect(m.sentAt).toBe('2026-03-02T15:00:00.000Z');
    expect(m.holdReason).toBeNull();
    t.clock.advance(1000);
    await drain();
    m = await get(api, id);
    expect(m.status).toBe('delivered');
    expect(m.deliveredAt).toBe('2026-03-02T15:00:01.000Z');
    t.clock.advance(1000);
    await drain();
    m = await get(api, id);
    expect(m.readAt).toBe('2026-03-02T15:00:02.000Z');
    expect(m.history.map((h: any) => h.status)).toEqual(['queued', 'pending', 'sending', 'sent', 'delivered', 'delivered']);
  });

  it('ends as fallback when no address has iMessage, and marks the lead unavailable', async () => {
    const { api } = await setup();
    const r = await send(api, { recipientPhone: '+12125550120', altPhone1: '+12125550130' });
    await drain();
    const m = await get(api, r.body.message._id);
    expect(m.status).toBe('fallback');
    expect(m.checkedAddresses).toEqual(['+12125550120', '+12125550130']);
    expect(m.errorMessage).toMatch(/no iMessage/);
    const lead = await api('GET', `/api/leads?id=${r.body.leadId}`);
    expect(lead.body.lead.availabilityStatus).toBe('unavailable');
    // The same number by SMS goes out.
    const sms = await send(api, { recipientPhone: '+12125550120', messageType: 'sms' });
    expect(sms.status).toBe(200);
    expect(sms.body.duplicateOnly).toBe(true);
    await drain();
    expect((await get(api, sms.body.message._id)).status).toBe('sent');
  });

  it('uses the first iMessage-capable address in order', async () => {
    const { api } = await setup();
    const r = await send(api, { recipientPhone: '+12125550140', altPhone1: '+12125550141' });
    await drain();
    const m = await get(api, r.body.message._id);
    expect(m.status).toBe('sent');
    expect(m.recipientAddress).toBe('+12125550141');
  });

  it('fails with the reason text for a rejected address and for an availability error', async () => {
    const { api } = await setup();
    const rejected = await send(api, { recipientPhone: '+12125550113' });
    const broken = await send(api, { recipientPhone: '+12125550166' });
    const bounce = await send(api, { recipientEmail: 'bounce.me@example.com', messageType: 'email', subject: 'Hello' });
    await drain();
    expect(await get(api, rejected.body.message._id)).toMatchObject({ status: 'failed', errorMessage: 'Recipient address rejected' });
    expect(await get(api, broken.body.message._id)).toMatchObject({ status: 'failed', errorMessage: 'availability API error' });
    expect(await get(api, bounce.body.message._id)).toMatchObject({ status: 'failed', errorMessage: 'Recipient address rejected', subject: 'Hello' });
  });

  it('records replies as received messages, and a STOP reply puts the address on Do Not Contact', async () => {
    t.clock.set('2026-03-02T16:00:00Z');
    const { api } = await setup();
    const interested = await send(api, { recipientPhone: '+12125550142' });
    const stop = await send(api, { recipientPhone: '+12125550199' });
    await drain();
    t.clock.advance(3000);
    await drain();
    const inbound = await api('GET', '/api/messages?direction=inbound');
    const texts = inbound.body.messages.map((m: any) => [m.recipientPhone, m.message, m.status]);
    expect(texts).toContainEqual(['+12125550142', 'Sounds good, tell me more', 'received']);
    expect(texts).toContainEqual(['+12125550199', 'STOP', 'received']);
    expect(inbound.body.messages.find((m: any) => m.recipientPhone === '+12125550142').leadId).toBe(interested.body.leadId);
    const again = await send(api, { recipientPhone: '+12125550199', messageType: 'sms' });
    await drain();
    const m = await get(api, again.body.message._id);
    expect(m.status).toBe('failed');
    expect(m.errorMessage).toMatch(/Do Not Contact/);
    expect(stop.status).toBe(201);
  });

  it('accepts inbound messages injected on a simulator line', async () => {
    const { api, lineId } = await setup();
    const r = await api('POST', '/api/simulator/inbound', { lineId, from: '(212) 555-0177', text: 'Hello?' });
    expect(r.status).toBe(201);
    expect(r.body.message).toMatchObject({ status: 'received', direction: 'inbound', recipientPhone: '+12125550177', message: 'Hello?', leadId: null });
    const bad = await api('POST', '/api/simulator/inbound', { lineId, from: 'nobody', text: 'x' });
    expect(bad.status).toBe(400);
  });
});

describe('holds explain themselves', () => {
  it('holds a message outside its window with the reason and the instant it opens, then sends it then', async () => {
    t.clock.set('2026-03-02T12:00:00Z'); // 07:00 in New York
    const { api } = await setup();
    const r = await send(api, { recipientPhone: '+12125550123', timezone: 'America/New_York', sendWindowStart: '09:00', sendWindowEnd: '17:00' });
    expect(r.body.status).toBe('queued');
    await drain();
    let m = await get(api, r.body.message._id);
    expect(m).toMatchObject({ status: 'queued', holdReason: 'outside_send_window', eligibleAt: '2026-03-02T14:00:00.000Z' });
    expect(m.settings).toEqual({ timezone: 'America/New_York', sendWindowStart: '09:00', sendWindowEnd: '17:00' });
    t.clock.set('2026-03-02T13:59:59Z');
    await drain();
    expect((await get(api, r.body.message._id)).status).toBe('queued');
    t.clock.set('2026-03-02T14:00:00Z');
    await drain();
    m = await get(api, r.body.message._id);
    expect(m.status).toBe('sent');
    expect(m.holdReason).toBeNull();
  });

  it('keeps a scheduled message scheduled until its date', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api } = await setup();
    const r = await send(api, { recipientPhone: '+12125550123', scheduledDate: '2026-03-03T10:00:00Z' });
    expect(r.body.status).toBe('scheduled');
    expect(r.body.message).toMatchObject({ holdReason: 'scheduled_for_later', eligibleAt: '2026-03-03T10:00:00.000Z' });
    t.clock.set('2026-03-03T10:00:00Z');
    await drain();
    expect((await get(api, r.body.message._id)).status).toBe('sent');
  });

  it('holds at the daily total limit until the UTC reset and shows usage on the line', async () => {
    t.clock.set('2026-03-02T23:59:00Z');
    const { api, lineId } = await setup({ dailyTotalMessagesLimit: 2 });
    const ids = [];
    for (const n of ['21', '22', '23']) ids.push((await send(api, { recipientPhone: `+121255501${n}` })).body.message._id);
    await drain();
    const statuses = await Promise.all(ids.map((id) => get(api, id)));
    expect(statuses.map((m) => m.status).sort()).toEqual(['queued', 'sent', 'sent']);
    const held = statuses.find((m) => m.status === 'queued');
    expect(held).toMatchObject({ holdReason: 'line_daily_total_limit', eligibleAt: '2026-03-03T00:00:00.000Z' });
    const lines = await api('GET', '/api/lines/by-user');
    const line = lines.body.lines.find((l: any) => l._id === lineId);
    expect(line.usage).toMatchObject({ date: '2026-03-02', newConversationsCount: 2, totalMessagesCount: 2 });
    t.clock.set('2026-03-03T00:00:00Z');
    await drain();
    expect((await get(api, held._id)).status).toBe('sent');
    const after = (await api('GET', '/api/lines/by-user')).body.lines.find((l: any) => l._id === lineId);
    expect(after.usage).toMatchObject({ date: '2026-03-03', newConversationsCount: 1, totalMessagesCount: 1 });
  });

  it('spaces sends on a line by minSendIntervalMs', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api } = await setup({ minSendIntervalMs: 5000 });
    const a = await send(api, { recipientPhone: '+12125550121' });
    const b = await send(api, { recipientPhone: '+12125550122' });
    await drain();
    const [ma, mb] = [await get(api, a.body.message._id), await get(api, b.body.message._id)];
    const heldOne = [ma, mb].find((m) => m.status === 'queued');
    expect(heldOne).toMatchObject({ holdReason: 'line_send_interval', eligibleAt: '2026-03-02T15:00:05.000Z' });
    t.clock.advance(5000);
    await drain();
    expect((await get(api, heldOne._id)).status).toBe('sent');
  });

  it('holds messages when the only line is inactive, and sends once a line is activated', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api, lineId } = await setup();
    const r = await send(api, { recipientPhone: '+12125550123' });
    await api('PATCH', `/api/lines/${lineId}`, { isActive: false });
    await drain();
    expect(await get(api, r.body.message._id)).toMatchObject({ status: 'queued', holdReason: 'no_usable_line' });
    await api('PATCH', `/api/lines/${lineId}`, { isActive: true });
    await drain();
    expect((await get(api, r.body.message._id)).status).toBe('sent');
  });

  it('holds a read-only workspace’s messages and sends them when billing is active again', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api, workspaceId } = await setup();
    const r = await send(api, { recipientPhone: '+12125550123' });
    await t.admin('PUT', `/admin/workspaces/${workspaceId}/billing`, { status: 'past_due' });
    await drain();
    expect(await get(api, r.body.message._id)).toMatchObject({ status: 'queued', holdReason: 'workspace_read_only' });
    await t.admin('PUT', `/admin/workspaces/${workspaceId}/billing`, { status: 'active' });
    await drain();
    expect((await get(api, r.body.message._id)).status).toBe('sent');
  });
});

describe('line choice', () => {
  it('keeps a recipient on the line that already talks to them, else picks the line with most room', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api, lineId: first } = await setup({ dailyNewConversationsLimit: 10 });
    const second = (await api('POST', '/api/lines', { firstName: 'Sim', lastName: 'Two', provider: 'simulator', dailyNewConversationsLimit: 50 })).body.line._id;
    const a = await send(api, { recipientPhone: '+12125550121' });
    await drain();
    const firstLine = (await get(api, a.body.message._id)).fromLineId;
    expect(firstLine).toBe(second); // more remaining capacity
    // Fill the second line's daily total so another line has more room; the recipient still sticks.
    await api('PATCH', `/api/lines/${second}`, { dailyTotalMessagesLimit: 5 });
    const b = await send(api, { recipientPhone: '+12125550121' });
    await drain();
    expect((await get(api, b.body.message._id)).fromLineId).toBe(second);
    const c = await send(api, { recipientPhone: '+12125550122', fromLineId: first });
    await drain();
    expect((await get(api, c.body.message._id)).fromLineId).toBe(first);
  });
});

describe('never twice, never lost', () => {
  it('releases a message claimed by a worker that died, after its lease, and sends it once', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api } = await setup();
    const r = await send(api, { recipientPhone: '+12125550123' });
    const grabbed = await claimDueMessages(t.store.db, t.store.profile, { now: t.clock.now(), limit: 10, workerId: 'dead-worker', leaseMs: t.config.leaseMs });
    expect(grabbed.map((m) => m.id)).toContain(r.body.message._id);
    await drain();
    expect((await get(api, r.body.message._id)).status).toBe('queued');
    t.clock.advance(t.config.leaseMs);
    await drain();
    const m = await get(api, r.body.message._id);
    expect(m.status).toBe('sent');
    expect(m.history.filter((h: any) => h.status === 'sending')).toHaveLength(1);
  });

  it('never re-sends a message whose worker died after handing it to the provider', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api } = await setup();
    const r = await send(api, { recipientPhone: '+12125550123' });
    const id = r.body.message._id;
    // A worker records the attempt (status sending) and dies before recording the outcome.
    await claimDueMessages(t.store.db, t.store.profile, { now: t.clock.now(), limit: 10, workerId: 'dead-worker', leaseMs: t.config.leaseMs });
    await t.store.db.updateTable('messages').set({ status: 'sending', send_started_at: t.clock.now(), attempt_count: 1 }).where('id', '=', id).execute();
    t.clock.advance(t.config.leaseMs);
    await drain();
    const m = await get(api, id);
    expect(m.status).toBe('failed');
    expect(m.errorMessage).toMatch(/Send outcome unknown/);
    expect(m.sentAt).toBeNull();
  });

  it('sends each message once with two engines racing, and never beyond the line limit', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api, lineId } = await setup({ dailyTotalMessagesLimit: 30, dailyNewConversationsLimit: 30 });
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await send(api, { recipientPhone: `+1212555${3000 + i * 10 + 7}`, messageType: 'sms' })).body.message._id);
    const logger = createLogger('silent');
    const other = buildEngine({ store: t.store, clock: t.clock, logger, config: t.config, channels: buildChannels({ config: t.config, clock: t.clock, logger }), workerId: 'second-worker' });
    await Promise.all([drain(t.engine), drain(other)]);
    const rows = await t.store.db.selectFrom('messages').select(['id', 'status']).where('id', 'in', ids).execute();
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(30);
    expect(rows.filter((r) => r.status === 'queued')).toHaveLength(10);
    const sendingEvents = await t.store.db.selectFrom('message_events').select(['message_id']).where('message_id', 'in', ids).where('status', '=', 'sent').execute();
    expect(new Set(sendingEvents.map((e) => e.message_id)).size).toBe(sendingEvents.length);
    const line = (await api('GET', `/api/lines/${lineId}`)).body.line;
    expect(line.usage.totalMessagesCount).toBe(30);
  });

  it('fires an outbox event in the same transaction as each status change', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api, workspaceId } = await setup();
    const r = await send(api, { recipientPhone: '+12125550123' });
    await drain();
    t.clock.advance(2000);
    await drain();
    const events = await t.store.db.selectFrom('outbox_events').selectAll().where('workspace_id', '=', workspaceId).orderBy('id').execute();
    expect(events.map((e) => e.event)).toEqual(['message.sent', 'message.delivered', 'message.opened']);
    expect(JSON.parse(events[0].payload)).toMatchObject({ _id: r.body.message._id, status: 'sent' });
  });
});

describe('fallback to another channel', () => {
  it('sends the same content by SMS when iMessage is not available and fallbackChannel is sms', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api } = await setup();
    const r = await send(api, { recipientPhone: '+12125550150', recipientName: 'Bo', fallbackChannel: 'sms' });
    await drain();
    const original = await get(api, r.body.message._id);
    expect(original.status).toBe('fallback');
    const all = (await api('GET', `/api/messages?leadId=${r.body.leadId}`)).body.messages;
    const follow = all.find((m: any) => m.fallbackOf === original._id);
    expect(follow).toMatchObject({ messageType: 'sms', status: 'sent', message: 'Hi Bo', recipientPhone: '+12125550150' });
  });

  it('sends an SMS when a message fails and sendFallbackSmsOnFailed is set', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api } = await setup();
    const r = await send(api, { recipientPhone: '+12125550166', sendFallbackSmsOnFailed: true });
    await drain();
    expect((await get(api, r.body.message._id)).status).toBe('failed');
    const follow = (await api('GET', `/api/messages?leadId=${r.body.leadId}`)).body.messages.find((m: any) => m.fallbackOf === r.body.message._id);
    expect(follow).toMatchObject({ messageType: 'sms', status: 'sent' });
  });
});

describe('the rest of the simulator table', () => {
  it('leaves a number ending 14 sent and never delivered, and falls back for an email without iMessage', async () => {
    t.clock.set('2026-03-02T15:00:00Z');
    const { api } = await setup();
    const silent = await send(api, { recipientPhone: '+12125550114' });
    const mail = await send(api, { recipientEmail: 'noimessage.kim@example.com' });
    await drain();
    t.clock.advance(60_000);
    await drain();
    expect(await get(api, silent.body.message._id)).toMatchObject({ status: 'sent', deliveredAt: null });
    expect(await get(api, mail.body.message._id)).toMatchObject({ status: 'fallback', checkedAddresses: ['noimessage.kim@example.com'] });
  });
});
