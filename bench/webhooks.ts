/**
 * Webhook delivery rate: events fired into the outbox, fanned out, signed (X-Tuco-Signature and
 * Standard Webhooks), POSTed to a local receiver and logged (attempt row, delivery and endpoint
 * health), against a bare undici loop POSTing the same bodies to the same receiver with the same
 * number of requests in flight and no store, no signing, no log.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { systemClock } from '../src/domain/time.js';
import { createWorkspace } from '../src/store/workspaces.js';
import { emitEvent } from '../src/store/outbox.js';
import { insertEndpoint } from '../src/store/webhooks.js';
import { generateWebhookSecret } from '../src/domain/webhookSigning.js';
import { buildWebhookWorker } from '../src/engine/webhookWorker.js';
import type { Store } from '../src/store/db.js';
import type { Bench, BenchContext, Figure } from './types.js';
import { benchStore } from './util.js';

/** A message document of typical size (about 1 KB of JSON), as the engine puts in `data`. */
const messageDoc = (i: number) => ({
  _id: `65f1c2a9e4b0a1b2c3${String(i).padStart(6, '0')}`,
  status: 'sent',
  message: 'Hi Alex, following up on the demo last week: does Thursday at 3 pm work for a quick call?',
  messageType: 'imessage',
  recipientPhone: '+15551234567',
  recipientName: 'Alex Doe',
  leadId: '65f1c2a9e4b0a1b2c3d4e5f6',
  lineId: '65f1c2a9e4b0a1b2c3d4e5f7',
  campaignId: null,
  batchId: null,
  sentAt: new Date().toISOString(),
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
});

async function startReceiver(): Promise<{ url: string; count: () => number; close(): Promise<void> }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      n += 1;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    count: () => n,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

async function fire(store: Store, workspaceId: string, n: number): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < n; i += 1000) {
    await store.db.transaction().execute(async (trx) => {
      for (let j = i; j < Math.min(n, i + 1000); j++) await emitEvent(trx, { workspaceId, event: 'message.sent', data: messageDoc(j), now });
    });
  }
}

/** Events/s through the worker: from undispatched outbox rows to every delivery logged as succeeded. */
async function measureWorker(ctx: BenchContext, events: number, endpoints: number, concurrency: number): Promise<number> {
  const fresh = await benchStore(ctx);
  const receiver = await startReceiver();
  const config = parseConfig({ TUCO_DATA_DIR: fresh.dataDir, TUCO_WEBHOOK_ALLOW_PRIVATE: '1', TUCO_WEBHOOK_CONCURRENCY: String(concurrency), LOG_LEVEL: 'silent' });
  const worker = buildWebhookWorker({ store: fresh.store, clock: systemClock, logger: createLogger('silent'), config });
  try {
    const now = Date.now();
    const ws = await fresh.store.db.transaction().execute((trx) => createWorkspace(trx, 'Bench', now));
    for (let e = 0; e < endpoints; e++) {
      await insertEndpoint(fresh.store.db, { workspaceId: ws.id, url: `${receiver.url}/${e}`, name: `bench ${e}`, description: null, events: ['message.sent'], secret: generateWebhookSecret(), now });
    }
    await fire(fresh.store, ws.id, Math.ceil(events / endpoints));
    const total = Math.ceil(events / endpoints) * endpoints;
    const started = performance.now();
    await worker.runOnce();
    const seconds = (performance.now() - started) / 1000;
    const ok = await fresh.store.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'succeeded')
      .executeTakeFirstOrThrow();
    if (Number(ok.n) !== total || receiver.count() !== total) throw new Error(`bench: ${ok.n} logged, ${receiver.count()} received, ${total} expected`);
    return total / seconds;
  } finally {
    await worker.stop();
    await receiver.close();
    await fresh.drop();
  }
}

/** Requests/s of a bare undici loop: the same bodies, the same receiver, the same requests in flight. */
async function measureBaseline(events: number, inFlight: number): Promise<number> {
  const receiver = await startReceiver();
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  const body = JSON.stringify({ eventId: '65f1c2a9e4b0a1b2c3d4e5f6', event: 'message.sent', timestamp: new Date().toISOString(), workspaceId: 'w', sequence: 1, data: messageDoc(1) });
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < events) {
          next += 1;
          const res = await request(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, dispatcher: agent });
          await res.body.text();
        }
      }),
    );
    return events / ((performance.now() - started) / 1000);
  } finally {
    await agent.close();
    await receiver.close();
  }
}

const round = (n: number) => Math.round(n);

const bench: Bench = async (ctx) => {
  const events = ctx.quick ? 2_000 : 20_000;
  const figures: Figure[] = [];
  // Warm the JIT, the HTTP code and the query paths once, unmeasured: the first run is several times slower.
  await measureBaseline(2_000, 4);
  await measureWorker(ctx, 1_000, 1, 4);
  for (const [endpoints, concurrency] of [
    [1, 4],
    [4, 4],
  ] as const) {
    const inFlight = endpoints * concurrency;
    const baseline = await measureBaseline(events, inFlight);
    const value = await measureWorker(ctx, events, endpoints, concurrency);
    figures.push({
      name: `webhook events delivered/s, signed and logged, ${endpoints} endpoint${endpoints > 1 ? 's' : ''} × ${concurrency} in flight (${events.toLocaleString('en-US')} events)`,
      value: round(value),
      unit: 'events/s',
      baselineName: `bare undici POST loop, ${inFlight} in flight, same receiver`,
      baselineValue: round(baseline),
      note: 'outbox to acknowledged and logged; receiver in the same process',
    });
  }
  return figures;
};

export default bench;
