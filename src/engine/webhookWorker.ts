import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Store } from '../store/db.js';
import type { Clock } from '../domain/time.js';
import type { WebhookDeliveryRow, WebhookEndpointRow } from '../store/webhookSchema.js';
import type { OutboxEventRow } from '../store/schema.js';
import { nextRetryDelay } from '../domain/retryLadder.js';
import { deliveryBody, signedHeaders } from '../domain/webhookSigning.js';
import {
  claimDueDeliveries, endpointsWithDueDeliveries, fanOutEvents, getEndpointById, outboxEventsByIds, recordAttempt, signingSecrets, type AfterFailure,
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

/**
 * The webhook delivery worker. Fan-out runs in short transactions; requests run outside any
 * transaction, each under a lease long enough for the request and its bookkeeping. A process that
 * dies mid-request leaves the lease to expire, and the delivery is sent again (at least once).
 */
export function buildWebhookWorker(deps: WebhookWorkerDeps): WebhookWorker {
  const { store, clock, logger, config } = deps;
  const log = logger.child({ component: 'webhooks' });
  const random = deps.random ?? Math.random;
  const sender = createWebhookSender({ timeoutMs: config.webhookTimeoutMs, allowPrivate: config.webhookAllowPrivate, resolve: deps.resolveHost, now: () => clock.now() });
  const leaseMs = 2 * config.webhookTimeoutMs + 5_000;
  const perEndpoint = config.webhookConcurrency;

  const inFlightByEndpoint = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  let started = false;
  let stopped = false;
  let closed: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let ticking: Promise<void> | null = null;
  let wokenDuringTick = false;

  async function fanOutAll(): Promise<void> {
    for (;;) {
      const { events } = await fanOutEvents(store, clock.now(), FANOUT_BATCH);
      if (events < FANOUT_BATCH) return;
    }
  }

  /** Fans out, then starts every due delivery that fits in the free slots; does not wait for them. */
  async function pump(): Promise<number> {
    await fanOutAll();
    const now = clock.now();
    let launched = 0;
    for (const endpointId of await endpointsWithDueDeliveries(store.db, now, MAX_ENDPOINTS_PER_PASS)) {
      const free = Math.min(perEndpoint - (inFlightByEndpoint.get(endpointId) ?? 0), MAX_IN_FLIGHT - inFlight.size);
      if (free <= 0) continue;
      const claimed = await claimDueDeliveries(store, endpointId, now, free, now + leaseMs);
      if (!claimed.length) continue;
      const endpoint = await getEndpointById(store.db, endpointId);
      const events = await outboxEventsByIds(store.db, claimed.map((d) => d.event_id));
      for (const d of claimed) {
        launch(d, endpoint, events.get(d.event_id));
        launched += 1;
      }
    }
    return launched;
  }

  function launch(d: WebhookDeliveryRow, endpoint: WebhookEndpointRow | undefined, event: OutboxEventRow | undefined): void {
    inFlightByEndpoint.set(d.endpoint_id, (inFlightByEndpoint.get(d.endpoint_id) ?? 0) + 1);
    const p = deliver(d, endpoint, event)
      .catch((err) => log.error({ err, deliveryId: d.id }, 'webhook delivery bookkeeping failed; the lease will expire and it will be sent again'))
      .finally(() => {
        const left = (inFlightByEndpoint.get(d.endpoint_id) ?? 1) - 1;
        if (left > 0) inFlightByEndpoint.set(d.endpoint_id, left);
        else inFlightByEndpoint.delete(d.endpoint_id);
        inFlight.delete(p);
        wake();
      });
    inFlight.add(p);
  }

  async function deliver(d: WebhookDeliveryRow, endpoint: WebhookEndpointRow | undefined, event: OutboxEventRow | undefined): Promise<void> {
    const startedAt = clock.now();
    if (!endpoint) return; // deleted meanwhile; its deliveries went with it
    if (!event) {
      await recordAttempt(
        store,
        d,
        { startedAt, finishedAt: startedAt, latencyMs: 0, statusCode: null, responseBody: null, error: `Event ${d.event_id} is no longer stored`, ok: false },
        { kind: 'dead' },
      );
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
    const { disabled } = await recordAttempt(
      store,
      d,
      { startedAt, finishedAt, latencyMs: res.latencyMs, statusCode: res.statusCode, responseBody: res.responseBody, error: res.error, ok: res.ok },
      after,
    );
    if (disabled) log.warn({ endpointId: d.endpoint_id }, 'webhook endpoint disabled');
  }

  async function tick(): Promise<void> {
    timer = null;
    if (stopped) return;
    wokenDuringTick = false;
    ticking = pump()
      .then(() => undefined)
      .catch((err) => log.error({ err }, 'webhook worker pass failed; retrying on the next poll'));
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
      let attempted = 0;
      for (;;) {
        const n = await pump();
        attempted += n;
        if (n > 0) continue;
        if (!inFlight.size) return attempted;
        await Promise.race(inFlight);
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
        await Promise.allSettled([...inFlight]);
        await sender.close();
      })();
      await closed;
    },
    wake,
  };
}
