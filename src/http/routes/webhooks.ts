import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../types.js';
import { Obj, Nullable, Id, IdParams, Iso } from '../schemas.js';
import { AppError, badRequest, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { checkWebhookUrl } from '../../domain/netguard.js';
import { generateWebhookSecret, signedHeaders } from '../../domain/webhookSigning.js';
import { WEBHOOK_EVENTS } from '../../store/outbox.js';
import {
  DELIVERY_STATUSES, ROTATION_OVERLAP_MS, attemptsOf, deliveryView, enableEndpoint, endpointView, getDelivery, getEndpoint, insertEndpoint,
  listDeliveries, listEndpoints, outboxEventsByIds, pauseEndpoint, replayEvents, retryDelivery, signingSecrets, type DeliveryStatus,
} from '../../store/webhooks.js';
import { deliveryBody } from '../../domain/webhookSigning.js';
import { createWebhookSender } from '../../engine/webhooks/sender.js';
import { iso } from '../../domain/time.js';

const SECRET_WARNING = 'Store this secret now: it is shown only once. It signs every delivery (X-Tuco-Signature and webhook-signature).';
const HEALTH_CHECK_MESSAGE = 'This is a health check test webhook from Tuco AI';

const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'https:// URL of a public host' });
const Events = Type.Array(Type.String(), { description: `Events to receive: ${WEBHOOK_EVENTS.join(', ')}` });
const Name = Type.String({ maxLength: 200 });
const Description = Nullable(Type.String({ maxLength: 2000 }));
const DeliveryParams = Obj({ id: Id, deliveryId: Id });

