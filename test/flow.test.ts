import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startTestTuco, type TestTuco } from './helpers.js';
import { startReceiver, createWebhook, type Receiver } from './webhookHelpers.js';

let t: TestTuco;
let rx: Receiver;
beforeAll(async () => {
  t = await startTestTuco();
  rx = await startReceiver(200);
});
afterAll(async () => {
  await rx?.close();
  await t?.close();
});

/** Engine and webhook worker ticks until both are idle at this instant. */
async function settle() {
  for (let i = 0; i < 50; i++) {
    const n = (await t.engine.runOnce()) + (await t.webhooks.runOnce());
    if (n === 0) return;
  }
}

describe('an API send, end to end', () => {
  it('fires signed events for every outcome and shows them on the lead timeline', async () => {
    // Real time: receivers check webhook-timestamp against their own clock.
    t.clock.set(Date.now());
    const { api, workspaceId } = await t.newWorkspace();
    await api('POST', '/api/lines', { firstName: 'Sim', lastName: 'One', provider: 'simulator' });
    const hook = await createWebhook(api, `${rx.url}/tuco`, ['message.sent', 'message.delivered', 'message.failed', 'message.fallback', 'message.opened', 'message.reply']);
    const ok = await api('POST', '/api/messages', { message: 'Hi {{firstName}}', recipientPhone: '+12125550142', recipientName: 'Ana' });
    const noImessage = await api('POST', '/api/messages', { message: 'Hi', recipientPhone: '+12125550150' });
    const rejected = await api('POST', '/api/messages', { message: 'Hi', recipientPhone: '+12125550113' });
    await settle();
    t.clock.advance(1000);
    await settle();
    t.clock.advance(2000);
    await settle();

    const mine = rx.received.filter((r) => r.json?.workspaceId === workspaceId);
    const byEvent = (e: string) => mine.filter((r) => r.json.event === e).map((r) => r.json.data);
    expect(byEvent('message.sent').map((d) => d._id)).toEqual([ok.body.message._id]);
    expect(byEvent('message.sent')[0]).toMatchObject({ status: 'sent', message: 'Hi Ana', recipientPhone: '+12125550142' });
    expect(byEvent('message.delivered').map((d) => d._id)).toEqual([ok.body.message._id]);
    expect(byEvent('message.fallback')[0]).toMatchObject({ _id: noImessage.body.message._id, status: 'fallback', checkedAddresses: ['+12125550150'], reason: 'The recipient has no iMessage on any address' });
    expect(byEvent('message.failed')[0]).toMatchObject({ _id: rejected.body.message._id, errorMessage: 'Recipient address rejected' });
    expect(byEvent('message.reply')[0]).toMatchObject({ leadId: ok.body.leadId, message: 'Sounds good, tell me more', parentMessages: [{ messageId: ok.body.message._id }] });
    expect(mine.map((r) => r.json.sequence)).toEqual(mine.map((_, i) => i + 1));

    const wh = new Webhook(hook.secret);
    for (const r of mine) {
      expect(() => wh.verify(r.body, r.headers)).not.toThrow();
      expect(r.headers['x-tuco-signature']).toBe(createHmac('sha256', hook.secret).update(r.body).digest('hex'));
      expect(r.headers['x-tuco-event']).toBe(r.json.event);
    }

    const timeline = await api('GET', `/api/leads/${ok.body.leadId}/timeline`);
    expect(timeline.status).toBe(200);
    const [out, reply] = timeline.body.messages;
    expect(out.history.map((h: any) => h.status)).toEqual(['queued', 'pending', 'sending', 'sent', 'delivered']);
    expect(out.webhookDeliveries.map((d: any) => [d.event, d.status, d.lastStatusCode])).toEqual([
      ['message.sent', 'succeeded', 200],
      ['message.delivered', 'succeeded', 200],
    ]);
    expect(reply).toMatchObject({ direction: 'inbound', status: 'received', message: 'Sounds good, tell me more' });
    expect(reply.webhookDeliveries.map((d: any) => d.event)).toEqual(['message.reply']);
    expect((await (await t.newWorkspace()).api('GET', `/api/leads/${ok.body.leadId}/timeline`)).status).toBe(404);
  });
});

describe('webhook analytics', () => {
  it('counts deliveries and attempts per endpoint, with success rate and latency', async () => {
    t.clock.set(Date.now());
    const { api } = await t.newWorkspace();
    await api('POST', '/api/lines', { firstName: 'Sim', lastName: 'One', provider: 'simulator' });
    const hook = await createWebhook(api, `${rx.url}/stats`, ['message.sent']);
    await api('POST', '/api/messages', { message: 'Hi', recipientPhone: '+12125550123' });
    await api('POST', '/api/messages', { message: 'Hi', recipientPhone: '+12125550124' });
    await settle();
    const r = await api('GET', '/api/analytics/webhooks');
    expect(r.status).toBe(200);
    expect(r.body.webhooks).toEqual([
      expect.objectContaining({ id: hook.id, isActive: true, deliveries: { pending: 0, succeeded: 2, failed: 0 }, attempts: 2, successRate: 1 }),
    ]);
    expect(r.body.webhooks[0].averageLatencyMs).toBeGreaterThanOrEqual(0);
  });
});
