import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scratchPostgres } from '../test/scratchDb.js';
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
  const scratch = await scratchPostgres(ctx.pgAdminUrl, 'tuco_b');
  const store = openStore({ databaseUrl: scratch.url, dataDir, poolSize: 20 });
  await migrateToLatest(store.db);
  return {
    store,
    databaseUrl: scratch.url,
    dataDir,
    async drop() {
      await store.close();
      await scratch.drop();
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
