import type { Kysely } from 'kysely';
import type { Database, JobRow, MessageRow } from '../store/schema.js';
import type { BackendProfile } from '../store/db.js';

/**
 * Claims up to `limit` messages whose next_attempt_at has come, leasing them to `workerId` by
 * pushing next_attempt_at to the lease end. A worker that dies leaves the lease to run out, and
 * the message comes due again. Held messages sit in the same index with a future
 * next_attempt_at, so they are never read by this query: a tick costs the same with a million
 * held messages as with none.
 */
export async function claimDueMessages(
  db: Kysely<Database>,
  profile: BackendProfile,
  opts: { now: number; limit: number; workerId: string; leaseMs: number },
): Promise<MessageRow[]> {
  return db
    .updateTable('messages')
    .set({ next_attempt_at: opts.now + opts.leaseMs, claimed_by: opts.workerId })
    .where('id', 'in', (eb) => {
      let sub = eb
        .selectFrom('messages')
        .select('id')
        .where('next_attempt_at', '<=', opts.now)
        .orderBy('next_attempt_at')
        .limit(opts.limit);
      if (profile.claimLock) sub = sub.forUpdate().skipLocked();
      return sub;
    })
    .returningAll()
    .execute();
}

/** Due follow-up jobs (simulated deliveries, reads and replies); each is applied and deleted in one transaction by its caller. */
export async function dueJobs(db: Kysely<Database>, now: number, limit: number): Promise<JobRow[]> {
  return db.selectFrom('jobs').selectAll().where('due_at', '<=', now).orderBy('due_at').limit(limit).execute();
}
