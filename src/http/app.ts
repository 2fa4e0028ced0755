import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError, badRequest } from '../domain/errors.js';
import { fieldWithNul, NUL_ERROR, refuseNul } from '../domain/text.js';
import type { AppDeps } from './types.js';
import { validatorCompiler, describeValidationError } from './validation.js';
import { apiAuth, adminAuth } from './auth.js';
import { healthRoutes } from './routes/health.js';
import { adminRoutes } from './routes/admin.js';
import { apiKeyRoutes } from './routes/apiKeys.js';
import { listRoutes } from './routes/lists.js';
import { leadRoutes } from './routes/leads.js';
import { lineRoutes } from './routes/lines.js';
import { messageRoutes } from './routes/messages.js';
import { webhookRoutes } from './routes/webhooks.js';
import { replyRoutes } from './routes/replies.js';
import { analyticsRoutes } from './routes/analytics.js';
import { availabilityRoutes } from './routes/availability.js';
import { buildChannels } from '../channels/index.js';
import { createMetrics } from '../metrics.js';

export type App = FastifyInstance;
export const ONE_MB = 1024 * 1024;

/** Builds the HTTP app from explicit dependencies; the caller decides whether to listen. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: ONE_MB,
    genReqId: (req) => {
      const given = req.headers['x-correlation-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : `app_${randomBytes(12).toString('hex')}`;
    },
    trustProxy: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const metrics = deps.metrics ?? createMetrics();
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpRequests.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  // PostgreSQL cannot store NUL in text: refuse it in any body or query, naming the field, before
  // anything is read or written. A route that reports rows one by one sets config.nulPerRow.
  app.addHook('preValidation', async (req) => {
    const where = fieldWithNul(req.query);
    if (where) throw badRequest(`Query parameter ${where} ${NUL_ERROR}`, 'VALIDATION_ERROR', { field: where });
    if (!(req.routeOptions.config as { nulPerRow?: boolean } | undefined)?.nulPerRow) refuseNul(req.body);
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSchemaErrorFormatter((errors, dataVar) => {
    const first = errors[0] as any;
    const { message, field } = describeValidationError(first, dataVar);
    const err = new AppError(400, 'VALIDATION_ERROR', message, { field });
    return err as unknown as Error;
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-correlation-id', req.id);
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: `No route ${req.method} ${req.url.split('?')[0]}; see /openapi.json for the API`, code: 'ROUTE_NOT_FOUND' });
  });

  app.setErrorHandler((error: FastifyError | AppError, req, reply) => {
    if (error instanceof AppError) {
      reply.code(error.statusCode).send({ error: error.message, code: error.code, ...error.extra });
      return;
    }
    const fe = error as FastifyError;
    switch (fe.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        reply.code(413).send({ error: 'Request body is too large: the limit is 1 MB (10 MB for POST /api/leads); split it into smaller requests', code: 'PAYLOAD_TOO_LARGE' });
        return;
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        reply.code(415).send({ error: 'Send the body as JSON with "Content-Type: application/json"', code: 'UNSUPPORTED_MEDIA_TYPE' });
        return;
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        reply.code(400).send({ error: 'The body is empty but Content-Type is application/json; send a JSON object', code: 'INVALID_JSON' });
        return;
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        reply.code(400).send({ error: `The body is not valid JSON: ${fe.message}`, code: 'INVALID_JSON' });
        return;
    }
    if (fe.statusCode === 400 && (fe as any).type === 'entity.parse.failed') {
      reply.code(400).send({ error: 'The body is not valid JSON', code: 'INVALID_JSON' });
      return;
    }
    if (error instanceof SyntaxError || (fe.statusCode === 400 && /JSON/i.test(fe.message))) {
      reply.code(400).send({ error: `The body is not valid JSON: ${fe.message}`, code: 'INVALID_JSON' });
      return;
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      reply.code(fe.statusCode).send({ error: fe.message, code: fe.code ?? 'BAD_REQUEST' });
      return;
    }
    // A unique index refused a write that raced another one (two writers, same address or key).
    if ((fe as any).code === '23505' || (fe as any).code === 'SQLITE_CONSTRAINT_UNIQUE' || (fe as any).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      reply.code(409).send({ error: 'Another request changed the same record at the same moment; read it again and retry', code: 'CONFLICT' });
      return;
    }
    req.log.error({ err: error }, 'unhandled error');
    reply.code(500).send({ error: 'Internal server error; the correlation id in x-correlation-id identifies this failure in the logs', code: 'INTERNAL' });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Tuco API', version: '1.0.0', description: 'Self-hosted Tuco: leads, lines, messages, webhooks.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'tuco_sk_… API key' } } },
      security: [{ bearer: [] }],
    },
  });

  await app.register(healthRoutes(deps, metrics));
  await app.register(
    async (admin) => {
      admin.addHook('onRequest', adminAuth(deps));
      await admin.register(adminRoutes(deps));
    },
    { prefix: '/admin' },
  );
  await app.register(
    async (api) => {
      api.addHook('onRequest', apiAuth(deps));
      await api.register(apiKeyRoutes(deps));
      await api.register(listRoutes(deps));
      await api.register(leadRoutes(deps));
      await api.register(lineRoutes(deps));
      await api.register(messageRoutes(deps));
      await api.register(webhookRoutes(deps));
      await api.register(replyRoutes(deps));
      await api.register(analyticsRoutes(deps));
      await api.register(availabilityRoutes({ ...deps, channels: deps.channels ?? buildChannels(deps) }));
    },
    { prefix: '/api' },
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app as unknown as FastifyInstance;
}
