import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../types.js';

/** Webhook endpoints, their delivery log, retry, replay and secret rotation. */
export const webhookRoutes = (_deps: AppDeps): FastifyPluginAsync => async () => {};
