import { scratchStore } from '../test/scratchDb.js';
import type { BenchContext } from './types.js';

/** A fresh, migrated store for one measurement: a new SQLite file, or a new PostgreSQL database. */
export const benchStore = (ctx: BenchContext) => scratchStore({ backend: ctx.backend, pgAdminUrl: ctx.pgAdminUrl, prefix: 'tuco_b', poolSize: 20 });

/** The p-th percentile (0–100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
