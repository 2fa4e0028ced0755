/** The source of "now"; injected so tests and the engine agree on time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that tests move by hand. */
export class ManualClock implements Clock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  set(t: number | string | Date): void {
    this.t = typeof t === 'number' ? t : new Date(t).getTime();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** UTC day bucket, 'YYYY-MM-DD'. */
export const dayBucket = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** UTC hour bucket, 'YYYY-MM-DDTHH'. */
export const hourBucket = (ms: number): string => new Date(ms).toISOString().slice(0, 13);
export const nextUtcMidnight = (ms: number): number => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
};
export const nextUtcHour = (ms: number): number => Math.floor(ms / 3_600_000) * 3_600_000 + 3_600_000;
