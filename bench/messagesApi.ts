/**
 * POST /api/messages at a fixed request rate: achieved requests per second and p99 latency,
 * beside a bare Fastify route in the same process and server, driven the same way.
 */
import { Pool } from 'undici';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { systemClock } from '../src/domain/time.js';
import { buildApp } from '../src/http/app.js';
import { createWorkspace, generateApiKey, insertApiKey } from '../src/store/workspaces.js';
import type { Bench, Figure } from './types.js';
import { benchStore, percentile } from './util.js';

/** Sends `rate` requests a second for `seconds`, open loop; returns achieved rate and latencies. */
async function drive(pool: Pool, rate: number, seconds: number, request: (i: number) => { path: string; body: string; headers: Record<string, string> }) {
  const total = rate * seconds;
  const latencies: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const req = request(i);
    const start = performance.now();
    inflight.push(
      pool
        .request({ method: 'POST', path: req.path, body: req.body, headers: { 'content-type': 'application/json', ...req.headers } })
        .then(async (res) => {
          await res.body.text();
          if (res.statusCode >= 300) errors++;
          latencies.push(performance.now() - start);
        })
        .catch(() => {
          errors++;
        }),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - t0) / 1000;
  return { rps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

const bench: Bench = async (ctx) => {
  const b = await benchStore(ctx);
  try {
    const config = parseConfig({ TUCO_DATA_DIR: b.dataDir, LOG_LEVEL: 'silent', PORT: '0', TUCO_RATE_LIMIT_PER_MINUTE: '1000000' });
    const logger = createLogger('silent');
    const now = Date.now();
    const key = generateApiKey();
    await b.store.db.transaction().execute(async (trx) => {
      const ws = await createWorkspace(trx, 'Bench', now);
      await insertApiKey(trx, ws.id, 'bench', key, now);
    });
    const app = await buildApp({ config, store: b.store, clock: systemClock, logger });
    app.post('/bench-bare', async (req) => ({ success: true, echo: (req.body as { message: string }).message.length }));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const pool = new Pool(url, { connections: 64 });
    const auth = { authorization: `Bearer ${key}` };
    await pool.request({ method: 'POST', path: '/api/lines', body: JSON.stringify({ firstName: 'Sim', lastName: 'Bench', provider: 'simulator' }), headers: { 'content-type': 'application/json', ...auth } }).then((r) => r.body.text());
    const rate = ctx.quick ? 200 : 400;
    const seconds = ctx.quick ? 3 : 10;
    const phone = (i: number) => `+1646${String(2000000 + i * 7).slice(-7)}`;
    const body = (i: number) => JSON.stringify({ message: 'Hi {{firstName}}, quick question', recipientPhone: phone(i), recipientName: `Lead ${i}` });
    await drive(pool, 50, 1, (i) => ({ path: '/bench-bare', body: body(i), headers: auth })); // warm-up
    const bare = await drive(pool, rate, seconds, (i) => ({ path: '/bench-bare', body: body(i), headers: auth }));
    const api = await drive(pool, rate, seconds, (i) => ({ path: '/api/messages', body: body(i + 1_000_000), headers: auth }));
    await pool.close();
    await app.close();
    const figures: Figure[] = [
      {
        name: `POST /api/messages at ${rate} req/s offered`,
        value: api.rps,
        unit: 'req/s',
        baselineName: 'bare Fastify route, same process',
        baselineValue: bare.rps,
        note: `p99 ${api.p99.toFixed(1)} ms (bare ${bare.p99.toFixed(1)} ms), p50 ${api.p50.toFixed(1)} ms, errors ${api.errors}`,
      },
    ];
    return figures;
  } finally {
    await b.drop();
  }
};
export default bench;