/** Checks event names and removes duplicates; the error lists the valid names. */
function parseEvents(events: string[]): string[] {
  if (!events.length) throw badRequest(`"events" must list at least one event: ${WEBHOOK_EVENTS.join(', ')}`, 'VALIDATION_ERROR', { field: 'events' });
  const unknown = events.filter((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
  if (unknown.length) {
    throw badRequest(`Invalid event type(s) in "events": ${unknown.join(', ')}. Valid events are: ${WEBHOOK_EVENTS.join(', ')}`, 'VALIDATION_ERROR', {
      field: 'events',
      validEvents: WEBHOOK_EVENTS,
    });
  }
  return [...new Set(events)];
}

function parseName(name: string): string {
  const n = name.trim();
  if (!n) throw badRequest('"name" cannot be blank', 'VALIDATION_ERROR', { field: 'name' });
  return n;
}

function parseInstant(value: string, field: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw badRequest(`"${field}" must be an ISO-8601 date-time such as 2026-03-02T15:00:00.000Z`, 'VALIDATION_ERROR', { field });
  return t;
}

const endpointInactive = () =>
  new AppError(409, 'WEBHOOK_DISABLED', 'This webhook is disabled: fix the endpoint, re-enable it with PATCH {"isActive": true}, then retry or replay');

/** Webhook endpoints, their delivery log, retry, replay and secret rotation. */
export const webhookRoutes = (deps: AppDeps): FastifyPluginAsync => async (app) => {
  const { db } = deps.store;
  const sender = createWebhookSender({ timeoutMs: deps.config.webhookTimeoutMs, allowPrivate: deps.config.webhookAllowPrivate, now: () => deps.clock.now() });
  app.addHook('onClose', async () => sender.close());

  const parseUrl = (url: string): string => {
    const check = checkWebhookUrl(url.trim(), deps.config.webhookAllowPrivate);
    if (!check.ok) throw badRequest(`"url" ${check.reason}`, 'VALIDATION_ERROR', { field: 'url' });
    return url.trim();
  };
  const endpointOr404 = async (ws: string, id: string) => {
    const e = await getEndpoint(db, ws, id);
    if (!e) throw notFound('Webhook');
    return e;
  };

  app.get('/webhooks', { schema: { tags: ['webhooks'] } }, async (req) => ({ webhooks: (await listEndpoints(db, req.auth.workspaceId)).map(endpointView) }));

  app.post(
    '/webhooks',
    { schema: { tags: ['webhooks'], body: Obj({ url: Url, events: Events, name: Name, description: Type.Optional(Description) }) } },
    async (req, reply) => {
      const body = req.body as { url: string; events: string[]; name: string; description?: string | null };
      const url = parseUrl(body.url);
      const events = parseEvents(body.events);
      const name = parseName(body.name);
      const row = await insertEndpoint(db, {
        workspaceId: req.auth.workspaceId,
        url,
        name,
        description: body.description ?? null,
        events,
        secret: generateWebhookSecret(),
        now: deps.clock.now(),
      });
      reply.code(201);
      return { id: row.id, secret: row.secret, url: row.url, events, name: row.name, createdAt: iso(row.created_at), warning: SECRET_WARNING };
    },
  );

  app.get('/webhooks/:id', { schema: { tags: ['webhooks'], params: IdParams } }, async (req) =>
    endpointView(await endpointOr404(req.auth.workspaceId, (req.params as { id: string }).id)),
  );

  app.patch(
    '/webhooks/:id',
    {
      schema: {
        tags: ['webhooks'],
        params: IdParams,
        body: Obj({ url: Type.Optional(Url), events: Type.Optional(Events), name: Type.Optional(Name), description: Type.Optional(Description), isActive: Type.Optional(Type.Boolean()) }),
      },
    },
    async (req) => {
      const ws = req.auth.workspaceId;
      const { id } = req.params as { id: string };
      const body = req.body as { url?: string; events?: string[]; name?: string; description?: string | null; isActive?: boolean };
      const now = deps.clock.now();
      const set: Record<string, unknown> = { updated_at: now };
      if (body.url !== undefined) set.url = parseUrl(body.url);
      if (body.events !== undefined) set.events = JSON.stringify(parseEvents(body.events));
      if (body.name !== undefined) set.name = parseName(body.name);
      if (body.description !== undefined) set.description = body.description;
      await db.transaction().execute(async (trx) => {
        const e = await getEndpoint(trx, ws, id);
        if (!e) throw notFound('Webhook');
        await trx.updateTable('webhook_endpoints').set(set).where('id', '=', id).execute();
        if (body.isActive === true && e.is_active !== 1) await enableEndpoint(trx, id, now);
        if (body.isActive === false && e.is_active === 1) await pauseEndpoint(trx, id, now);
      });
      return { success: true };
    },
  );

  app.delete('/webhooks/:id', { schema: { tags: ['webhooks'], params: IdParams } }, async (req) => {
    const { id } = req.params as { id: string };
    const r = await db.deleteFrom('webhook_endpoints').where('workspace_id', '=', req.auth.workspaceId).where('id', '=', id).executeTakeFirst();
    if (!Number(r.numDeletedRows)) throw notFound('Webhook');
    return { success: true };
  });

  app.post('/webhooks/:id/health-check', { schema: { tags: ['webhooks'], params: IdParams } }, async (req) => {
    const ws = req.auth.workspaceId;
    const e = await endpointOr404(ws, (req.params as { id: string }).id);
    const now = deps.clock.now();
    const eventId = newId(now);
    const body = JSON.stringify({
      eventId,
      event: 'message.sent',
      timestamp: new Date(now).toISOString(),
      workspaceId: ws,
      testMode: true,
      data: { test: true, message: HEALTH_CHECK_MESSAGE },
    });
    const events = JSON.parse(e.events) as string[];
    const headers = signedHeaders({ secrets: signingSecrets(e, now), eventId, event: events[0] ?? 'message.sent', nowMs: now, body });
    const res = await sender.post(e.url, { ...headers }, body);
    if (res.ok) {
      return { success: true, message: 'Webhook endpoint responded successfully', statusCode: res.statusCode, response: res.responseBody, error: null, details: null, latencyMs: Math.round(res.latencyMs) };
    }
    return {
      success: false,
      message: null,
      statusCode: res.statusCode,
      response: res.responseBody,
      error: res.statusCode !== null ? `Webhook endpoint returned HTTP ${res.statusCode}` : 'Webhook request failed',
      details: res.error,
      latencyMs: Math.round(res.latencyMs),
    };
  });

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        params: IdParams,
        querystring: Obj({
          status: Type.Optional(Type.Union(DELIVERY_STATUSES.map((s) => Type.Literal(s)))),
          event: Type.Optional(Type.Union(WEBHOOK_EVENTS.map((s) => Type.Literal(s)))),
          from: Type.Optional(Iso),
          to: Type.Optional(Iso),
          cursor: Type.Optional(Id),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
        }),
      },
    },
    async (req) => {
      const e = await endpointOr404(req.auth.workspaceId, (req.params as { id: string }).id);
      const q = req.query as { status?: DeliveryStatus; event?: string; from?: string; to?: string; cursor?: string; limit: number };
      const page = await listDeliveries(db, e.id, {
        status: q.status,
        event: q.event,
        from: q.from !== undefined ? parseInstant(q.from, 'from') : undefined,
        to: q.to !== undefined ? parseInstant(q.to, 'to') : undefined,
        cursor: q.cursor,
        limit: q.limit,
      });
      return { deliveries: page.rows.map((d) => deliveryView(d, page.attempts.get(d.id))), nextCursor: page.nextCursor };
    },
  );

  app.get('/webhooks/:id/deliveries/:deliveryId', { schema: { tags: ['webhooks'], params: DeliveryParams } }, async (req) => {
    const { id, deliveryId } = req.params as { id: string; deliveryId: string };
    const e = await endpointOr404(req.auth.workspaceId, id);
    const d = await getDelivery(db, e.id, deliveryId);
    if (!d) throw notFound('Delivery');
    const event = (await outboxEventsByIds(db, [d.event_id])).get(d.event_id);
    const payload = event
      ? JSON.parse(deliveryBody({ eventId: event.id, event: event.event, occurredAt: Number(event.created_at), workspaceId: event.workspace_id, sequence: Number(d.sequence), dataJson: event.payload }))
      : null;
    return { delivery: { ...deliveryView(d, (await attemptsOf(db, [d.id])).get(d.id)), payload } };
  });

  app.post('/webhooks/:id/deliveries/:deliveryId/retry', { schema: { tags: ['webhooks'], params: DeliveryParams } }, async (req) => {
    const { id, deliveryId } = req.params as { id: string; deliveryId: string };
    const e = await endpointOr404(req.auth.workspaceId, id);
    if (!(await getDelivery(db, e.id, deliveryId))) throw notFound('Delivery');
    if (e.is_active !== 1) throw endpointInactive();
    const queued = await retryDelivery(db, e.id, deliveryId, deps.clock.now());
    const d = (await getDelivery(db, e.id, deliveryId))!;
    return { success: true, queued, delivery: deliveryView(d, (await attemptsOf(db, [d.id])).get(d.id)) };
  });

  app.post(
    '/webhooks/:id/replay',
    { schema: { tags: ['webhooks'], params: IdParams, body: Obj({ since: Iso, until: Type.Optional(Iso) }) } },
    async (req) => {
      const e = await endpointOr404(req.auth.workspaceId, (req.params as { id: string }).id);
      const body = req.body as { since: string; until?: string };
      const now = deps.clock.now();
      const since = parseInstant(body.since, 'since');
      const until = body.until !== undefined ? parseInstant(body.until, 'until') : now;
      if (since > until) throw badRequest('"since" must be before "until"', 'VALIDATION_ERROR', { field: 'since' });
      if (e.is_active !== 1) throw endpointInactive();
      const replayed = await replayEvents(deps.store, e.id, since, until, now);
      return { success: true, replayed, since: iso(since), until: iso(until) };
    },
  );

  app.post('/webhooks/:id/rotate-secret', { schema: { tags: ['webhooks'], params: IdParams } }, async (req) => {
    const e = await endpointOr404(req.auth.workspaceId, (req.params as { id: string }).id);
    const now = deps.clock.now();
    const secret = generateWebhookSecret();
    const expires = now + ROTATION_OVERLAP_MS;
    await db
      .updateTable('webhook_endpoints')
      .set({ secret, previous_secret: e.secret, previous_secret_expires_at: expires, updated_at: now })
      .where('id', '=', e.id)
      .execute();
    return {
      id: e.id,
      secret,
      previousSecretExpiresAt: iso(expires),
      warning: `${SECRET_WARNING} Until ${iso(expires)} deliveries carry signatures from both the old and the new secret in webhook-signature; X-Tuco-Signature uses the new one at once.`,
    };
  });
};
