import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../types.js';

/** Messages: send, list, read with history, cancel. */
export const messageRoutes = (_deps: AppDeps): FastifyPluginAsync => async () => {};
