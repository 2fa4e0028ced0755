import { DateTime, IANAZone } from 'luxon';

/** A message's own timing rules (SPEC §3); all apply together. */
export interface TimingRules {
  /** Earliest instant, epoch ms. */
  scheduledAt?: number | null;
  /** IANA zone, required with a window or days. */
  timezone?: string | null;
  /** 'HH:mm', inclusive. */
  sendWindowStart?: string | null;
  /** 'HH:mm', exclusive; earlier than start means the window crosses midnight. */
  sendWindowEnd?: string | null;
  /** 0 = Sunday … 6 = Saturday. */
  allowedDaysOfWeek?: number[] | null;
}

export type TimingHold = 'scheduled_for_later' | 'outside_send_window' | 'day_not_allowed';

/** Checks rule values; returns every problem in words a person can act on. */
export function validateTimingRules(r: TimingRules): string[] {
  const problems: string[] = [];
  const hasWindow = !!(r.sendWindowStart || r.sendWindowEnd);
  if (hasWindow && !(r.sendWindowStart && r.sendWindowEnd)) problems.push('sendWindowStart and sendWindowEnd must be given together');
  for (const k of ['sendWindowStart', 'sendWindowEnd'] as const) {
    const v = r[k];
    if (v && !/^([01]\d|2[0-3]):[0-5]\d$/.test(v)) problems.push(`${k} "${v}" must be a time "HH:mm" between 00:00 and 23:59`);
  }
  if (r.sendWindowStart && r.sendWindowStart === r.sendWindowEnd) problems.push('sendWindowStart and sendWindowEnd are equal: the window would be empty');
  if ((hasWindow || r.allowedDaysOfWeek) && !r.timezone) problems.push('timezone is required with a send window or allowedDaysOfWeek (an IANA zone such as America/New_York)');
  if (r.timezone && !IANAZone.isValidZone(r.timezone)) problems.push(`timezone "${r.timezone}" is not an IANA time zone such as America/New_York or Europe/Berlin`);
  if (r.allowedDaysOfWeek) {
    if (r.allowedDaysOfWeek.length === 0) problems.push('allowedDaysOfWeek is empty: no day would be allowed');
    for (const d of r.allowedDaysOfWeek) if (!Number.isInteger(d) || d < 0 || d > 6) problems.push(`allowedDaysOfWeek holds ${d}; days are 0 (Sunday) to 6 (Saturday)`);
  }
  return problems;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
/** Luxon weekday is 1 = Monday … 7 = Sunday; ours is 0 = Sunday. */
const dow = (d: DateTime) => d.weekday % 7;

/** Whether instant t satisfies the window and day rules (ignores scheduledAt). */
function insideWindow(t: number, r: TimingRules): { ok: boolean; reason?: TimingHold } {
  if (!r.timezone) return { ok: true };
  const local = DateTime.fromMillis(t, { zone: r.timezone });
  const days = r.allowedDaysOfWeek && r.allowedDaysOfWeek.length ? new Set(r.allowedDaysOfWeek) : null;
  if (!r.sendWindowStart || !r.sendWindowEnd) {
    return days && !days.has(dow(local)) ? { ok: false, reason: 'day_not_allowed' } : { ok: true };
  }
  const start = minutesOf(r.sendWindowStart);
  const end = minutesOf(r.sendWindowEnd);
  const m = local.hour * 60 + local.minute;
  // The day that owns the window: for a window crossing midnight, its early-morning part
  // belongs to the previous day's window.
  let owner: DateTime | null = null;
  if (start < end) owner = m >= start && m < end ? local : null;
  else if (m >= start) owner = local;
  else if (m < end) owner = local.minus({ days: 1 });
  if (!owner) return { ok: false, reason: days && !days.has(dow(local)) ? 'day_not_allowed' : 'outside_send_window' };
  if (days && !days.has(dow(owner))) return { ok: false, reason: 'day_not_allowed' };
  return { ok: true };
}

/** The instant a window opens on a local date; a start inside a DST gap moves to the first valid instant after it. */
function windowOpening(date: DateTime, hhmm: string, zone: string): number {
  const opened = DateTime.fromObject(
    { year: date.year, month: date.month, day: date.day, hour: Number(hhmm.slice(0, 2)), minute: Number(hhmm.slice(3, 5)) },
    { zone },
  );
  // In a fall-back overlap the same wall time occurs twice; the window opens at the first.
  for (const back of [60, 30]) {
    const earlier = opened.minus({ minutes: back });
    if (earlier.hour === opened.hour && earlier.minute === opened.minute) return earlier.toMillis();
  }
  return opened.toMillis();
}

/**
 * The earliest instant at or after `now` when the message's own rules allow sending, and why it
 * must wait until then (null when it may go now). Searches at most 8 days ahead: every weekly
 * pattern with at least one allowed day opens within that span.
 */
export function nextEligibleInstant(now: number, r: TimingRules): { at: number; reason: TimingHold | null } {
  const from = Math.max(now, r.scheduledAt ?? now);
  const scheduledReason: TimingHold | null = from > now ? 'scheduled_for_later' : null;
  const here = insideWindow(from, r);
  if (here.ok) return { at: from, reason: scheduledReason };
  const zone = r.timezone!;
  const local = DateTime.fromMillis(from, { zone }).startOf('day');
  const days = r.allowedDaysOfWeek && r.allowedDaysOfWeek.length ? new Set(r.allowedDaysOfWeek) : null;
  for (let i = 0; i <= 8; i++) {
    const date = local.plus({ days: i });
    if (days && !days.has(dow(date))) continue;
    const opening = r.sendWindowStart ? windowOpening(date, r.sendWindowStart, zone) : date.toMillis();
    if (opening > from && insideWindow(opening, r).ok) return { at: opening, reason: scheduledReason ?? here.reason! };
  }
  // No allowed instant within 8 days cannot happen for valid rules; hold a day and look again.
  return { at: from + 86_400_000, reason: scheduledReason ?? here.reason! };
}
