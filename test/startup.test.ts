import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_BACKEND } from './helpers.js';
import { emptyStore, http, serve, tuco, type EmptyStore, type Served } from './spawn.js';

const stores: EmptyStore[] = [];
const servers: Served[] = [];
const fresh = async () => {
  const s = await emptyStore();
  stores.push(s);
  return s;
};
const start = async (env: Record<string, string>) => {
  const s = await serve(env);
  servers.push(s);
  return s;
};
afterEach(async () => {
  for (const s of servers.splice(0)) if (s.child.exitCode === null) await s.stop();
  for (const s of stores.splice(0)) await s.drop();
});

// Each case spawns servers (a few seconds each on a busy machine); the timeout only guards against a hang.
describe('tuco serve', { timeout: 180_000 }, () => {
  it('on first start migrates, prints where it runs and the first API key once; later starts print no key', async () => {
    const store = await fresh();
    const first = await start(store.env);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const where = TEST_BACKEND === 'sqlite' ? `SQLite in ${store.dataDir}` : 'PostgreSQL';
    expect(first.banner).toContain(`Tuco is running at ${first.url} on ${where}`);
    expect(first.banner).toContain('shown once');
    expect(first.firstKey).toMatch(/^tuco_sk_[\w-]{20,}$/);
    expect(first.banner.split(first.firstKey!).length - 1).toBe(2); // the key, and the curl example using it
    if (TEST_BACKEND === 'sqlite') expect(fs.existsSync(path.join(store.dataDir, 'tuco.sqlite'))).toBe(true);

    expect((await http(`${first.url}/healthz`)).body).toEqual({ status: 'ok' });
    expect((await http(`${first.url}/readyz`)).body).toMatchObject({ status: 'ready', store: TEST_BACKEND });
    expect(await http(`${first.url}/api/lines/by-user`, first.firstKey!)).toEqual({ status: 200, body: { lines: [] } });
    const lists = await http(`${first.url}/api/lists`, first.firstKey!);
    expect(lists.body.lists.map((l: any) => l.name)).toEqual(['Quick Sends']);
    expect(await first.stop()).toBe(0);

    const second = await start(store.env);
    expect(second.firstKey).toBeNull();
    expect(second.banner).not.toContain('tuco_sk_');
    expect((await http(`${second.url}/api/lists`, first.firstKey!)).status).toBe(200);
    expect((await http(`${second.url}/api/api-keys`, first.firstKey!)).body.apiKeys).toHaveLength(1);
    expect(await second.stop()).toBe(0);

    expect((await tuco(['migrate'], store.env)).stdout).toBe('The database is up to date.\n');
    expect((await tuco(['workspace', 'list'], store.env)).stdout).toMatch(/^[0-9a-f]{24}\s+active\s+Default workspace\n$/);
  });

  it('creates TUCO_BOOTSTRAP_API_KEY instead of printing a key, once', async () => {
    const store = await fresh();
    const key = 'tuco_sk_bootstrap_for_tests_0123456789';
    const env = { ...store.env, TUCO_BOOTSTRAP_API_KEY: key };
    const first = await start(env);
    expect(first.firstKey).toBeNull();
    expect(first.banner).not.toContain('tuco_sk_');
    expect((await http(`${first.url}/api/lines/by-user`, key)).status).toBe(200);
    expect(await first.stop()).toBe(0);

    const second = await start(env);
    const keys = (await http(`${second.url}/api/api-keys`, key)).body.apiKeys;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ name: 'Bootstrap key', isActive: true });
    expect((await http(`${second.url}/api/lists`, 'tuco_sk_some_other_key_0123456789')).status).toBe(401);
  });

  it('refuses to start with bad settings, listing every problem, and listens nowhere', async () => {
    const store = await fresh();
    const res = await tuco(['serve'], { ...store.env, PORT: 'abc', LOG_LEVEL: 'loud', TUCO_PUBLIC_URL: 'not a url' });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('Tuco cannot start');
    expect(res.stderr).toContain('PORT="abc"');
    expect(res.stderr).toContain('LOG_LEVEL');
    expect(res.stderr).toContain('TUCO_PUBLIC_URL');
    expect(res.stderr.trim().split('\n').filter((l) => l.trim().startsWith('- '))).toHaveLength(3);
  });

  it('says why it cannot start when the database cannot be reached', async () => {
    const store = await fresh();
    const res = await tuco(['serve'], { ...store.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nothing' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Tuco could not start: connect ECONNREFUSED');
  });

  it('binds to HOST and answers on the printed URL', async () => {
    const store = await fresh();
    const s = await start({ ...store.env, HOST: '127.0.0.1', TUCO_PUBLIC_URL: 'https://tuco.example.com' });
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const line = await http(`${s.url}/api/lines`, s.firstKey!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ firstName: 'B', lastName: 'B', provider: 'bluebubbles', providerSettings: { serverUrl: 'https://bb.example.com', password: 'pw-0123456789' } }),
    });
    expect(line.status).toBe(201);
    // Callback URLs use the public URL the operator configured, not the bind address.
    expect(line.body.line.providerCallbacks.events).toMatch(/^https:\/\/tuco\.example\.com\/hooks\/bluebubbles\//);
  });
});
