import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_BACKEND } from './helpers.js';
import { emptyStore, http, serveNode, type EmptyStore, type NodeServer } from './spawn.js';

const KEY = 'tuco_sk_roles_test_key_0123456789';
const children: ChildProcess[] = [];
const stores: EmptyStore[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const s of stores.splice(0)) await s.drop();
});

/** Starts `tuco serve --role <role>` and remembers it, to be killed after the test. */
async function start(role: string, env: Record<string, string>): Promise<NodeServer> {
  const server = await serveNode(['--role', role], { PORT: '0', TUCO_BOOTSTRAP_API_KEY: KEY, TUCO_SIM_DELIVERY_MS: '200', ...env });
  children.push(server.child);
  return server;
}

/** Reads the message until it reaches `status` (the engine runs on real timers in these processes). */
async function until(url: string, id: string, status: string): Promise<any> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const m = (await http(`${url}/api/messages/${id}`, KEY)).body.message;
    if (m.status === status || Date.now() > deadline) return m;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function sendOne(url: string) {
  const line = await http(`${url}/api/lines`, KEY, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ firstName: 'Sim', lastName: 'Line', provider: 'simulator' }) });
  expect(line.status).toBe(201);
  const sent = await http(`${url}/api/messages`, KEY, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Hi {{firstName}}', recipientPhone: '+12125550123', recipientName: 'Ana' }) });
  expect(sent.status).toBe(201);
  return sent.body.message._id as string;
}

describe('process roles', () => {
  it('one process (the default) sends and delivers a message on a simulator line', async () => {
    const store = await emptyStore();
    stores.push(store);
    const { url } = await start('all', store.env);
    expect(url).not.toBeNull();
    const id = await sendOne(url!);
    const m = await until(url!, id, 'delivered');
    expect(m.status).toBe('delivered');
    expect(m.message).toBe('Hi Ana');
  });

  it(TEST_BACKEND === 'postgres' ? 'an API process and a separate worker process share the work on PostgreSQL' : 'a separate worker refuses to start on the embedded SQLite store', async () => {
    const store = await emptyStore();
    stores.push(store);
    if (TEST_BACKEND === 'sqlite') {
      const w = await start('worker', store.env);
      expect(w.code).not.toBe(0);
      expect(w.out).toMatch(/needs a shared store: set DATABASE_URL/);
      return;
    }
    const api = await start('api', store.env);
    expect(api.url).not.toBeNull();
    const id = await sendOne(api.url!);
    const queued = (await http(`${api.url}/api/messages/${id}`, KEY)).body.message;
    expect(queued.status).toBe('queued');
    const worker = await start('worker', store.env);
    expect(worker.out).toMatch(/worker only, no HTTP/);
    const m = await until(api.url!, id, 'delivered');
    expect(m.status).toBe('delivered');
  });
});
