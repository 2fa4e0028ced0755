import type { Kysely } from 'kysely';

/** Cached iMessage availability per address, per workspace. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('availability_cache')
    .addColumn('workspace_id', 'varchar(24)', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('capable', 'integer', (c) => c.notNull())
    .addColumn('checked_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('availability_cache_pk', ['workspace_id', 'address'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Tuco migrations only move forward');
}
