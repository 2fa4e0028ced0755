/** One measured figure, printed beside its baseline. */
export interface Figure {
  /** What was measured, e.g. "leads inserted/s via POST /api/leads (batches of 1,000)". */
  name: string;
  value: number;
  unit: string;
  /** The same work done the bare way, e.g. raw INSERTs into the same store. */
  baselineName: string;
  baselineValue: number;
  /** Free-form remark printed after the figure (e.g. a p99 latency). */
  note?: string;
}

export interface BenchContext {
  backend: 'sqlite' | 'postgres';
  /** For postgres: a superuser URL of a server where the bench may create and drop databases. */
  pgAdminUrl?: string;
  /** Smaller sizes for a quick run (npm run bench -- --quick). */
  quick: boolean;
}

/** A benchmark module: bench/<name>.ts default-exports one of these. */
export type Bench = (ctx: BenchContext) => Promise<Figure[]>;
