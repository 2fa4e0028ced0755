import type { Db } from './db.js';
import type { LineRow } from './schema.js';
import { dayBucket, hourBucket, iso } from '../domain/time.js';
import { publicSettings, type Channel, type Provider } from '../domain/lines.js';

export async function getLine(db: Db, workspaceId: string, id: string): Promise<LineRow | undefined> {
  return db
    .selectFrom('lines')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

export async function listLines(db: Db, workspaceId: string): Promise<LineRow[]> {
  return db
    .selectFrom('lines')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export interface LineUsage {
  date: string;
  newConversationsCount: number;
  totalMessagesCount: number;
  hour: string;
  hourlyNewConversationsCount: number;
  /** iMessage availability checks made today (they have their own daily quota). */
  availabilityChecksCount: number;
}

/** Today's (UTC) and this hour's counters for each line. */
export async function lineUsage(db: Db, lineIds: string[], now: number): Promise<Map<string, LineUsage>> {
  const day = dayBucket(now);
  const hour = hourBucket(now);
  const checks = `a:${day}`;
  const out = new Map<string, LineUsage>();
  for (const id of lineIds) out.set(id, { date: day, newConversationsCount: 0, totalMessagesCount: 0, hour: `${hour}:00:00.000Z`, hourlyNewConversationsCount: 0, availabilityChecksCount: 0 });
  if (!lineIds.length) return out;
  const rows = await db.selectFrom('line_usage').selectAll().where('line_id', 'in', lineIds).where('bucket', 'in', [day, hour, checks]).execute();
  for (const r of rows) {
    const u = out.get(r.line_id)!;
    if (r.bucket === day) {
      u.newConversationsCount = r.new_count;
      u.totalMessagesCount = r.total_count;
    } else if (r.bucket === checks) u.availabilityChecksCount = r.total_count;
    else u.hourlyNewConversationsCount = r.new_count;
  }
  return out;
}

/** The URLs to configure at the provider; each carries the line's secret where the provider cannot sign. */
export function providerCallbacks(line: LineRow, publicUrl: string): Record<string, string> {
  const token = encodeURIComponent(line.callback_secret);
  switch (line.provider as Provider) {
    case 'bluebubbles':
      return { events: `${publicUrl}/hooks/bluebubbles/${line.id}?token=${token}` };
    case 'twilio':
      return { status: `${publicUrl}/hooks/twilio/${line.id}/status`, inbound: `${publicUrl}/hooks/twilio/${line.id}/inbound` };
    default:
      return {};
  }
}

export function lineView(line: LineRow, usage: LineUsage, publicUrl: string) {
  return {
    _id: line.id,
    workspaceId: line.workspace_id,
    firstName: line.first_name,
    lastName: line.last_name,
    phone: line.phone,
    email: line.email,
    provider: line.provider,
    providerSettings: publicSettings(JSON.parse(line.provider_settings)),
    channels: JSON.parse(line.channels) as Channel[],
    isActive: line.is_active === 1,
    provisioningStatus: 'active',
    lineType: 'byon',
    channelType: line.phone ? 'phone' : 'email',
    dailyNewConversationsLimit: line.daily_new_limit,
    dailyTotalMessagesLimit: line.daily_total_limit,
    hourlyNewConversationsLimit: line.hourly_new_limit,
    minSendIntervalMs: line.min_send_interval_ms,
    usage: usage,
    healthCheck: { status: line.health_status, lastCheckedAt: iso(line.health_checked_at) },
    providerCallbacks: providerCallbacks(line, publicUrl),
    lastSendAt: iso(line.last_send_at),
    createdAt: iso(line.created_at),
    updatedAt: iso(line.updated_at),
  };
}
