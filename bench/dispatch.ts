/**
 * Dispatch rate to the simulator channel with every rule on (window, days, limits, sticky line
 * choice, reservation, history, outbox), with 10,000 and with 1,000,000 held messages beside the
 * due ones, against a bare loop doing the same row writes per message with no rules.
 */
import { sql } from 'kysely';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { systemClock } from '../src/domain/time.js';
import { newId } from '../src/domain/ids.js';
import { buildEngine } from '../src/engine/engine.js';
import { simulatorAdapter } from '../src/channels/simulator.js';
import { claimDueMessages } from '../src/engine/claim.js';
import { createWorkspace } from '../src/store/workspaces.js';
import { importLeads } from '../src/store/leads.js';
import { quickSendsList } from '../src/store/lists.js';
import { chunk, type Store } from '../src/store/db.js';
import type { MessageRow } from '../src/store/schema.js';
import type { Bench, BenchContext, Figure } from './types.js';
import { benchStore, percentile } from './util.js';

const LINES = 10;

/** A workspace with simulator lines, `due` messages due now and `held` messages outside their window. */
async function seed(store: Store, due: number, held: number) {
  const db = store.db;
  const now = Date.now();
  const ws = await db.transaction().execute((trx) => createWorkspace(trx, 'Bench', now));
  for (let i = 0; i < LINES; i++) {
    await db.insertInto('lines').values({
      id: newId(), workspace_id: ws.id, first_name: 'Sim', last_name: String(i), phone: null, email: null, provider: 'simulator',
      provider_settings: '{}', channels: '["imessage","sms","email"]', is_active: 1, daily_new_limit: 10_000_000, daily_total_limit: 10_000_000,
      hourly_new_limit: 10_000_000, min_send_interval_ms: 0, last_send_at: null, health_status: 'healthy', health_checked_at: null,
      callback_secret: 'x', deleted_at: null, created_at: now, updated_at: now,
    }).execute();
  }
  const hour = new Date(now).getUTCHours();
  const hh = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
  // A window open now (three hours around the current UTC hour), every day allowed: all rules are evaluated.
  const settings = JSON.stringify({ timezone: 'UTC', sendWindowStart: hh(hour - 1), sendWindowEnd: hh(hour + 3), allowedDaysOfWeek: [0, 1, 2, 3, 4, 5, 6] });
  const list = await quickSendsList(db, ws.id);
  const inputs = Array.from({ length: due }, (_, i) => ({ firstName: `Lead${i}`, phone: `+1212${String(2000000 + i).padStart(7, '0')}7`.slice(0, 12) }));
  // Make every phone distinct and simulator-friendly (never ending in 0, 13, 14, 42, 66 or 99).
  inputs.forEach((l, i) => (l.phone = `+1646${String(1000000 + i * 3).slice(-7)}`.replace(/(0|13|14|42|66|99)$/, '57')));
  const imported = await db.transaction().execute((trx) => importLeads(trx, inputs, { workspaceId: ws.id, listId: list.id, source: 'bench', country: { callingCode: '1' }, now }));
  const base = (lead: { id: string; phone: string | null }): MessageRow => ({
    id: newId(), workspace_id: ws.id, direction: 'outbound', lead_id: lead.id, campaign_id: null, step_index: null, batch_id: null,
    message_type: 'sms', body: 'Hi {{firstName}}', subject: null, attachment_urls: '[]', status: 'queued', requested_line_id: null, line_id: null,
    from_line_phone: null, from_line_email: null, recipient_phone: lead.phone, recipient_email: null, recipient_name: null, recipient_address: null,
    scheduled_at: null, settings, hold_reason: null, eligible_at: now, next_attempt_at: now, claimed_by: null, attempt_count: 0,
    send_started_at: null, sent_at: null, delivered_at: null, read_at: null, finished_at: null, external_message_id: null, error_message: null,
    checked_addresses: null, send_fallback_sms_on_failed: 0, fallback_channel: null, fallback_of: null, correlation_id: null, created_by: null,
    created_at: now, updated_at: now,
  });
  for (const part of chunk(imported.saved, 500)) await db.insertInto('messages').values(part.map(base)).execute();
  // Held rows are generated inside the database: a million inserts through the driver would dominate the run.
  const heldAt = now + 86_400_000;
  const cols = sql`id, workspace_id, direction, message_type, body, attachment_urls, status, settings, hold_reason, eligible_at, next_attempt_at, attempt_count, send_fallback_sms_on_failed, created_at, updated_at`;
  const vals = (idExpr: ReturnType<typeof sql>) =>
    sql`${idExpr}, ${ws.id}, 'outbound', 'sms', 'later', '[]', 'queued', ${settings}, 'outside_send_window', ${heldAt}, ${heldAt}, 0, 0, ${now}, ${now}`;
  if (store.profile.backend === 'postgres') {
    await sql`INSERT INTO messages (${cols}) SELECT ${vals(sql`'f' || lpad(to_hex(g), 23, '0')`)} FROM generate_series(1, ${held}::int) g`.execute(db);
    await sql`ANALYZE messages`.execute(db);
  } else {
    await sql`WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < ${held}) INSERT INTO messages (${cols}) SELECT ${vals(sql`printf('f%023x', x)`)} FROM g`.execute(db);
    await sql`ANALYZE`.execute(db);
  }
  return { workspaceId: ws.id, dueIds: imported.saved.length, start: now };
}

