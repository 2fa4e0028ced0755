/**
 * When a failed webhook delivery is tried again. Pure: the caller passes the random source.
 *
 * Delays after each failed attempt follow the Standard Webhooks example schedule (5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h): the first retry comes within 10 s, and the last of
 * the 10 attempts about 75.5 h (a little over three days) after the first. Each delay is spread
 * by ±20 % so that many deliveries failing together do not all come back in the same second.
 */
export const RETRY_DELAYS_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  14 * 3_600_000,
  20 * 3_600_000,
  24 * 3_600_000,
];

/** Attempts in one ladder: the first one plus one per delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

export const JITTER = 0.2;

/** A `Retry-After` is honoured, but never pushes a retry further than this. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * Delay before the next attempt after `failedAttempts` failures in the current ladder (1 = the
 * first attempt just failed), or null when the ladder is used up and the delivery is dead.
 * `retryAfterMs` is the endpoint's own `Retry-After`, honoured when longer than the ladder's step.
 */
export function nextRetryDelay(failedAttempts: number, random: () => number = Math.random, retryAfterMs?: number | null): number | null {
  if (!Number.isInteger(failedAttempts) || failedAttempts < 1) throw new RangeError('failedAttempts must be a whole number ≥ 1');
  const base = RETRY_DELAYS_MS[failedAttempts - 1];
  if (base === undefined) return null;
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random()));
  if (retryAfterMs && retryAfterMs > jittered) return Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
  return jittered;
}

/** Parses a `Retry-After` header (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
