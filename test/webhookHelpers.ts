import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { emitEvent, type WebhookEvent } from '../src/store/outbox.js';
import type { Store } from '../src/store/db.js';
import type { Api, TestTuco } from './helpers.js';

/** One request as a receiver saw it: the exact body bytes and the headers. */
export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  json: any;
  /** What the receiver answered (null when it hung or dropped the connection). */
  answered: number | null;
}

/** How a receiver answers a request: a status (and body), or 'hang' (never answer), or 'drop' (close the socket). */
export type Answer = number | { status: number; body?: string; headers?: Record<string, string> } | 'hang' | 'drop';

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Requests answered 2xx, by eventId. */
  acknowledged(): Set<string>;
  /** Changes how the next requests are answered. */
  answerWith(a: Answer | ((r: Received, n: number) => Answer)): void;
  /** Waits (on real time, for real network traffic) until `pred` holds. */
  waitFor(pred: (r: Receiver) => boolean, timeoutMs?: number): Promise<void>;
  /** Stops listening (connections refused) until `listen()` again on the same port. */
  down(): Promise<void>;
  listen(): Promise<void>;
  close(): Promise<void>;
}

/** A real HTTP receiver on loopback that records every request. */
export async function startReceiver(answer: Answer | ((r: Received, n: number) => Answer) = 200, port = 0): Promise<Receiver> {
  let policy = typeof answer === 'function' ? answer : () => answer;
  const received: Received[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: any = null;
      try {
        json = JSON.parse(body);
      } catch {
        /* not JSON */
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers, body, json, answered: null };
      received.push(r);
      const a = policy(r, received.length);
      if (a === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (a === 'drop') {
        req.socket.destroy();
        return;
      }
      const spec = typeof a === 'number' ? { status: a } : a;
      r.answered = spec.status;
      res.writeHead(spec.status, { 'content-type': 'text/plain', ...spec.headers });
      res.end(spec.body ?? (spec.status < 300 ? 'ok' : `error ${spec.status}`));
    });
  });
  const listen = (p: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  await listen(port);
  const actualPort = (server.address() as AddressInfo).port;
  const down = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const rcv: Receiver = {
    url: `http://127.0.0.1:${actualPort}/hooks/tuco`,
    port: actualPort,
    received,
    acknowledged: () => new Set(received.filter((r) => r.answered !== null && r.answered < 300).map((r) => r.json?.eventId)),
    answerWith(a) {
      policy = typeof a === 'function' ? a : () => a;
    },
    async waitFor(pred, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (!pred(rcv)) {
        if (Date.now() > until) throw new Error(`receiver condition not met within ${timeoutMs} ms (${received.length} requests so far)`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    down,
    listen: () => listen(actualPort),
    close: async () => {
      if (server.listening) await down();
    },
  };
  return rcv;
}

/** Fires `n` events into the outbox of a workspace, as the engine does inside its status transactions. */
export async function fireEvents(store: Store, workspaceId: string, n: number, now: number, event: WebhookEvent = 'message.sent'): Promise<string[]> {
  const ids: string[] = [];
  await store.db.transaction().execute(async (trx) => {
    for (let i = 0; i < n; i++) {
      const messageId = `${(0xa0000000 + i).toString(16)}${'0'.repeat(16)}`;
      ids.push(await emitEvent(trx, { workspaceId, event, now, data: { _id: messageId, status: event.split('.')[1], message: `Hello number ${i} ✓`, recipientPhone: '+15551230000' } }));
    }
  });
  return ids;
}

/**
 * Runs the worker, moves the clock to the next scheduled attempt, and repeats, until nothing is
 * scheduled or `maxRounds` passes. Returns how many attempts were made.
 */
export async function drain(t: TestTuco, maxRounds = 20): Promise<number> {
  let attempts = 0;
  for (let i = 0; i < maxRounds; i++) {
    attempts += await t.webhooks.runOnce();
    const next = await t.store.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.min('next_attempt_at').as('at'))
      .where('status', '=', 'pending')
      .where('next_attempt_at', 'is not', null)
      .executeTakeFirst();
    if (next?.at === null || next?.at === undefined) return attempts;
    if (Number(next.at) > t.clock.now()) t.clock.set(Number(next.at));
  }
  return attempts;
}

/** Creates a webhook through the API and returns its id and secret. */
export async function createWebhook(api: Api, url: string, events: string[] = ['message.sent'], name = 'Receiver'): Promise<{ id: string; secret: string }> {
  const r = await api('POST', '/api/webhooks', { url, events, name });
  if (r.status !== 201) throw new Error(`creating the webhook failed: ${r.status} ${r.text}`);
  return { id: r.body.id, secret: r.body.secret };
}
