import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, migrateToLatest, type Store } from '../src/store/db.js';
import type { BenchContext } from './types.js';

/** A fresh, migrated store for one measurement: a new SQLite file, or a new PostgreSQL database. */
export async function benchStore(ctx: BenchContext): Promise<{ store: Store; databaseUrl: string | null; dataDir: string; drop(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tuco-bench-'));
  if (ctx.backend === 'sqlite') {
    const store = openStore({ databaseUrl: null, dataDir });
    await migrateToLatest(store.db);
    return { store, databaseUrl: null, dataDir, drop: async () => { await store.close(); fs.rmSync(dataDir, { recursive: true, force: true }); } };
  }
  if (!ctx.pgAdminUrl) throw new Error('PostgreSQL bench needs pgAdminUrl');
  const name = `tuco_b_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ctx.pgAdminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ctx.pgAdminUrl);
  url.pathname = `/${name}`;
  const store = openStore({ databaseUrl: url.toString(), dataDir, poolSize: 20 });
  await migrateToLatest(store.db);
  return {
    store,
    databaseUrl: url.toString(),
    dataDir,
    async drop() {
      await store.close();
      const c = new pg.Client({ connectionString: ctx.pgAdminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The p-th percentile (0–100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
