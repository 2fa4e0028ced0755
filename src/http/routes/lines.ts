import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../types.js';
import { Obj, Nullable, IdParams } from '../schemas.js';
import { badRequest, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { normalizeEmail, normalizePhone } from '../../domain/addresses.js';
import { CHANNELS, DEFAULT_CHANNELS, DEFAULT_LIMITS, PROVIDERS, validateProviderSettings, type Provider } from '../../domain/lines.js';
import { getLine, lineUsage, lineView, listLines } from '../../store/lines.js';
import type { LineRow } from '../../store/schema.js';
import { LINE_HOLDS, releaseHolds } from '../../store/messages.js';

const Limit = Type.Integer({ minimum: 0, maximum: 1_000_000 });
const lineFields = {
  firstName: Type.String({ minLength: 1, maxLength: 200 }),
  lastName: Type.String({ maxLength: 200 }),
  phone: Type.Optional(Nullable(Type.String({ maxLength: 40 }))),
  email: Type.Optional(Nullable(Type.String({ maxLength: 320 }))),
  provider: Type.Union(PROVIDERS.map((p) => Type.Literal(p))),
  providerSettings: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  channels: Type.Optional(Type.Array(Type.Union(CHANNELS.map((c) => Type.Literal(c))), { minItems: 1, maxItems: 3, uniqueItems: true })),
  isActive: Type.Optional(Type.Boolean()),
  dailyNewConversationsLimit: Type.Optional(Limit),
  dailyTotalMessagesLimit: Type.Optional(Limit),
  hourlyNewConversationsLimit: Type.Optional(Limit),
  minSendIntervalMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
};
const CreateLine = Obj(lineFields);
const PatchLine = Type.Partial(CreateLine, { additionalProperties: false });

interface LineBody {
  firstName?: string;
  lastName?: string;
  phone?: string | null;
  email?: string | null;
  provider?: Provider;
  providerSettings?: Record<string, unknown>;
  channels?: string[];
  isActive?: boolean;
  dailyNewConversationsLimit?: number;
  dailyTotalMessagesLimit?: number;
  hourlyNewConversationsLimit?: number;
  minSendIntervalMs?: number;
}

/** Lines: sending identities with their provider settings, limits and today's usage. */
export const lineRoutes = (deps: AppDeps): FastifyPluginAsync => async (app) => {
  const { db } = deps.store;
  const views = async (lines: LineRow[]) => {
    const now = deps.clock.now();
    const usage = await lineUsage(db, lines.map((l) => l.id), now);
    return lines.map((l) => lineView(l, usage.get(l.id)!, deps.config.publicUrl));
  };

  /** Applies the body onto a row (new or stored), collecting every problem. */
  const applyBody = (body: LineBody, row: LineRow, isNew: boolean) => {
    const problems: string[] = [];
    if (body.firstName !== undefined) {
      row.first_name = body.firstName.trim();
      if (!row.first_name) problems.push('firstName cannot be blank: it is the name recipients see');
    }
    if (body.lastName !== undefined) row.last_name = body.lastName.trim();
    if (body.phone !== undefined) {
      const p = body.phone ? normalizePhone(body.phone) : null;
      if (body.phone && !p) problems.push(`phone "${body.phone}" is not a phone number; write it in E.164 form such as +14155550123`);
      row.phone = p;
    }
    if (body.email !== undefined) {
      const e = body.email ? normalizeEmail(body.email) : null;
      if (body.email && !e) problems.push(`email "${body.email}" is not a valid email address`);
      row.email = e;
    }
    const providerChanged = body.provider !== undefined && body.provider !== row.provider;
    if (body.provider !== undefined) row.provider = body.provider;
    if (isNew || providerChanged || body.providerSettings !== undefined) {
      const previous = providerChanged ? undefined : JSON.parse(row.provider_settings || '{}');
      const v = validateProviderSettings(row.provider as Provider, body.providerSettings ?? {}, previous);
      problems.push(...v.problems);
      row.provider_settings = JSON.stringify(v.settings);
    }
    if (body.channels !== undefined) row.channels = JSON.stringify(body.channels);
    else if (isNew || providerChanged) row.channels = JSON.stringify(DEFAULT_CHANNELS[row.provider as Provider]);
    const channels = JSON.parse(row.channels) as string[];
    const allowed = DEFAULT_CHANNELS[row.provider as Provider];
    for (const c of channels) if (!allowed.includes(c as any)) problems.push(`channel ${c} is not available on provider ${row.provider} (it offers ${allowed.join(', ')})`);
    if (body.isActive !== undefined) row.is_active = body.isActive ? 1 : 0;
    if (body.dailyNewConversationsLimit !== undefined) row.daily_new_limit = body.dailyNewConversationsLimit;
    if (body.dailyTotalMessagesLimit !== undefined) row.daily_total_limit = body.dailyTotalMessagesLimit;
    if (body.hourlyNewConversationsLimit !== undefined) row.hourly_new_limit = body.hourlyNewConversationsLimit;
    if (body.minSendIntervalMs !== undefined) row.min_send_interval_ms = body.minSendIntervalMs;
    if (problems.length) throw badRequest(problems.join('; '), 'VALIDATION_ERROR', { problems });
    deps.wakeEngine?.();
    return row;
  };

  const list = async (req: any) => ({ lines: await views(await listLines(db, req.auth.workspaceId)) });
  app.get('/lines/by-user', { schema: { tags: ['lines'] } }, list);
  app.get('/lines', { schema: { tags: ['lines'] } }, list);

  app.post('/lines', { schema: { tags: ['lines'], body: CreateLine } }, async (req, reply) => {
    const now = deps.clock.now();
    const row: LineRow = {
      id: newId(now),
      workspace_id: req.auth.workspaceId,
      first_name: '',
      last_name: '',
      phone: null,
      email: null,
      provider: 'simulator',
      provider_settings: '{}',
      channels: '[]',
      is_active: 1,
      daily_new_limit: DEFAULT_LIMITS.dailyNew,
      daily_total_limit: DEFAULT_LIMITS.dailyTotal,
      hourly_new_limit: DEFAULT_LIMITS.hourlyNew,
      min_send_interval_ms: 0,
      last_send_at: null,
      health_status: 'healthy',
      health_checked_at: null,
      callback_secret: randomBytes(24).toString('base64url'),
      deleted_at: null,
      created_at: now,
      updated_at: now,
    };
    applyBody(req.body as LineBody, row, true);
    await db.insertInto('lines').values(row).execute();
    await releaseHolds(db, row.workspace_id, LINE_HOLDS, deps.clock.now());
    reply.code(201);
    return { line: (await views([row]))[0] };
  });

  app.get('/lines/:id', { schema: { tags: ['lines'], params: IdParams } }, async (req) => {
    const line = await getLine(db, req.auth.workspaceId, (req.params as { id: string }).id);
    if (!line) throw notFound('Line');
    return { line: (await views([line]))[0] };
  });

  app.patch('/lines/:id', { schema: { tags: ['lines'], params: IdParams, body: PatchLine } }, async (req) => {
    const line = await getLine(db, req.auth.workspaceId, (req.params as { id: string }).id);
    if (!line) throw notFound('Line');
    const row = applyBody(req.body as LineBody, { ...line }, false);
    row.updated_at = deps.clock.now();
    const { id, workspace_id, created_at, ...set } = row;
    await db.updateTable('lines').set(set).where('id', '=', id).where('workspace_id', '=', workspace_id).execute();
    // A line activated or given more room may free messages held for want of one.
    await releaseHolds(db, workspace_id, LINE_HOLDS, deps.clock.now());
    return { line: (await views([row]))[0] };
  });

  app.delete('/lines/:id', { schema: { tags: ['lines'], params: IdParams } }, async (req) => {
    const now = deps.clock.now();
    // Soft delete: messages keep pointing at the line that sent them.
    const r = await db
      .updateTable('lines')
      .set({ deleted_at: now, is_active: 0, updated_at: now })
      .where('workspace_id', '=', req.auth.workspaceId)
      .where('id', '=', (req.params as { id: string }).id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!Number(r.numUpdatedRows)) throw notFound('Line');
    return { success: true };
  });
};
