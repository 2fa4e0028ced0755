import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, migrateToLatest, type Store } from '../src/store/db.js';

/** A new, empty PostgreSQL database on the server of `adminUrl` (a superuser URL), and how to drop it. */
export async function scratchPostgres(adminUrl: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const run = async (statement: string) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(statement);
    } finally {
      await c.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** A fresh, migrated store: a new SQLite file in a temporary folder, or a new PostgreSQL database. `drop()` closes and removes it. */
export async function scratchStore(opts: { backend: 'sqlite' | 'postgres'; pgAdminUrl?: string; prefix: string; poolSize?: number }): Promise<{
  store: Store;
  databaseUrl: string | null;
  dataDir: string;
  drop(): Promise<void>;
}> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${opts.prefix}-`));
  let scratch: Awaited<ReturnType<typeof scratchPostgres>> | null = null;
  if (opts.backend === 'postgres') {
    if (!opts.pgAdminUrl) throw new Error('A PostgreSQL scratch store needs a superuser URL (TUCO_TEST_PG_URL for tests; scripts/test.sh and bench/run.ts set one)');
    scratch = await scratchPostgres(opts.pgAdminUrl, opts.prefix.replace(/\W/g, '_'));
  }
  const opened = openStore({ databaseUrl: scratch?.url ?? null, dataDir, poolSize: opts.poolSize });
  await migrateToLatest(opened.db);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await opened.close();
  };
  return {
    store: { ...opened, close },
    databaseUrl: scratch?.url ?? null,
    dataDir,
    async drop() {
      await close();
      await scratch?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
