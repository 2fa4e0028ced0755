import type { Transaction } from 'kysely';
import type { Database, LineRow, MessageRow } from '../store/schema.js';
import type { BackendProfile } from '../store/db.js';
import { checkLineCapacity, type LineCapacity, type LineHold } from '../domain/limits.js';
import { dayBucket, hourBucket } from '../domain/time.js';
import { recordHistory } from '../store/messages.js';

/** Thrown inside a reservation to roll it back; carries why the line cannot take the message. */
export class LineUnavailable extends Error {
  constructor(readonly reason: LineHold | 'no_usable_line', readonly eligibleAt: number) {
    super(reason);
  }
}

export const isHourlyExempt = (line: Pick<LineRow, 'channels'>): boolean => {
  const channels = JSON.parse(line.channels) as string[];
  return channels.length > 0 && channels.every((c) => c === 'email');
};

/** Reads what the limit rules need for several lines and one lead, without locking. */
export async function readCapacities(trx: Transaction<Database> | any, lines: LineRow[], leadId: string, now: number): Promise<LineCapacity[]> {
  if (!lines.length) return [];
  const ids = lines.map((l) => l.id);
  const day = dayBucket(now);
  const hour = hourBucket(now);
  const usage = await trx.selectFrom('line_usage').selectAll().where('line_id', 'in', ids).where('bucket', 'in', [day, hour]).execute();
  const convs = await trx.selectFrom('conversations').select('line_id').where('lead_id', '=', leadId).where('line_id', 'in', ids).execute();
  const contacted = new Set(convs.map((c: { line_id: string }) => c.line_id));
  return lines.map((l) => {
    const d = usage.find((u: any) => u.line_id === l.id && u.bucket === day);
    const h = usage.find((u: any) => u.line_id === l.id && u.bucket === hour);
    return {
      lineId: l.id,
      dailyNewLimit: l.daily_new_limit,
      dailyTotalLimit: l.daily_total_limit,
      hourlyNewLimit: l.hourly_new_limit,
      minSendIntervalMs: l.min_send_interval_ms,
      hourlyExempt: isHourlyExempt(l),
      lastSendAt: l.last_send_at,
      dailyNew: d?.new_count ?? 0,
      dailyTotal: d?.total_count ?? 0,
      hourlyNew: h?.new_count ?? 0,
      firstTouch: !contacted.has(l.id),
    };
  });
}

/**
 * Reserves one send on `lineId` for message `m`, atomically: the line row is locked (PostgreSQL;
 * SQLite has a single writer), the limits are checked against counters read under that lock,
 * the counters move, and the message becomes `pending` on that line, all in one transaction.
 * Throws LineUnavailable when a limit holds the line.
 */
export async function reserveLine(
  trx: Transaction<Database>,
  profile: BackendProfile,
  m: MessageRow,
  lineId: string,
  opts: { now: number; workerId: string },
): Promise<MessageRow> {
  const { now } = opts;
  let q = trx.selectFrom('lines').selectAll().where('id', '=', lineId);
  if (profile.claimLock) q = q.forUpdate();
  const line = await q.executeTakeFirst();
  if (!line || line.deleted_at !== null || line.is_active !== 1) throw new LineUnavailable('no_usable_line', now + 60_000);
  const [cap] = await readCapacities(trx, [line], m.lead_id!, now);
  const check = checkLineCapacity(cap, now);
  if (!check.ok) throw new LineUnavailable(check.reason, check.eligibleAt);

  const firstTouch = cap.firstTouch;
  if (firstTouch) {
    await trx
      .insertInto('conversations')
      .values({ workspace_id: m.workspace_id, lead_id: m.lead_id!, line_id: line.id, first_outbound_at: now, last_outbound_at: now })
      .onConflict((oc) => oc.columns(['line_id', 'lead_id']).doUpdateSet({ last_outbound_at: now }))
      .execute();
  } else {
    await trx.updateTable('conversations').set({ last_outbound_at: now }).where('line_id', '=', line.id).where('lead_id', '=', m.lead_id!).execute();
  }
  const bump = (bucket: string, fresh: number, total: number) =>
    trx
      .insertInto('line_usage')
      .values({ line_id: line.id, bucket, new_count: fresh, total_count: total })
      .onConflict((oc) =>
        oc.columns(['line_id', 'bucket']).doUpdateSet((eb) => ({
          new_count: eb('line_usage.new_count', '+', fresh),
          total_count: eb('line_usage.total_count', '+', total),
        })),
      )
      .execute();
  await bump(dayBucket(now), firstTouch ? 1 : 0, 1);
  if (firstTouch && !cap.hourlyExempt) await bump(hourBucket(now), 1, 0);
  await trx.updateTable('lines').set({ last_send_at: now }).where('id', '=', line.id).execute();

  const updated = await trx
    .updateTable('messages')
    .set({
      status: 'pending',
      line_id: line.id,
      from_line_phone: line.phone,
      from_line_email: line.email,
      hold_reason: null,
      eligible_at: now,
      updated_at: now,
    })
    .where('id', '=', m.id)
    .where('claimed_by', '=', opts.workerId)
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw new Error(`message ${m.id} was taken by another worker`);
  await recordHistory(trx, m, 'pending', now, `line ${line.id}${firstTouch ? ' (first touch)' : ''}`);
  return updated;
}
