import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Store } from '../store/db.js';
import type { Clock } from '../domain/time.js';
import type { Channels } from '../channels/types.js';

export interface EngineDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  config: Config;
  channels: Channels;
  workerId?: string;
}

export interface Engine {
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
  wake(): void;
}

export function buildEngine(_deps: EngineDeps): Engine {
  return { runOnce: async () => 0, start() {}, async stop() {}, wake() {} };
}
