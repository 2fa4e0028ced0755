import { describe, expect, it } from 'vitest';
import { nextEligibleInstant, validateTimingRules } from './sendWindow.js';

const t = (s: string) => Date.parse(s);
const ny = { timezone: 'America/New_York', sendWindowStart: '09:00', sendWindowEnd: '17:00' };

describe('nextEligibleInstant', () => {
  it('lets a message go at once inside the window', () => {
    expect(nextEligibleInstant(t('2026-03-02T15:00:00Z'), ny)).toEqual({ at: t('2026-03-02T15:00:00Z'), reason: null });
  });

  it('holds a message before the window until it opens, in the zone given', () => {
    expect(nextEligibleInstant(t('2026-03-02T12:00:00Z'), ny)).toEqual({ at: t('2026-03-02T14:00:00Z'), reason: 'outside_send_window' });
  });

  it('treats the end as exclusive and moves to the next day', () => {
    expect(nextEligibleInstant(t('2026-03-02T22:00:00Z'), ny)).toEqual({ at: t('2026-03-03T14:00:00Z'), reason: 'outside_send_window' });
  });

  it('handles a window crossing midnight, owned by the day it opens', () => {
    const night = { timezone: 'America/New_York', sendWindowStart: '22:00', sendWindowEnd: '02:00', allowedDaysOfWeek: [1] };
    // Tuesday 01:00 local belongs to Monday's window: allowed.
    expect(nextEligibleInstant(t('2026-03-03T06:00:00Z'), night).reason).toBeNull();
    // Monday 01:00 local belongs to Sunday's window: not allowed; next opening is Monday 22:00 EST.
    expect(nextEligibleInstant(t('2026-03-02T06:00:00Z'), night)).toEqual({ at: t('2026-03-03T03:00:00Z'), reason: 'day_not_allowed' });
    // Monday 21:59 EST: waits one minute.
    expect(nextEligibleInstant(t('2026-03-03T02:59:00Z'), night)).toEqual({ at: t('2026-03-03T03:00:00Z'), reason: 'outside_send_window' });
  });

  it('opens a window that starts inside the spring-forward gap at the first valid instant (New York)', () => {
    const w = { timezone: 'America/New_York', sendWindowStart: '02:30', sendWindowEnd: '04:00' };
    // 2026-03-08 01:00 EST; 02:30 does not exist that night, so the window opens at 03:30 EDT = 07:30Z.
    expect(nextEligibleInstant(t('2026-03-08T06:00:00Z'), w)).toEqual({ at: t('2026-03-08T07:30:00Z'), reason: 'outside_send_window' });
  });

  it('counts wall-clock hours across the fall-back overlap (New York)', () => {
    const w = { timezone: 'America/New_York', sendWindowStart: '01:30', sendWindowEnd: '03:00' };
    // 2026-11-01 00:00 EDT; 01:30 first occurs in EDT = 05:30Z.
    expect(nextEligibleInstant(t('2026-11-01T04:00:00Z'), w)).toEqual({ at: t('2026-11-01T05:30:00Z'), reason: 'outside_send_window' });
    // 01:45 EST (second pass through the hour) is still inside the window.
    expect(nextEligibleInstant(t('2026-11-01T06:45:00Z'), w).reason).toBeNull();
  });

  it('uses summer and winter offsets on each side of Berlin DST changes', () => {
    const berlin = { timezone: 'Europe/Berlin', sendWindowStart: '09:00', sendWindowEnd: '17:00' };
    // Saturday 2026-03-28 18:00 CET → Sunday 29th 09:00 CEST = 07:00Z.
    expect(nextEligibleInstant(t('2026-03-28T17:00:00Z'), berlin).at).toBe(t('2026-03-29T07:00:00Z'));
    // Saturday 2026-10-24 18:00 CEST → Sunday 25th 09:00 CET = 08:00Z.
    expect(nextEligibleInstant(t('2026-10-24T16:00:00Z'), berlin).at).toBe(t('2026-10-25T08:00:00Z'));
  });

  it('skips days that are not allowed', () => {
    const weekdays = { ...ny, allowedDaysOfWeek: [1, 2, 3, 4, 5] };
    // Saturday 2026-03-07 noon EST → Monday 09:00 EST.
    expect(nextEligibleInstant(t('2026-03-07T17:00:00Z'), weekdays)).toEqual({ at: t('2026-03-09T13:00:00Z'), reason: 'day_not_allowed' });
  });

  it('applies a scheduled date together with the window', () => {
    const r = nextEligibleInstant(t('2026-03-02T15:00:00Z'), { ...ny, scheduledAt: t('2026-03-02T23:00:00Z') });
    expect(r).toEqual({ at: t('2026-03-03T14:00:00Z'), reason: 'scheduled_for_later' });
    expect(nextEligibleInstant(t('2026-03-02T15:00:00Z'), { scheduledAt: t('2026-03-02T14:00:00Z') })).toEqual({ at: t('2026-03-02T15:00:00Z'), reason: null });
  });
});

describe('validateTimingRules', () => {
  it('lists every problem', () => {
    const p = validateTimingRules({ sendWindowStart: '9am', sendWindowEnd: '17:00', allowedDaysOfWeek: [7] });
    expect(p.join(' | ')).toMatch(/sendWindowStart "9am"/);
    expect(p.join(' | ')).toMatch(/timezone is required/);
    expect(p.join(' | ')).toMatch(/0 \(Sunday\) to 6/);
    expect(validateTimingRules({ timezone: 'Mars/Olympus' })[0]).toMatch(/not an IANA time zone/);
    expect(validateTimingRules({ timezone: 'Europe/Berlin', sendWindowStart: '09:00', sendWindowEnd: '17:00' })).toEqual([]);
  });
});
