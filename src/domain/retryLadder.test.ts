import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, RETRY_DELAYS_MS, nextRetryDelay, parseRetryAfter } from './retryLadder.js';

describe('retry ladder', () => {
  it('retries the first failure within 10 s, whatever the jitter', () => {
    expect(nextRetryDelay(1, () => 0)).toBeGreaterThanOrEqual(1000);
    expect(nextRetryDelay(1, () => 0.999999)).toBeLessThanOrEqual(10_000);
  });

  it('grows exponentially and gives up after about three days of attempts', () => {
    const mid = () => 0.5;
    const delays: number[] = [];
    for (let n = 1; ; n++) {
      const d = nextRetryDelay(n, mid);
      if (d === null) break;
      delays.push(d);
    }
    expect(delays).toEqual(RETRY_DELAYS_MS);
    expect(delays.length + 1).toBe(MAX_ATTEMPTS);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]);
    const total = delays.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(72 * 3_600_000);
    expect(total).toBeLessThan(80 * 3_600_000);
  });

  it('spreads retries by ±20 %', () => {
    expect(nextRetryDelay(2, () => 0)).toBe(4 * 60_000);
    expect(nextRetryDelay(2, () => 1)).toBe(6 * 60_000);
  });

  it('honours a longer Retry-After, capped at a day', () => {
    expect(nextRetryDelay(1, () => 0.5, 60_000)).toBe(60_000);
    expect(nextRetryDelay(1, () => 0.5, 1000)).toBe(5000);
    expect(nextRetryDelay(1, () => 0.5, 10 * 86_400_000)).toBe(86_400_000);
  });

  it('parses Retry-After as seconds or a date', () => {
    const now = Date.parse('2026-03-02T15:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 02 Mar 2026 15:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('rejects a nonsense attempt number', () => {
    expect(() => nextRetryDelay(0)).toThrow(RangeError);
  });
});
