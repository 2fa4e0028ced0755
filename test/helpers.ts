import { parseConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import type { Store } from '../src/store/db.js';
import { buildApp } from '../src/http/app.js';
import { ManualClock, type Clock } from '../src/domain/time.js';
import { createWorkspace, generateApiKey, insertApiKey } from '../src/store/workspaces.js';
import { buildEngine, type Engine } from '../src/engine/engine.js';
import { buildChannels } from '../src/channels/index.js';
import { buildWebhookWorker, type WebhookWorker } from '../src/engine/webhookWorker.js';
import type { FastifyInstance } from 'fastify';
import { scratchStore } from './scratchDb.js';

/** Which store this run of the suite uses: TUCO_TEST_DB=sqlite (default) or postgres. */
export const TEST_BACKEND = (process.env.TUCO_TEST_DB ?? 'sqlite') as 'sqlite' | 'postgres';
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** A fresh, empty store: a new SQLite file, or a new PostgreSQL database on the test server. */
export const freshStore = () => scratchStore({ backend: TEST_BACKEND, pgAdminUrl: process.env.TUCO_TEST_PG_URL, prefix: 'tuco_t' });

export interface Api {
  (method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers; text: string }>;
}

export function apiClient(baseUrl: string, key: string | null): Api {
  return async (method, url, body, headers = {}) => {
    const h: Record<string, string> = { ...headers };
    if (key && !('authorization' in h)) h.authorization = `Bearer ${key}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(baseUrl + url, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers, text };
  };
}

export interface TestTuco {
  app: FastifyInstance;
  store: Store;
  clock: ManualClock;
  config: Config;
  baseUrl: string;
  engine: Engine;
  webhooks: WebhookWorker;
  /** A fresh workspace with its own key, so tests do not see each other's data. */
  newWorkspace(name?: string): Promise<{ workspaceId: string; key: string; api: Api }>;
  admin: Api;
  close(): Promise<void>;
}

/** Starts a real Tuco HTTP server on loopback over a fresh store, with a manual clock and an engine driven by runOnce(). */
export async function startTestTuco(opts: { env?: Record<string, string>; clock?: ManualClock } = {}): Promise<TestTuco> {
  const fresh = await freshStore();
  const config = parseConfig({
    PORT: '0',
    TUCO_ADMIN_TOKEN: ADMIN_TOKEN,
    TUCO_DATA_DIR: fresh.dataDir,
    TUCO_WEBHOOK_ALLOW_PRIVATE: '1',
    TUCO_RATE_LIMIT_PER_MINUTE: '100000',
    LOG_LEVEL: process.env.TUCO_TEST_LOG ?? 'silent',
    ...opts.env,
  });
  const clock = opts.clock ?? new ManualClock(Date.parse('2026-03-02T15:00:00.000Z'));
  const logger = createLogger(config.logLevel);
  const channels = buildChannels({ config, clock, logger });
  const engine = buildEngine({ store: fresh.store, clock, logger, config, channels, workerId: 'test-worker' });
  const webhooks = buildWebhookWorker({ store: fresh.store, clock, logger, config });
  const app = await buildApp({ config, store: fresh.store, clock, logger });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    store: fresh.store,
    clock,
    config,
    baseUrl: address,
    engine,
    webhooks,
    admin: apiClient(address, ADMIN_TOKEN),
    async newWorkspace(name = 'Test workspace') {
      const now = clock.now();
      const key = generateApiKey();
      const ws = await fresh.store.db.transaction().execute(async (trx) => {
        const w = await createWorkspace(trx, name, now);
        await insertApiKey(trx, w.id, 'test', key, now);
        return w;
      });
      return { workspaceId: ws.id, key, api: apiClient(address, key) };
    },
    async close() {
      await app.close();
      await engine.stop();
      await webhooks.stop();
      await fresh.store.close();
      await fresh.drop();
    },
  };
}

export { Clock };
