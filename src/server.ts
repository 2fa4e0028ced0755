import type { Logger } from 'pino';
import type { Config } from './config.js';
import { openStore, migrateToLatest, type Store } from './store/db.js';
import { buildApp } from './http/app.js';
import { bootstrap } from './bootstrap.js';
import { systemClock, type Clock } from './domain/time.js';
import { buildEngine, type Engine } from './engine/engine.js';
import { buildChannels } from './channels/index.js';
import { buildWebhookWorker } from './engine/webhookWorker.js';
import { createMetrics } from './metrics.js';

export type Role = 'all' | 'api' | 'worker';

export interface Running {
  store: Store;
  url: string | null;
  engine: Engine | null;
  stop(): Promise<void>;
}

/** Composes store, HTTP app and engine in one process, by role. */
export async function startTuco(config: Config, logger: Logger, role: Role = 'all', clock: Clock = systemClock): Promise<Running> {
  if (role === 'worker' && !config.databaseUrl) {
    throw new Error('A separate worker needs a shared store: set DATABASE_URL=postgres://… (the embedded SQLite store runs API and engine in one process)');
  }
  const store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const applied = await migrateToLatest(store.db);
  if (applied.length) logger.info({ migrations: applied }, 'applied migrations');
  const boot = await bootstrap(store, config, clock.now());

  const channels = buildChannels({ config, clock, logger });
  const metrics = createMetrics({ defaults: true });
  const webhooks = role === 'api' ? null : buildWebhookWorker({ store, clock, logger, config });
  const engine = role === 'api' ? null : buildEngine({ store, clock, logger, config, channels, metrics, onEvents: () => webhooks?.wake() });
  engine?.start();
  webhooks?.start();

  let url: string | null = null;
  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  if (role !== 'worker') {
    app = await buildApp({ config, store, clock, logger, metrics, channels, wakeEngine: engine ? () => engine.wake() : undefined });
    url = await app.listen({ port: config.port, host: config.host });
  }
  const where = url ?? '(worker only, no HTTP)';
  const lines = [`Tuco is running at ${where} on ${store.profile.backend === 'sqlite' ? `SQLite in ${config.dataDir}` : 'PostgreSQL'} (role: ${role})`];
  if (boot.createdKey) {
    lines.push('', 'Your first API key (shown once; store it now):', `  ${boot.createdKey}`, '', `Try: curl -H "Authorization: Bearer ${boot.createdKey}" ${url}/api/lines/by-user`);
  }
  if (url) lines.push(`API description: ${url}/openapi.json`);
  process.stdout.write(`${lines.join('\n')}\n`);

  return {
    store,
    url,
    engine,
    async stop() {
      await app?.close();
      await engine?.stop();
      await webhooks?.stop();
      await store.close();
    },
  };
}
