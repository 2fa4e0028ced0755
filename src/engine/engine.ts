import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Store } from '../store/db.js';
import type { Clock } from '../domain/time.js';
import type { Channels, FollowUp } from '../channels/types.js';
import type { Metrics } from '../metrics.js';
import type { Transaction } from 'kysely';
import type { Database, JobRow, LeadRow, LineRow, MessageRow } from '../store/schema.js';
import { newId } from '../domain/ids.js';
import { nextEligibleInstant } from '../domain/sendWindow.js';
import { rankLines } from '../domain/limits.js';
import { renderTemplate } from '../domain/template.js';
import { canMove, type HoldReason } from '../domain/messageStatus.js';
import { leadAddresses } from '../domain/leads.js';
import type { Channel } from '../domain/lines.js';
import { claimDueMessages, dueJobs } from './claim.js';
import { LineUnavailable, readCapacities, reserveLine } from './reserve.js';
import { recordInbound } from './inbound.js';
import { checkAddress } from './availability.js';
import { messageView, recordHistory } from '../store/messages.js';
import { leadView } from '../store/leads.js';
import { emitEvent, type WebhookEvent } from '../store/outbox.js';
import { findDnc } from '../store/dnc.js';

export interface EngineDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  config: Config;
  channels: Channels;
  workerId?: string;
  /** Called after events were written to the outbox, to nudge the webhook worker. */
  onEvents?: () => void;
  metrics?: Metrics;
}

