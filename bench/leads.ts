import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { buildApp } from '../src/http/app.js';
import { systemClock } from '../src/domain/time.js';
import { createWorkspace, generateApiKey, insertApiKey } from '../src/store/workspaces.js';
import { quickSendsList } from '../src/store/lists.js';
import { leadRowFromInput } from '../src/store/leads.js';
import { chunk } from '../src/store/db.js';
import type { LeadRow } from '../src/store/schema.js';
import type { Bench, Figure } from './types.js';
import { benchStore } from './util.js';

/** Runs fn and returns the elapsed wall-clock seconds. */
async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** A CSV-like row: names, an email, a US phone in national format, a company and two custom fields. */
const lead = (i: number, run: string) => ({
  firstName: `First${i}`,
  lastName: `Last${i}`,
  email: `lead${i}.${run}@bench.example.com`,
  // Unique per row up to 8 million: (415) EEE-SSSS with exchange 200–999.
  phone: `(415) ${200 + Math.floor(i / 10_000)}-${String(i % 10_000).padStart(4, '0')}`,
  companyName: `Company ${i % 500}`,
  customFields: { row: i, segment: 'bench' },
});

/**
 * Leads per second through POST /api/leads (validation, E.164 normalisation, duplicate check, one
 * transaction per call) against the same rows inserted raw into the same store.
 */
const leadsBench: Bench = async (ctx) => {
  const total = ctx.quick ? 5_000 : 50_000;
  const batch = 1_000;
  const fresh = await benchStore(ctx);
  const { store } = fresh;
  const config = parseConfig({ PORT: '0', TUCO_DATA_DIR: fresh.dataDir, LOG_LEVEL: 'silent', TUCO_RATE_LIMIT_PER_MINUTE: '1000000' });
  const app = await buildApp({ config, store, clock: systemClock, logger: createLogger('silent') });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const newKey = async (name: string) => {
      const key = generateApiKey();
      const ws = await store.db.transaction().execute(async (trx) => {
        const w = await createWorkspace(trx, name, Date.now());
        await insertApiKey(trx, w.id, 'bench', key, Date.now());
        return w;
      });
      return { key, workspaceId: ws.id };
    };
    const post = async (key: string, body: string) => {
      const res = await fetch(`${base}/api/leads`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
      const json = (await res.json()) as { savedCount?: number; error?: string };
      if (res.status !== 201) throw new Error(`POST /api/leads answered ${res.status}: ${json.error}`);
      return json.savedCount ?? 0;
    };

    // Warm-up: JIT, statement caches and the pool, in a workspace of its own.
    const warm = await newKey('warm-up');
    await post(warm.key, JSON.stringify({ leads: Array.from({ length: 500 }, (_, i) => lead(i, 'warm')) }));

    // 1. Batches of 1,000, one call after the other, as an integration pushing a CRM export would.
    const api = await newKey('api');
    const bodies = chunk(Array.from({ length: total }, (_, i) => lead(i, 'api')), batch).map((rows) => JSON.stringify({ leads: rows }));
    let saved = 0;
    const apiSecs = await seconds(async () => {
      for (const body of bodies) saved += await post(api.key, body);
    });
    if (saved !== total) throw new Error(`expected ${total} saved leads, got ${saved}`);

    // 2. One CSV-sized call of 10,000.
    const csv = await newKey('csv');
    const csvBody = JSON.stringify({ leads: Array.from({ length: 10_000 }, (_, i) => lead(i, 'csv')) });
    const csvSecs = await seconds(() => post(csv.key, csvBody));

    // Baseline: the same rows, already normalised, inserted raw (500 rows per INSERT, one transaction per 1,000).
    const raw = await newKey('raw');
    const list = await quickSendsList(store.db, raw.workspaceId);
    const country = { callingCode: '1' };
    const rows: LeadRow[] = Array.from({ length: total }, (_, i) => leadRowFromInput(lead(i, 'raw'), { workspaceId: raw.workspaceId, listId: list.id, source: 'csv', country, now: Date.now() }).row!);
    const rawSecs = await seconds(async () => {
      for (const group of chunk(rows, batch)) {
        await store.db.transaction().execute(async (trx) => {
          for (const part of chunk(group, 500)) await trx.insertInto('leads').values(part).execute();
        });
      }
    });

    const rawRate = total / rawSecs;
    const figures: Figure[] = [
      {
        name: `leads/s via POST /api/leads, ${total.toLocaleString('en-US')} in calls of ${batch.toLocaleString('en-US')}`,
        value: total / apiSecs,
        unit: 'leads/s',
        baselineName: 'raw INSERTs of the same rows',
        baselineValue: rawRate,
        note: `${((apiSecs / bodies.length) * 1000).toFixed(0)} ms per call`,
      },
      {
        name: 'leads/s via POST /api/leads, one call of 10,000',
        value: 10_000 / csvSecs,
        unit: 'leads/s',
        baselineName: 'raw INSERTs of the same rows',
        baselineValue: rawRate,
        note: `${(csvSecs * 1000).toFixed(0)} ms for the call (${(csvBody.length / 1024 / 1024).toFixed(1)} MB)`,
      },
    ];
    return figures;
  } finally {
    await app.close();
    await fresh.drop();
  }
};

export default leadsBench;
