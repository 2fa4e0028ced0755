import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one app instance (a registry per app, no globals). */
export interface Metrics {
  registry: Registry;
  httpRequests: Histogram<'method' | 'route' | 'status'>;
  messageTransitions: Counter<'status'>;
  engineTicks: Histogram<never>;
}

export function createMetrics(opts: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaults) collectDefaultMetrics({ register: registry, prefix: 'tuco_process_' });
  return {
    registry,
    httpRequests: new Histogram({
      name: 'tuco_http_request_duration_seconds',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    messageTransitions: new Counter({
      name: 'tuco_message_transitions_total',
      help: 'Messages moved to each status by the engine (held counts holds)',
      labelNames: ['status'],
      registers: [registry],
    }),
    engineTicks: new Histogram({
      name: 'tuco_engine_tick_seconds',
      help: 'Duration of engine ticks that did work',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10],
      registers: [registry],
    }),
  };
}
