import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Transaction } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations/index.js';

export type Backend = 'sqlite' | 'postgres';
export type Db = Kysely<Database> | Transaction<Database>;

/** What differs between the backends, as data rather than scattered ifs. */
export interface BackendProfile {
  readonly backend: Backend;
  /** Row locks for claiming work; SQLite has one writer so needs none. */
  readonly claimLock: boolean;
  /** Largest number of bound parameters one statement may carry. */
  readonly maxParams: number;
}

export interface Store {
  readonly db: Kysely<Database>;
  readonly profile: BackendProfile;
  close(): Promise<void>;
}

// int8 columns (epoch-ms times, counts) come back as numbers, not strings.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/** Opens the embedded SQLite file in dataDir, or PostgreSQL when a URL is given. */
export function openStore(opts: { databaseUrl: string | null; dataDir: string; sqliteFile?: string; poolSize?: number }): Store {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 });
    // A pooled connection that errors while idle must not take the process down.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, profile: { backend: 'postgres', claimLock: true, maxParams: 60000 }, close: () => db.destroy() };
  }
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const file = opts.sqliteFile ?? path.join(opts.dataDir, 'tuco.sqlite');
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('cache_size = -65536'); // 64 MB of page cache: imports and scans of large workspaces stay in memory
  sqlite.pragma('foreign_keys = ON');
  // Kysely prepares every statement anew; with one connection, prepared statements can be reused
  // by their SQL text (about an eighth of the engine's time on SQLite was spent preparing).
  const prepared = new Map<string, ReturnType<typeof sqlite.prepare>>();
  const database = {
    prepare(text: string) {
      let stmt = prepared.get(text);
      if (!stmt) {
        if (prepared.size >= 2000) prepared.clear(); // IN lists of every length make many texts
        stmt = sqlite.prepare(text);
        prepared.set(text, stmt);
      }
      return stmt;
    },
    close() {
      prepared.clear();
      sqlite.close();
    },
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return { db, profile: { backend: 'sqlite', claimLock: false, maxParams: 30000 }, close: () => db.destroy() };
}

/** Applies every pending migration in order; safe to call at each start. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Splits rows so one statement stays under the backend's parameter limit. */
export function chunk<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** A page of rows fetched with `limit + 1` (newest first by id): the page and the cursor of the next one. */
export function cursorPage<T extends { id: string }>(rows: T[], limit: number): { rows: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: rows.length > limit ? page[page.length - 1].id : null };
}
