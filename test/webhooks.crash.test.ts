import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, freshStore, TEST_BACKEND } from './helpers.js';
import { fireEvents, startReceiver, type Receiver } from './webhookHelpers.js';
import { defaultWorkspace } from '../src/store/workspaces.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KEY = 'tuco_sk_crashtest_0123456789abcdef';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** `tuco serve` as a child process in its own process group, so SIGKILL reaches tsx's child too. */
async function serve(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['src/cli/main.ts', 'serve'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, PORT: String(port), HOST: '127.0.0.1' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tuco serve exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > until) throw new Error(`tuco serve did not start within 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* already gone */
  }
  await exited;
}

const children: ChildProcess[] = [];
let rcv: Receiver | undefined;
let fresh: Awaited<ReturnType<typeof freshStore>> | undefined;
afterAll(async () => {
  for (const c of children) await kill(c, 'SIGKILL');
  await rcv?.close();
  await fresh?.store.close();
  await fresh?.drop();
});

describe(`webhooks across a crash (${TEST_BACKEND})`, () => {
  it('loses no event when the server is killed with deliveries in flight and started again', async () => {
    fresh = await freshStore();
    const port = await freePort();
    const env: Record<string, string> = {
      TUCO_DATA_DIR: fresh.dataDir,
      TUCO_BOOTSTRAP_API_KEY: KEY,
      TUCO_WEBHOOK_ALLOW_PRIVATE: '1',
      TUCO_WEBHOOK_TIMEOUT_MS: '2000',
      LOG_LEVEL: process.env.TUCO_TEST_LOG ?? 'warn',
      ...(fresh.databaseUrl ? { DATABASE_URL: fresh.databaseUrl } : {}),
    };
    rcv = await startReceiver('hang');
    const first = await serve(env, port);
    children.push(first);
    const api = apiClient(`http://127.0.0.1:${port}`, KEY);
    const created = await api('POST', '/api/webhooks', { url: rcv.url, events: ['message.sent'], name: 'Survivor' });
    expect(created.status).toBe(201);
    const workspaceId = (await defaultWorkspace(fresh.store.db))!.id;

    const before = await fireEvents(fresh.store, workspaceId, 30, Date.now());
    await rcv.waitFor((r) => r.received.length >= 4); // requests in flight, none answered
    await kill(first, 'SIGKILL');

    // Events keep firing while no worker runs; the outbox keeps them.
    const during = await fireEvents(fresh.store, workspaceId, 10, Date.now());
    rcv.answerWith(200);
    const second = await serve(env, port);
    children.push(second);
    const all = new Set([...before, ...during]);
    await rcv.waitFor((r) => [...all].every((id) => r.acknowledged().has(id)), 45_000);

    // The server logs an attempt just after the receiver answered it.
    const logged = async () => fresh!.store.db.selectFrom('webhook_deliveries').select(['event_id', 'status', 'sequence']).execute();
    let rows = await logged();
    for (const until = Date.now() + 10_000; rows.some((r) => r.status !== 'succeeded') && Date.now() < until; rows = await logged()) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows).toHaveLength(40);
    expect(rows.filter((r) => r.status !== 'succeeded')).toEqual([]);
    expect(rows.map((r) => Number(r.sequence)).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // At least once: a request cut off by the crash may arrive twice, always with the same id.
    for (const r of rcv.received) {
      expect(all.has(r.json.eventId)).toBe(true);
      expect(r.headers['webhook-id']).toBe(r.json.eventId);
    }
    await kill(second, 'SIGTERM');
  });
});
