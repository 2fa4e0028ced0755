import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Clock } from '../domain/time.js';
import type { Channels } from './types.js';
import { simulatorAdapter } from './simulator.js';

/** The adapters this build offers, by provider. */
export function buildChannels(deps: { config: Config; clock: Clock; logger: Logger }): Channels {
  return {
    simulator: simulatorAdapter({ deliveryMs: deps.config.simDeliveryMs, replyMs: deps.config.simReplyMs }),
    bluebubbles: undefined,
    twilio: undefined,
    smtp: undefined,
  };
}
