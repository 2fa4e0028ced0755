import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyStore, http, serveNode, type EmptyStore } from './spawn.js';
import { openStore } from '../src/store/db.js';

const KEY = 'tuco_sk_engine_crash_test_0123456789';
const children: ChildProcess[] = [];
const stores: EmptyStore[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const s of stores.splice(0)) await s.drop();
});

/** Starts `tuco serve` on `port`, remembered so it is killed after the test. */
async function serve(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const server = await serveNode([], { PORT: String(port), TUCO_BOOTSTRAP_API_KEY: KEY, TUCO_LEASE_MS: '1000', TUCO_ENGINE_POLL_MS: '20', TUCO_RATE_LIMIT_PER_MINUTE: '100000', ...env });
  children.push(server.child);
  if (!server.url) throw new Error(`tuco serve stopped (${server.code}): ${server.out}`);
  return server.child;
}

const post = (url: string, body: unknown) => http(url, KEY, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('a server killed while sending', () => {
  it('sends every accepted message at most once and leaves none unexplained after a restart', { timeout: 180_000 }, async () => {
    const store = await emptyStore();
    stores.push(store);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const url = `http://127.0.0.1:${port}`;
    let server = await serve(store.env, port);
    expect((await post(`${url}/api/lines`, { firstName: 'Sim', lastName: 'A', provider: 'simulator', dailyNewConversationsLimit: 1000, dailyTotalMessagesLimit: 1000, hourlyNewConversationsLimit: 1000 })).status).toBe(201);
    const ids: string[] = [];
    const sendSome = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const r = await post(`${url}/api/messages`, { message: `n${i}`, messageType: 'sms', recipientPhone: `+1415555${2007 + i * 10}` });
        expect(r.status).toBeLessThan(300);
        ids.push(r.body.message._id);
      }
    };
    await sendSome(0, 100);
    server.kill('SIGKILL'); // mid-stream: the engine has been sending while the requests came in
    await new Promise((r) => server.once('exit', r));
    server = await serve(store.env, port);
    await sendSome(100, 200);

    // Wait (on real time: these are real processes) until every message has settled.
    const deadline = Date.now() + 60_000;
    let open = ids.length;
    while (open > 0 && Date.now() < deadline) {
      const listed = await http(`${url}/api/messages?direction=outbound&limit=500&status=queued,scheduled,pending,sending`, KEY);
      open = listed.body.messages.length;
      if (open) await new Promise((r) => setTimeout(r, 100));
    }
    expect(open).toBe(0);

    const s = openStore({ databaseUrl: store.env.DATABASE_URL ?? null, dataDir: store.dataDir });
    try {
      const history = await s.db.selectFrom('message_events').select(['message_id', 'status']).where('message_id', 'in', ids).execute();
      const events = await s.db.selectFrom('outbox_events').select(['message_id', 'event']).where('message_id', 'in', ids).execute();
      const rows = await s.db.selectFrom('messages').select(['id', 'status', 'error_message']).where('id', 'in', ids).execute();
      for (const m of rows) {
        const sends = history.filter((h) => h.message_id === m.id && h.status === 'sending').length;
        expect(sends, `${m.id} handed to the provider ${sends} times`).toBeLessThanOrEqual(1);
        expect(events.filter((e) => e.message_id === m.id && e.event === 'message.sent').length).toBeLessThanOrEqual(1);
        if (m.status === 'failed') expect(m.error_message).toMatch(/^Send outcome unknown/);
        else expect(['sent', 'delivered']).toContain(m.status);
      }
      expect(rows).toHaveLength(ids.length);
    } finally {
      await s.close();
    }
  });
});
