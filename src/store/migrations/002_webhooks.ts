import type { Kysely } from 'kysely';

/** Webhook endpoints, deliveries and the attempt log. */
export async function up(_db: Kysely<any>): Promise<void> {}

export async function down(): Promise<void> {
  throw new Error('Tuco migrations only move forward');
}