/** The sending loop. Tests call runOnce() with a manual clock instead of sleeping. */
export interface Engine {
  /** One tick: apply due follow-ups, claim due messages and move each as far as it can go. Returns the work done. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
  wake(): void;
}

/** Retries after a retryable provider error; after the last one the message fails. */
const RETRY_DELAYS_MS = [30_000, 120_000, 600_000];
/** How often a message held for want of a usable line looks again (line changes also wake it). */
const NO_LINE_RECHECK_MS = 60_000;

export function buildEngine(deps: EngineDeps): Engine {
  const { store, clock, logger, config, channels } = deps;
  const db = store.db;
  const workerId = deps.workerId ?? `w_${randomBytes(6).toString('hex')}`;
  const log = logger.child({ component: 'engine', workerId });

  /** Moves a message to a final status with its event, in one transaction. */
  async function finish(
    m: MessageRow,
    status: 'sent' | 'failed' | 'fallback' | 'cancelled',
    fields: Partial<MessageRow>,
    event: WebhookEvent | null,
    note: string | null,
    followUps: FollowUp[] = [],
    allowFallback = true,
  ): Promise<void> {
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('messages')
        .set({ ...fields, status, hold_reason: null, next_attempt_at: null, claimed_by: null, finished_at: status === 'sent' ? null : now, updated_at: now })
        .where('id', '=', m.id)
        .where('claimed_by', '=', workerId)
        .returningAll()
        .executeTakeFirst();
      if (!updated) return;
      deps.metrics?.messageTransitions.inc({ status });
      await recordHistory(trx, m, status, now, note);
      if (event) {
        const data = messageView(updated);
        // The hosted product's message.fallback also carries `reason` beside checkedAddresses.
        await emitEvent(trx, { workspaceId: m.workspace_id, event, data: event === 'message.fallback' ? { ...data, reason: updated.error_message } : data, now });
      }
      // A fallback of a fallback is never made, so one message starts at most one more.
      const next = !allowFallback || updated.fallback_of
        ? null
        : status === 'fallback'
          ? updated.fallback_channel
          : status === 'failed' && updated.send_fallback_sms_on_failed === 1 && updated.message_type !== 'sms'
            ? 'sms'
            : null;
      if (next) await queueFallback(trx, updated, next, now);
      for (const f of followUps) {
        await trx
          .insertInto('jobs')
          .values({ id: newId(now), kind: f.kind, due_at: now + f.afterMs, payload: JSON.stringify({ messageId: m.id, workspaceId: m.workspace_id, text: f.kind === 'reply' ? f.text : undefined }), created_at: now })
          .execute();
      }
    });
    if (event) deps.onEvents?.();
  }

  /** The same content as a new message on another channel, linked by fallbackOf, in the caller's transaction. */
  async function queueFallback(trx: Transaction<Database>, m: MessageRow, channel: string, now: number): Promise<void> {
    const row: MessageRow = {
      ...m,
      id: newId(now), message_type: channel, status: 'queued', requested_line_id: null, line_id: null, from_line_phone: null, from_line_email: null,
      recipient_address: null, hold_reason: null, eligible_at: now, next_attempt_at: now, claimed_by: null, attempt_count: 0, send_started_at: null,
      sent_at: null, delivered_at: null, read_at: null, finished_at: null, external_message_id: null, error_message: null, checked_addresses: null,
      send_fallback_sms_on_failed: 0, fallback_channel: null, fallback_of: m.id, created_at: now, updated_at: now,
    };
    await trx.insertInto('messages').values(row).execute();
    await recordHistory(trx, row, 'queued', now, `fallback of ${m.id} (${m.status} on ${m.message_type})`);
  }

  const fail = (m: MessageRow, error: string, extra: Partial<MessageRow> = {}, allowFallback = true) =>
    finish(m, 'failed', { error_message: error, ...extra }, 'message.failed', error, [], allowFallback);

  /** Puts a message back to wait, saying why and until when. */
  async function hold(m: MessageRow, reason: HoldReason, until: number): Promise<void> {
    const now = clock.now();
    const status = reason === 'scheduled_for_later' ? m.status : m.status === 'scheduled' ? 'queued' : m.status;
    await db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('messages')
        .set({ status, hold_reason: reason, eligible_at: until, next_attempt_at: until, claimed_by: null, updated_at: now })
        .where('id', '=', m.id)
        .where('claimed_by', '=', workerId)
        .executeTakeFirst();
      // History notes a hold only when the reason changes, so a long wait stays one line.
      if (Number(r.numUpdatedRows) && (m.hold_reason !== reason || status !== m.status)) {
        await recordHistory(trx, m, status, now, `held: ${reason} until ${new Date(until).toISOString()}`);
      }
    });
  }

  const settingsOf = (m: MessageRow) => JSON.parse(m.settings) as Record<string, any>;

  /** Destination addresses in the order the channel tries them. */
  function destinations(m: MessageRow, lead: LeadRow | undefined): string[] {
    const channel = m.message_type as Channel;
    const explicit = channel === 'sms' ? [m.recipient_phone] : channel === 'email' ? [m.recipient_email] : [m.recipient_phone, m.recipient_email];
    const list = explicit.filter((a): a is string => !!a);
    const mode = settingsOf(m).addressing ?? 'recipient_then_lead';
    if (mode === 'lead' && lead) return leadAddresses(lead, channel);
    if (mode === 'recipient_then_lead' && lead) list.push(...leadAddresses(lead, channel));
    return [...new Set(list)];
  }

  async function loadLead(m: MessageRow): Promise<LeadRow | undefined> {
    if (!m.lead_id) return undefined;
    return db.selectFrom('leads').selectAll().where('id', '=', m.lead_id).executeTakeFirst();
  }

  /** What one tick reads once and shares across its messages: billing state and lines per workspace. */
  interface Tick {
    billing: Map<string, Promise<string | undefined>>;
    lines: Map<string, Promise<LineRow[]>>;
    /** Reservations in flight per line, so parallel sends spread over lines instead of queueing on one lock. */
    inFlight: Map<string, number>;
  }
  const newTick = (): Tick => ({ billing: new Map(), lines: new Map(), inFlight: new Map() });
  const memo = <T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> => {
    let p = map.get(key);
    if (!p) map.set(key, (p = load()));
    return p;
  };
  const workspaceLines = (tick: Tick, workspaceId: string) =>
    memo(tick.lines, workspaceId, () => db.selectFrom('lines').selectAll().where('workspace_id', '=', workspaceId).where('deleted_at', 'is', null).execute());

  /** The lines to try, best first: the requested one, else the sticky one, else the workspace's usable lines by capacity. */
  async function candidateLines(tick: Tick, m: MessageRow, now: number): Promise<LineRow[]> {
    const channel = m.message_type as Channel;
    const usable = (l: LineRow) => l.is_active === 1 && (JSON.parse(l.channels) as string[]).includes(channel);
    const all = await workspaceLines(tick, m.workspace_id);
    if (m.requested_line_id) return all.filter((l) => l.id === m.requested_line_id && usable(l));
    // Automatic choice skips lines whose provider this build cannot drive; an explicit fromLineId
    // still reaches deliver(), which fails the message saying so.
    const lines = all.filter((l) => usable(l) && l.health_status !== 'unhealthy' && channels[l.provider as keyof Channels]);
    if (!lines.length) return [];
    if (m.lead_id) {
      // Sticky: the line this recipient already talks to keeps the conversation.
      const conv = await db
        .selectFrom('conversations')
        .select('line_id')
        .where('workspace_id', '=', m.workspace_id)
        .where('lead_id', '=', m.lead_id)
        .orderBy('last_outbound_at', 'desc')
        .execute();
      for (const c of conv) {
        const sticky = lines.find((l) => l.id === c.line_id);
        if (sticky) return [sticky];
      }
    }
    if (lines.length === 1) return lines;
    const caps = await readCapacities(db, lines, m.lead_id ?? '', now);
    for (const c of caps) c.dailyTotal += tick.inFlight.get(c.lineId) ?? 0;
    return rankLines(caps).map((c) => lines.find((l) => l.id === c.lineId)!);
  }

  /** Rules before a line is chosen: billing, timing, recipient, line capacity. Returns the reserved message and its lead. */
  async function admit(tick: Tick, m: MessageRow): Promise<{ m: MessageRow; lead: LeadRow | undefined; line: LineRow } | null> {
    const now = clock.now();
    const billing = await memo(tick.billing, m.workspace_id, async () =>
      (await db.selectFrom('workspaces').select('billing_status').where('id', '=', m.workspace_id).executeTakeFirst())?.billing_status,
    );
    if (!billing) return null;
    if (billing !== 'active') {
      await hold(m, 'workspace_read_only', now + 5 * 60_000);
      return null;
    }
    const s = settingsOf(m);
    const timing = nextEligibleInstant(now, { scheduledAt: m.scheduled_at, timezone: s.timezone, sendWindowStart: s.sendWindowStart, sendWindowEnd: s.sendWindowEnd, allowedDaysOfWeek: s.allowedDaysOfWeek });
    if (timing.reason) {
      await hold(m, timing.reason, timing.at);
      return null;
    }
    const lead = await loadLead(m);
    const addresses = destinations(m, lead);
    if (!addresses.length) {
      await fail(m, m.lead_id && !lead ? 'The lead was deleted before this message was sent' : `The recipient has no ${m.message_type === 'email' ? 'email address' : 'phone number'} for an ${m.message_type} message`);
      return null;
    }
    const dnc = await findDnc(db, m.workspace_id, addresses);
    if (dnc) {
      await fail(m, 'The recipient is on the Do Not Contact list; nothing is sent to a DNC address', {}, false);
      return null;
    }
    const lines = await candidateLines(tick, m, now);
    if (!lines.length) {
      await hold(m, 'no_usable_line', now + NO_LINE_RECHECK_MS);
      return null;
    }
    let soonest: LineUnavailable | null = null;
    for (const line of lines) {
      tick.inFlight.set(line.id, (tick.inFlight.get(line.id) ?? 0) + 1);
      try {
        const reserved = await db.transaction().execute((trx) => reserveLine(trx, store.profile, m, line.id, { now, workerId }));
        return { m: reserved, lead, line };
      } catch (err) {
        if (!(err instanceof LineUnavailable)) throw err;
        if (!soonest || err.eligibleAt < soonest.eligibleAt) soonest = err;
      } finally {
        tick.inFlight.set(line.id, tick.inFlight.get(line.id)! - 1);
      }
    }
    await hold(m, soonest!.reason, soonest!.eligibleAt);
    return null;
  }

  /** From `pending` (line reserved) through the provider to `sent`, `failed` or `fallback`. */
  async function deliver(m: MessageRow, known?: { lead: LeadRow | undefined; line: LineRow }): Promise<void> {
    const line = known?.line ?? (await db.selectFrom('lines').selectAll().where('id', '=', m.line_id!).executeTakeFirst());
    if (!line) return fail(m, 'The line reserved for this message no longer exists');
    const adapter = channels[line.provider as keyof Channels];
    if (!adapter) return fail(m, `Provider ${line.provider} is not available in this build; the message was not sent`);
    const settings = JSON.parse(line.provider_settings) as Record<string, unknown>;
    const lead = known ? known.lead : await loadLead(m);
    const addresses = destinations(m, lead);
    let to: string | undefined = addresses[0];
    if (m.message_type === 'imessage' && adapter.checkAvailability) {
      to = undefined;
      const checked: string[] = [];
      for (const address of addresses) {
        const r = await checkAddress({ db, channels, quota: config.availabilityDailyQuota }, line, address, clock.now());
        if (!r.ok && r.reason === 'quota') {
          // The line keeps its reservation; the check resumes when its quota renews.
          return hold(m, 'availability_quota', r.retryAt);
        }
        checked.push(address);
        if (!r.ok) return fail(m, r.error, { checked_addresses: JSON.stringify(checked) });
        if (r.capable) {
          to = address;
          break;
        }
      }
      if (!to) {
        const reason = 'The recipient has no iMessage on any address';
        await finish(m, 'fallback', { error_message: reason, checked_addresses: JSON.stringify(checked) }, 'message.fallback', reason);
        if (lead) await db.updateTable('leads').set({ availability_status: 'unavailable', updated_at: clock.now() }).where('id', '=', lead.id).execute();
        return;
      }
      if (lead && lead.availability_status !== 'available') {
        await db.updateTable('leads').set({ availability_status: 'available', updated_at: clock.now() }).where('id', '=', lead.id).execute();
      }
    }
    if (!to) return fail(m, `The recipient has no address for a ${m.message_type} message`);

    // Placeholders are filled now, at send time, and the message keeps the text actually sent.
    const leadVars = lead ? (leadView(lead) as unknown as Record<string, unknown>) : {};
    const body = renderTemplate(m.body, { lead: leadVars, custom: lead ? JSON.parse(lead.custom_fields) : {}, extra: { line_name: `${line.first_name} ${line.last_name}`.trim() } });
    // Record the attempt before calling the provider: after a crash, a message found in
    // `sending` with an attempt on record may have reached the provider and is never re-sent blindly.
    const now = clock.now();
    const started = await db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('messages')
        .set({ status: 'sending', send_started_at: now, attempt_count: m.attempt_count + 1, recipient_address: to!, body, updated_at: now })
        .where('id', '=', m.id)
        .where('claimed_by', '=', workerId)
        .where('status', 'in', ['pending', 'sending'])
        .executeTakeFirst();
      if (!Number(r.numUpdatedRows)) return false;
      if (m.status !== 'sending') await recordHistory(trx, m, 'sending', now, `to ${m.message_type === 'email' ? 'email' : 'address'} ${m.attempt_count + 1 > 1 ? `(attempt ${m.attempt_count + 1})` : ''}`.trim());
      return true;
    });
    if (!started) return;
    const subject = m.message_type === 'email' ? m.subject : null;
    let result;
    try {
      result = await adapter.send({ messageId: m.id, line, settings, channel: m.message_type as Channel, to, body, subject, attachmentUrls: JSON.parse(m.attachment_urls) });
    } catch (err) {
      // An adapter that throws may or may not have reached the provider.
      log.error({ err, messageId: m.id }, 'adapter threw during send');
      return fail(m, `Send outcome unknown: the ${line.provider} provider call failed unexpectedly (${(err as Error).message}); not retried to avoid a duplicate`);
    }
    if (result.ok) {
      return finish(m, 'sent', { sent_at: clock.now(), external_message_id: result.externalId, error_message: null }, 'message.sent', null, result.followUps);
    }
    const attempt = m.attempt_count + 1;
    if (result.retryable && attempt <= RETRY_DELAYS_MS.length) {
      const at = clock.now() + RETRY_DELAYS_MS[attempt - 1];
      // The provider refused before accepting it, so a retry cannot duplicate: clear the attempt marker.
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('messages')
          .set({ send_started_at: null, error_message: result.error, eligible_at: at, next_attempt_at: at, claimed_by: null, updated_at: clock.now() })
          .where('id', '=', m.id)
          .where('claimed_by', '=', workerId)
          .execute();
        await recordHistory(trx, m, 'sending', clock.now(), `attempt ${attempt} failed (${result.error}); retrying at ${new Date(at).toISOString()}`);
      });
      return;
    }
    return fail(m, result.error);
  }

  async function processMessage(tick: Tick, m: MessageRow): Promise<void> {
    try {
      if (m.status === 'sending' && m.send_started_at !== null) {
        // A worker stopped after recording the attempt and before recording the outcome.
        return await fail(m, 'Send outcome unknown: the worker stopped while this message was being handed to the provider; it was not re-sent to avoid a duplicate');
      }
      if (m.status === 'pending' || m.status === 'sending') return await deliver(m);
      const admitted = await admit(tick, m);
      if (admitted) await deliver(admitted.m, admitted);
    } catch (err) {
      log.error({ err, messageId: m.id }, 'message processing failed; will retry after the lease');
    }
  }

  async function processJob(job: JobRow): Promise<void> {
    const now = clock.now();
    const payload = JSON.parse(job.payload) as { messageId: string; workspaceId: string; text?: string };
    let emitted = false;
    await db.transaction().execute(async (trx) => {
      const del = await trx.deleteFrom('jobs').where('id', '=', job.id).executeTakeFirst();
      if (!Number(del.numDeletedRows)) return; // another worker applied it
      const m = await trx.selectFrom('messages').selectAll().where('id', '=', payload.messageId).executeTakeFirst();
      if (!m) return;
      if (job.kind === 'delivered' && canMove(m.status, 'delivered')) {
        const u = await trx.updateTable('messages').set({ status: 'delivered', delivered_at: now, finished_at: now, updated_at: now }).where('id', '=', m.id).returningAll().executeTakeFirstOrThrow();
        await recordHistory(trx, m, 'delivered', now);
        await emitEvent(trx, { workspaceId: m.workspace_id, event: 'message.delivered', data: messageView(u), now });
        emitted = true;
      } else if (job.kind === 'read' && m.read_at === null) {
        const u = await trx.updateTable('messages').set({ read_at: now, updated_at: now }).where('id', '=', m.id).returningAll().executeTakeFirstOrThrow();
        await recordHistory(trx, m, m.status, now, 'read');
        await emitEvent(trx, { workspaceId: m.workspace_id, event: 'message.opened', data: messageView(u), now });
        emitted = true;
      } else if (job.kind === 'reply' && m.line_id && m.recipient_address) {
        const line = await trx.selectFrom('lines').selectAll().where('id', '=', m.line_id).executeTakeFirstOrThrow();
        await recordInbound(trx, { line, from: m.recipient_address, text: payload.text ?? '', now });
        emitted = true;
      }
    });
    if (emitted) deps.onEvents?.();
  }

  async function runOnce(): Promise<number> {
    const now = clock.now();
    const endTimer = deps.metrics?.engineTicks.startTimer();
    const jobs = await dueJobs(db, now, config.engineBatchSize);
    for (const job of jobs) {
      try {
        await processJob(job);
      } catch (err) {
        log.error({ err, jobId: job.id }, 'follow-up failed; will retry');
      }
    }
    const claimed = await claimDueMessages(db, store.profile, { now, limit: config.engineBatchSize, workerId, leaseMs: config.leaseMs });
    const tick = newTick();
    const parallel = store.profile.backend === 'postgres' ? 16 : 8;
    for (let i = 0; i < claimed.length; i += parallel) {
      await Promise.all(claimed.slice(i, i + parallel).map((m) => processMessage(tick, m)));
    }
    if (jobs.length + claimed.length > 0) endTimer?.();
    return jobs.length + claimed.length;
  }

  let stopped = true;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });

  return {
    runOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      loop = (async () => {
        while (!stopped) {
          let n = 0;
          try {
            n = await runOnce();
          } catch (err) {
            log.error({ err }, 'engine tick failed');
          }
          if (!stopped && n === 0) await sleep(config.enginePollMs);
        }
      })();
    },
    async stop() {
      stopped = true;
      wakeUp?.();
      await loop;
    },
    wake() {
      wakeUp?.();
    },
  };
}

