import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyStore, http, serve, tuco, type EmptyStore } from './spawn.js';

let store: EmptyStore;
beforeAll(async () => {
  store = await emptyStore();
});
afterAll(async () => store?.drop());

const KEY = /^(tuco_sk_[\w-]+)$/m;
const ID = /\b([0-9a-f]{24})\b/;

// Each case spawns processes (about 1–3 s each on a busy machine); the timeout only guards against a hang.
describe('tuco CLI', { timeout: 180_000 }, () => {
  it('migrates an empty store, and then says it is up to date', async () => {
    const first = await tuco(['migrate'], store.env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Applied: 001_foundation, 002_webhooks/);
    const again = await tuco(['migrate'], store.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('The database is up to date.\n');
  });

  it('explains that keys need a workspace when there is none yet', async () => {
    const res = await tuco(['keys', 'create'], store.env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/No workspace yet/);
    expect(res.stderr).toContain('tuco workspace create');
    expect((await tuco(['workspace', 'list'], store.env)).stdout).toBe('');
  });

  // Later tests build on the workspaces and keys made by earlier ones, as a user's session would.
  const made = { acmeId: '', acmeKey: '', betaId: '', crmId: '', crmKey: '', betaKey: '', betaKeyId: '' };

  it('creates workspaces, each with a key shown once, and lists them', async () => {
    const acme = await tuco(['workspace', 'create', 'Acme Outreach'], store.env);
    expect(acme.code).toBe(0);
    made.acmeId = ID.exec(acme.stdout)![1];
    made.acmeKey = KEY.exec(acme.stdout)![1];
    expect(acme.stdout).toContain('Acme Outreach');
    expect(acme.stdout).toMatch(/shown once/);
    const beta = await tuco(['workspace', 'create', 'Beta'], store.env);
    made.betaId = ID.exec(beta.stdout)![1];

    const listed = await tuco(['workspace', 'list'], store.env);
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trim().split('\n');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(new RegExp(`^${made.acmeId}\\s+active\\s+Acme Outreach$`));
    expect(rows[1]).toMatch(new RegExp(`^${made.betaId}\\s+active\\s+Beta$`));
  });

  it('creates keys (in the first workspace unless told otherwise) and lists them without the key', async () => {
    const crm = await tuco(['keys', 'create', '--name', 'CRM sync'], store.env);
    expect(crm.code).toBe(0);
    expect(crm.stdout).toContain(made.acmeId);
    made.crmKey = KEY.exec(crm.stdout)![1];
    made.crmId = ID.exec(crm.stdout)![1];
    const beta = await tuco(['keys', 'create', '--workspace', made.betaId, '--name', 'Beta key'], store.env);
    expect(beta.stdout).toContain(made.betaId);
    made.betaKey = KEY.exec(beta.stdout)![1];
    made.betaKeyId = ID.exec(beta.stdout)![1];

    const keys = await tuco(['keys', 'list', '--workspace', made.acmeId], store.env);
    expect(keys.code).toBe(0);
    expect(keys.stdout).toMatch(new RegExp(`^${made.crmId}\\s+tuco_sk_\\S{4}…\\s+active\\s+CRM sync$`, 'm'));
    expect(keys.stdout.trim().split('\n')).toHaveLength(2);
    for (const plain of [made.acmeKey, made.crmKey, made.betaKey]) expect(keys.stdout).not.toContain(plain);
  });

  it('a created key works over HTTP against a server on that store, until it is revoked', async () => {
    const server = await serve(store.env);
    try {
      expect(server.firstKey).toBeNull();
      const lines = await http(`${server.url}/api/lines/by-user`, made.crmKey);
      expect(lines).toEqual({ status: 200, body: { lines: [] } });
      const list = await http(`${server.url}/api/lists`, made.crmKey, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'From the CLI key' }),
      });
      expect(list.status).toBe(201);
      expect(list.body.list.workspaceId).toBe(made.acmeId);
      // The Beta key sees Beta only.
      expect((await http(`${server.url}/api/lists/${list.body.list._id}`, made.betaKey)).status).toBe(404);

      const revoked = await tuco(['keys', 'revoke', made.crmId], store.env);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toBe(`Revoked ${made.crmId}\n`);
      // The running server refuses the key at once; the workspace's other key still works.
      expect((await http(`${server.url}/api/lists`, made.crmKey)).status).toBe(401);
      expect((await http(`${server.url}/api/lists`, made.acmeKey)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('shows a revoked key as revoked, and refuses to revoke it again, across workspaces, or in an unknown one', async () => {
    const after = await tuco(['keys', 'list'], store.env);
    expect(after.stdout).toMatch(new RegExp(`^${made.crmId}\\s+\\S+\\s+revoked\\s+CRM sync$`, 'm'));
    const twice = await tuco(['keys', 'revoke', made.crmId], store.env);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`No active key ${made.crmId}`);
    // A key of another workspace cannot be revoked through this one.
    expect((await tuco(['keys', 'revoke', made.betaKeyId, '--workspace', made.acmeId], store.env)).code).toBe(1);
    const unknownWs = await tuco(['keys', 'list', '--workspace', '0123456789abcdef01234567'], store.env);
    expect(unknownWs.code).toBe(1);
    expect(unknownWs.stderr).toContain('tuco workspace list');
  });

  it('refuses to run with bad settings, listing each one', async () => {
    const res = await tuco(['migrate'], { ...store.env, DATABASE_URL: 'mysql://localhost/tuco', TUCO_ADMIN_TOKEN: 'short' });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('DATABASE_URL');
    expect(res.stderr).toContain('TUCO_ADMIN_TOKEN');
  });

  it('prints help for unknown commands', async () => {
    const res = await tuco(['frobnicate'], store.env);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/unknown command/i);
    const help = await tuco(['--help'], store.env);
    for (const cmd of ['serve', 'migrate', 'keys', 'workspace']) expect(help.stdout).toContain(cmd);
  });
});
