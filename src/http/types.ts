import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Store } from '../store/db.js';
import type { Clock } from '../domain/time.js';
import type { Metrics } from '../metrics.js';
import type { Channels } from '../channels/types.js';

/** Everything the HTTP app needs, passed explicitly. */
export interface AppDeps {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Nudges the engine when new work is stored, so pickup does not wait a full poll. */
  wakeEngine?: () => void;
  /** Prometheus registry and instruments; one is made per app when not given. */
  metrics?: Metrics;
  /** Provider adapters (availability checks); built from config when not given. */
  channels?: Channels;
}

/** Who is calling: resolved from the API key on every /api request. */
export interface AuthContext {
  workspaceId: string;
  apiKeyId: string;
  billingStatus: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext;
  }
}
