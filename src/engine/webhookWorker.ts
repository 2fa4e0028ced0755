import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Store } from '../store/db.js';
import type { Clock } from '../domain/time.js';
import type { WebhookDeliveryRow, WebhookEndpointRow } from '../store/webhookSchema.js';
import type { OutboxEventRow } from '../store/schema.js';
import { nextRetryDelay } from '../domain/retryLadder.js';
import { deliveryBody, signedHeaders } from '../domain/webhookSigning.js';
import {
  claimDueDeliveries, endpointsWithDueDeliveries, fanOutEvents, getEndpointById, outboxEventsByIds, recordAttempts, releaseClaims, signingSecrets,
  type AfterFailure, type AttemptRecord,
} from '../store/webhooks.js';
import { createWebhookSender, type ResolveHost } from './webhooks/sender.js';

export interface WebhookWorkerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  config: Config;
  /** DNS for the private-address guard; tests replace it to play DNS tricks. */
  resolveHost?: ResolveHost;
  /** Jitter source for the retry ladder. */
  random?: () => number;
}

/** Fans outbox events out to endpoints and delivers them, with retries and a log. */
export interface WebhookWorker {
  /** One pass: fan out undispatched events, deliver what is due. Returns how many deliveries were attempted. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
  wake(): void;
}

const FANOUT_BATCH = 500;
// Bounds sockets and memory when many endpoints are slow at once; each endpoint has its own,
// much smaller limit (config.webhookConcurrency), so one slow endpoint holds only its own slots.
const MAX_IN_FLIGHT = 512;
const MAX_ENDPOINTS_PER_PASS = 1000;
const RECORD_BATCH = 200;
// An endpoint answering faster than this gets a deeper local queue (8 × its concurrency), so its
// requests follow each other without a database round trip in between.
const FAST_ENDPOINT_MS = 250;
const DEEP_QUEUE_FACTOR = 8;
// A claimed delivery is started only while its lease still covers a full request plus this margin;
// otherwise it is handed back, so that no other worker can take it while this one sends it.
const LEASE_MARGIN_MS = 5_000;

/** A claimed delivery waiting in its endpoint's local queue, with what it needs to be sent. */
interface Claimed {
  delivery: WebhookDeliveryRow;
  endpoint: WebhookEndpointRow | undefined;
  event: OutboxEventRow | undefined;
  claimedAt: number;
  leaseUntil: number;
}

/** This worker's state for one endpoint. */
interface Lane {
  id: string;
  inFlight: number;
  queue: Claimed[];
  claiming: boolean;
  /** The last claim filled everything asked for, so more may be due. */
  more: boolean;
}

/**
 * The webhook delivery worker. Fan-out runs in short transactions; requests run outside any
 * transaction, each under a lease long enough for the request and its bookkeeping. A process that
 * dies mid-request leaves the lease to expire, and the delivery is sent again (at least once).
 *
 * Each endpoint has a lane: at most `webhookConcurrency` requests in flight, fed from a small local
 * queue of claimed deliveries. A slow endpoint fills only its own lane, so it never delays another
 * endpoint or message sending (which runs in the engine, on its own loop).
 */
export function buildWebhookWorker(deps: WebhookWorkerDeps): WebhookWorker {
  const { store, clock, logger, config } = deps;
  const log = logger.child({ component: 'webhooks' });
  const random = deps.random ?? Math.random;
  const sender = createWebhookSender({ timeoutMs: config.webhookTimeoutMs, allowPrivate: config.webhookAllowPrivate, resolve: deps.resolveHost, now: () => clock.now() });
  const leaseMs = 2 * config.webhookTimeoutMs + LEASE_MARGIN_MS;
  const perEndpoint = config.webhookConcurrency;

  const lanes = new Map<string, Lane>();
  // Recent answer time per endpoint (exponential average), to size its local queue.
  const latency = new Map<string, number>();
  // Requests, claims and hand-backs under way; runOnce waits for them, stop() drains them.
  const work = new Set<Promise<unknown>>();
  let inFlightTotal = 0;
  let launchedTotal = 0;
  let started = false;
  let stopped = false;
  let closed: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let ticking: Promise<void> | null = null;
  let wokenDuringTick = false;

  const track = (p: Promise<unknown>, what: string): void => {
    const guarded = p.catch((err) => log.error({ err }, `${what} failed; retrying on the next poll`));
    work.add(guarded);
    void guarded.finally(() => work.delete(guarded));
  };

  const laneOf = (id: string): Lane => {
    let l = lanes.get(id);
    if (!l) {
      l = { id, inFlight: 0, queue: [], claiming: false, more: false };
      lanes.set(id, l);
    }
    return l;
  };
  const dropIfIdle = (l: Lane) => {
    if (!l.inFlight && !l.queue.length && !l.claiming) lanes.delete(l.id);
  };
  const queueTarget = (id: string) => ((latency.get(id) ?? Infinity) < FAST_ENDPOINT_MS ? perEndpoint * DEEP_QUEUE_FACTOR : perEndpoint);

  /** Starts what the lane's free slots allow, and claims more when its queue runs low. */
  function pump(l: Lane): void {
    if (stopped) return;
    const now = clock.now();
    const stale: Claimed[] = [];
    while (l.inFlight < perEndpoint && inFlightTotal < MAX_IN_FLIGHT && l.queue.length) {
      const c = l.queue.shift()!;
      if (c.leaseUntil - now < config.webhookTimeoutMs + LEASE_MARGIN_MS) stale.push(c);
      else launch(l, c);
    }
    if (stale.length) track(releaseClaims(store, stale.map((c) => ({ id: c.delivery.id, claimedAt: c.claimedAt })), now), 'handing back stale webhook claims');
    const want = Math.min(queueTarget(l.id) - l.inFlight - l.queue.length, MAX_IN_FLIGHT - inFlightTotal);
    if (l.more && !l.claiming && l.queue.length < perEndpoint && want > 0) {
      l.claiming = true;
      track(claim(l, want), 'claiming webhook deliveries');
    }
    dropIfIdle(l);
  }

  async function claim(l: Lane, want: number): Promise<void> {
    try {
      const now = clock.now();
      const claimed = await claimDueDeliveries(store, l.id, now, want, now + leaseMs);
      l.more = claimed.length === want;
      if (!claimed.length) return;
      const endpoint = await getEndpointById(store.db, l.id);
      const events = await outboxEventsByIds(store.db, claimed.map((d) => d.event_id));
      for (const d of claimed) l.queue.push({ delivery: d, endpoint, event: events.get(d.event_id), claimedAt: now, leaseUntil: now + leaseMs });
    } finally {
      l.claiming = false;
      pump(l);
    }
  }

  function launch(l: Lane, c: Claimed): void {
    l.inFlight += 1;
    inFlightTotal += 1;
    launchedTotal += 1;
    track(
      deliver(c).finally(() => {
        l.inFlight -= 1;
        inFlightTotal -= 1;
        pump(l);
      }),
      'webhook delivery bookkeeping (the lease will expire and it will be sent again)',
    );
  }

  // Group commit: attempts that finish while a batch is being written go into the next one, so
  // the log costs one transaction per batch instead of one per request.
  let recordQueue: { record: AttemptRecord; done: (r: { disabled: boolean }) => void; fail: (e: unknown) => void }[] = [];
  let recording = false;
  function record(r: AttemptRecord): Promise<{ disabled: boolean }> {
    return new Promise((done, fail) => {
      recordQueue.push({ record: r, done, fail });
      if (!recording) {
        recording = true;
        // After the current I/O callbacks, so answers that arrived together share one transaction.
        setImmediate(() => void flushRecords());
      }
    });
  }
  async function flushRecords(): Promise<void> {
    while (recordQueue.length) {
      const batch = recordQueue.slice(0, RECORD_BATCH);
      recordQueue = recordQueue.slice(batch.length);
      try {
        const results = await recordAttempts(store, batch.map((b) => b.record));
        batch.forEach((b, i) => b.done(results[i]));
      } catch (err) {
        for (const b of batch) b.fail(err);
      }
    }
    recording = false;
  }

  async function deliver({ delivery: d, endpoint, event }: Claimed): Promise<void> {
    const startedAt = clock.now();
    if (!endpoint) return; // deleted meanwhile; its deliveries went with it
    if (!event) {
      await record({
        delivery: d,
        outcome: { startedAt, finishedAt: startedAt, latencyMs: 0, statusCode: null, responseBody: null, error: `Event ${d.event_id} is no longer stored`, ok: false },
        after: { kind: 'dead' },
      });
      return;
    }
    const body = deliveryBody({
      eventId: event.id,
      event: event.event,
      occurredAt: Number(event.created_at),
      workspaceId: event.workspace_id,
      sequence: Number(d.sequence),
      dataJson: event.payload,
    });
    const headers = signedHeaders({ secrets: signingSecrets(endpoint, startedAt), eventId: event.id, event: event.event, nowMs: startedAt, body });
    const res = await sender.post(endpoint.url, { ...headers }, body);
    if (latency.size > 10_000) latency.clear();
    latency.set(d.endpoint_id, 0.8 * (latency.get(d.endpoint_id) ?? res.latencyMs) + 0.2 * res.latencyMs);
    const finishedAt = clock.now();
    let after: AfterFailure | null = null;
    if (!res.ok) {
      if (res.statusCode === 410) {
        after = { kind: 'hold', disableReason: 'The endpoint answered 410 Gone, which asks Tuco to stop sending; re-enable it to resume' };
      } else {
        const delay = nextRetryDelay(d.ladder_failures + 1, random, res.retryAfterMs);
        after = delay === null ? { kind: 'dead' } : { kind: 'retry', at: finishedAt + delay };
      }
    }
    const { disabled } = await record({
      delivery: d,
      outcome: { startedAt, finishedAt, latencyMs: res.latencyMs, statusCode: res.statusCode, responseBody: res.responseBody, error: res.error, ok: res.ok },
      after,
    });
    if (disabled) log.warn({ endpointId: d.endpoint_id }, 'webhook endpoint disabled');
  }

  async function fanOutAll(): Promise<void> {
    for (;;) {
      const { events } = await fanOutEvents(store, clock.now(), FANOUT_BATCH);
      if (events < FANOUT_BATCH) return;
    }
  }

  /** Fans out, then opens the lane of every endpoint with due deliveries; does not wait for the requests. */
  async function discover(): Promise<void> {
    await fanOutAll();
    for (const id of await endpointsWithDueDeliveries(store.db, clock.now(), MAX_ENDPOINTS_PER_PASS)) {
      const l = laneOf(id);
      l.more = true;
      pump(l);
    }
  }

  async function tick(): Promise<void> {
    timer = null;
    if (stopped) return;
    wokenDuringTick = false;
    ticking = discover().catch((err) => log.error({ err }, 'webhook worker pass failed; retrying on the next poll'));
    await ticking;
    ticking = null;
    if (!stopped) timer = setTimeout(() => void tick(), wokenDuringTick ? 0 : config.webhookPollMs);
  }

  function wake(): void {
    if (!started || stopped) return;
    if (ticking) {
      wokenDuringTick = true;
      return;
    }
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void tick(), 0);
  }

  return {
    async runOnce() {
      const before = launchedTotal;
      for (;;) {
        const pass = launchedTotal;
        await discover();
        while (work.size) await Promise.race(work);
        if (launchedTotal === pass) return launchedTotal - before;
      }
    },
    start() {
      if (started || stopped) return;
      started = true;
      timer = setTimeout(() => void tick(), 0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      closed ??= (async () => {
        await ticking;
        while (work.size) await Promise.allSettled([...work]);
        // Claimed but never started: hand them back so the next worker need not wait for the lease.
        const unsent = [...lanes.values()].flatMap((l) => l.queue.splice(0));
        if (unsent.length) {
          await releaseClaims(store, unsent.map((c) => ({ id: c.delivery.id, claimedAt: c.claimedAt })), clock.now()).catch((err) =>
            log.warn({ err }, 'could not hand back unsent webhook claims; they are sent after their lease'),
          );
        }
        await sender.close();
      })();
      await closed;
    },
    wake,
  };
}