async function engineRun(ctx: BenchContext, due: number, held: number): Promise<{ rate: number; p50: number; p99: number }> {
  const b = await benchStore(ctx);
  try {
    const seeded = await seed(b.store, due, held);
    const config = parseConfig({ TUCO_DATA_DIR: b.dataDir, LOG_LEVEL: 'silent', TUCO_ENGINE_BATCH_SIZE: '200' });
    const logger = createLogger('silent');
    // Deliveries and replies are pushed an hour out so only dispatch is measured.
    const channels = { simulator: simulatorAdapter({ deliveryMs: 3_600_000, replyMs: 3_600_000 }), bluebubbles: undefined, twilio: undefined, smtp: undefined };
    const engine = buildEngine({ store: b.store, clock: systemClock, logger, config, channels, workerId: 'bench' });
    // Due from now on: pickup latency is measured from this instant.
    const t0 = Date.now();
    await b.store.db.updateTable('messages').set({ next_attempt_at: t0, eligible_at: t0 }).where('next_attempt_at', '<=', t0).execute();
    for (let i = 0; i < 10_000; i++) if ((await engine.runOnce()) === 0) break;
    const elapsed = (Date.now() - t0) / 1000;
    const rows = await b.store.db.selectFrom('messages').select(['status', 'send_started_at']).where('workspace_id', '=', seeded.workspaceId).where('status', '=', 'sent').execute();
    if (rows.length !== seeded.dueIds) throw new Error(`dispatch bench: ${rows.length} of ${seeded.dueIds} sent`);
    const lat = rows.map((r) => (r.send_started_at ?? t0) - t0);
    return { rate: rows.length / elapsed, p50: percentile(lat, 50), p99: percentile(lat, 99) };
  } finally {
    await b.drop();
  }
}

/** The same row writes per message as the engine makes, with no rules, reads or provider. */
async function bareRun(ctx: BenchContext, due: number): Promise<number> {
  const b = await benchStore(ctx);
  try {
    await seed(b.store, due, 0);
    const db = b.store.db;
    const t0 = Date.now();
    let sent = 0;
    for (;;) {
      const now = Date.now();
      const claimed = await claimDueMessages(db, b.store.profile, { now, limit: 200, workerId: 'bare', leaseMs: 60_000 });
      if (!claimed.length) break;
      for (const m of claimed) {
        const lineId = 'bare-line';
        await db.transaction().execute(async (trx) => {
          await trx.updateTable('messages').set({ status: 'pending', line_id: lineId, updated_at: now }).where('id', '=', m.id).execute();
          await trx.insertInto('message_events').values({ id: newId(), message_id: m.id, workspace_id: m.workspace_id, status: 'pending', at: now, note: null }).execute();
          await trx.insertInto('conversations').values({ workspace_id: m.workspace_id, lead_id: m.lead_id!, line_id: lineId, first_outbound_at: now, last_outbound_at: now }).onConflict((oc) => oc.columns(['line_id', 'lead_id']).doNothing()).execute();
          await trx.insertInto('line_usage').values({ line_id: lineId, bucket: 'b', new_count: 1, total_count: 1 }).onConflict((oc) => oc.columns(['line_id', 'bucket']).doUpdateSet((eb) => ({ total_count: eb('line_usage.total_count', '+', 1) }))).execute();
        });
        await db.transaction().execute(async (trx) => {
          await trx.updateTable('messages').set({ status: 'sending', send_started_at: now }).where('id', '=', m.id).execute();
          await trx.insertInto('message_events').values({ id: newId(), message_id: m.id, workspace_id: m.workspace_id, status: 'sending', at: now, note: null }).execute();
        });
        await db.transaction().execute(async (trx) => {
          await trx.updateTable('messages').set({ status: 'sent', sent_at: now, next_attempt_at: null }).where('id', '=', m.id).execute();
          await trx.insertInto('message_events').values({ id: newId(), message_id: m.id, workspace_id: m.workspace_id, status: 'sent', at: now, note: null }).execute();
          await trx.insertInto('outbox_events').values({ id: newId(), workspace_id: m.workspace_id, event: 'message.sent', payload: '{}', created_at: now, dispatched_at: null }).execute();
          await trx.insertInto('jobs').values({ id: newId(), kind: 'delivered', due_at: now + 3_600_000, payload: '{}', created_at: now }).execute();
        });
        sent++;
      }
    }
    return sent / ((Date.now() - t0) / 1000);
  } finally {
    await b.drop();
  }
}

const bench: Bench = async (ctx) => {
  const due = ctx.quick ? 1000 : 10_000;
  const small = ctx.quick ? 1000 : 10_000;
  const large = ctx.quick ? 100_000 : 1_000_000;
  const bare = await bareRun(ctx, due);
  const withSmall = await engineRun(ctx, due, small);
  const withLarge = await engineRun(ctx, due, large);
  const fmt = (n: number) => n.toLocaleString('en-US');
  const figures: Figure[] = [
    {
      name: `dispatch msgs/s, ${fmt(due)} due + ${fmt(small)} held`,
      value: withSmall.rate,
      unit: 'msg/s',
      baselineName: 'bare loop, same row writes, no rules',
      baselineValue: bare,
      note: `pickup latency p50 ${withSmall.p50} ms, p99 ${withSmall.p99} ms`,
    },
    {
      name: `dispatch msgs/s, ${fmt(due)} due + ${fmt(large)} held`,
      value: withLarge.rate,
      unit: 'msg/s',
      baselineName: `same with ${fmt(small)} held (must stay within 2x)`,
      baselineValue: withSmall.rate,
      note: `pickup latency p50 ${withLarge.p50} ms, p99 ${withLarge.p99} ms`,
    },
  ];
  return figures;
};
export default bench;
