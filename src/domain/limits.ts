import { nextUtcHour, nextUtcMidnight } from './time.js';

export type LineHold = 'line_daily_new_limit' | 'line_daily_total_limit' | 'line_hourly_new_limit' | 'line_send_interval';

/** What the rules need to know about one line at one instant. */
export interface LineCapacity {
  lineId: string;
  dailyNewLimit: number;
  dailyTotalLimit: number;
  hourlyNewLimit: number;
  minSendIntervalMs: number;
  /** Email-only lines are exempt from the hourly first-touch cap. */
  hourlyExempt: boolean;
  lastSendAt: number | null;
  dailyNew: number;
  dailyTotal: number;
  hourlyNew: number;
  /** True when this line never sent to this recipient: the send is a first touch. */
  firstTouch: boolean;
}

/**
 * Whether the line may take one more send now; when not, which limit holds it and when it frees.
 * Limits reset at 00:00 UTC (daily) and on each UTC hour (hourly).
 */
export function checkLineCapacity(c: LineCapacity, now: number): { ok: true } | { ok: false; reason: LineHold; eligibleAt: number } {
  if (c.dailyTotal >= c.dailyTotalLimit) return { ok: false, reason: 'line_daily_total_limit', eligibleAt: nextUtcMidnight(now) };
  if (c.firstTouch && c.dailyNew >= c.dailyNewLimit) return { ok: false, reason: 'line_daily_new_limit', eligibleAt: nextUtcMidnight(now) };
  if (c.firstTouch && !c.hourlyExempt && c.hourlyNew >= c.hourlyNewLimit) {
    return { ok: false, reason: 'line_hourly_new_limit', eligibleAt: nextUtcHour(now) };
  }
  if (c.minSendIntervalMs > 0 && c.lastSendAt !== null && now < c.lastSendAt + c.minSendIntervalMs) {
    return { ok: false, reason: 'line_send_interval', eligibleAt: c.lastSendAt + c.minSendIntervalMs };
  }
  return { ok: true };
}

/** How many more sends of this kind the line can take today. */
export function remainingCapacity(c: LineCapacity): number {
  const total = c.dailyTotalLimit - c.dailyTotal;
  const fresh = c.firstTouch ? Math.min(c.dailyNewLimit - c.dailyNew, c.hourlyExempt ? Infinity : c.hourlyNewLimit - c.hourlyNew) : Infinity;
  return Math.max(0, Math.min(total, fresh));
}

/** Candidate lines, most remaining capacity first; ties go to the line idle longest, then by id. */
export function rankLines(cands: LineCapacity[]): LineCapacity[] {
  return [...cands].sort(
    (a, b) => remainingCapacity(b) - remainingCapacity(a) || (a.lastSendAt ?? 0) - (b.lastSendAt ?? 0) || a.lineId.localeCompare(b.lineId),
  );
}
