import { describe, expect, it } from 'vitest';
import { checkLineCapacity, rankLines, type LineCapacity } from './limits.js';
import { canMove } from './messageStatus.js';
import { renderTemplate } from './template.js';

const base: LineCapacity = {
  lineId: 'a', dailyNewLimit: 50, dailyTotalLimit: 75, hourlyNewLimit: 50, minSendIntervalMs: 0, hourlyExempt: false,
  lastSendAt: null, dailyNew: 0, dailyTotal: 0, hourlyNew: 0, firstTouch: true,
};
const t = (s: string) => Date.parse(s);

describe('checkLineCapacity', () => {
  it('holds a full line until the next UTC midnight, even in the last minute of the day', () => {
    const r = checkLineCapacity({ ...base, dailyTotal: 75 }, t('2026-03-02T23:59:30Z'));
    expect(r).toEqual({ ok: false, reason: 'line_daily_total_limit', eligibleAt: t('2026-03-03T00:00:00Z') });
  });

  it('counts new conversations only for first touches', () => {
    expect(checkLineCapacity({ ...base, dailyNew: 50 }, t('2026-03-02T10:00:00Z'))).toMatchObject({ ok: false, reason: 'line_daily_new_limit' });
    expect(checkLineCapacity({ ...base, dailyNew: 50, firstTouch: false }, t('2026-03-02T10:00:00Z'))).toEqual({ ok: true });
  });

  it('holds hourly first touches until the next UTC hour; email-only lines are exempt', () => {
    const full = { ...base, dailyNewLimit: 500, hourlyNew: 50 };
    expect(checkLineCapacity(full, t('2026-03-02T10:59:59Z'))).toEqual({ ok: false, reason: 'line_hourly_new_limit', eligibleAt: t('2026-03-02T11:00:00Z') });
    expect(checkLineCapacity({ ...full, hourlyExempt: true }, t('2026-03-02T10:59:59Z'))).toEqual({ ok: true });
  });

  it('keeps the minimum interval between sends on a line', () => {
    const now = t('2026-03-02T10:00:00Z');
    expect(checkLineCapacity({ ...base, minSendIntervalMs: 5000, lastSendAt: now - 2000 }, now)).toEqual({ ok: false, reason: 'line_send_interval', eligibleAt: now + 3000 });
    expect(checkLineCapacity({ ...base, minSendIntervalMs: 5000, lastSendAt: now - 5000 }, now)).toEqual({ ok: true });
  });
});

describe('rankLines', () => {
  it('puts the line with most remaining capacity first', () => {
    const ranked = rankLines([
      { ...base, lineId: 'busy', dailyNew: 40, dailyTotal: 40 },
      { ...base, lineId: 'idle' },
      { ...base, lineId: 'full', dailyTotal: 75 },
    ]);
    expect(ranked.map((r) => r.lineId)).toEqual(['idle', 'busy', 'full']);
  });
});

describe('status machine', () => {
  it('only moves forward', () => {
    expect(canMove('queued', 'pending')).toBe(true);
    expect(canMove('sent', 'delivered')).toBe(true);
    expect(canMove('delivered', 'sent')).toBe(false);
    expect(canMove('sending', 'queued')).toBe(false);
    expect(canMove('queued', 'cancelled')).toBe(true);
    expect(canMove('failed', 'sent')).toBe(false);
  });
});

describe('renderTemplate', () => {
  it('fills every placeholder form and leaves ordinary braces alone', () => {
    const lead = { firstName: 'Ana', lastName: null, companyName: 'Acme' };
    expect(renderTemplate('Hi {{firstName}} from {companyName}', { lead })).toBe('Hi Ana from Acme');
    expect(renderTemplate('Hi {lastName|there}', { lead })).toBe('Hi there');
    expect(renderTemplate('Plan: {custom.plan}', { lead, custom: { plan: 'Pro' } })).toBe('Plan: Pro');
    expect(renderTemplate('Use {curly} braces {}', { lead })).toBe('Use {curly} braces {}');
  });
});
