import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Store } from '../store/db.js';
import type { Clock } from '../domain/time.js';

export interface WebhookWorkerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  config: Config;
}

/** Fans outbox events out to endpoints and delivers them, with retries and a log. */
export interface WebhookWorker {
  /** One pass: fan out undispatched events, deliver what is due. Returns how many deliveries were attempted. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
  wake(): void;
}

export function buildWebhookWorker(_deps: WebhookWorkerDeps): WebhookWorker {
  return { runOnce: async () => 0, start() {}, async stop() {}, wake() {} };
}
