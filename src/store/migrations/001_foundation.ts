import { Kysely, sql } from 'kysely';

/** Workspaces, keys, lists, leads, lines, messages and the engine's bookkeeping tables. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('workspaces')
    .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('billing_status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
    .addColumn('workspace_id', 'varchar(24)', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('api_keys_workspace').on('api_keys').columns(['workspace_id']).execute();

  await db.schema
    .createTable('lists')
    .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
    .addColumn('workspace_id', 'varchar(24)', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('is_quick_sends', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('lists_workspace').on('lists').columns(['workspace_id']).execute();

  let leads = db.schema
    .createTable('leads')
    .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
    .addColumn('workspace_id', 'varchar(24)', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('list_id', 'varchar(24)', (c) => c.notNull());
  for (const col of [
    'first_name', 'last_name', 'email', 'email_lower', 'phone', 'alt_phone1', 'alt_phone2', 'alt_phone3',
    'alt_email1', 'alt_email2', 'alt_email3', 'company_name', 'job_title', 'linkedin_url', 'notes',
    'availability_status', 'ghl_contact_id', 'ghl_location_id', 'hs_portal_id', 'hs_contact_id',
  ]) {
    leads = leads.addColumn(col, 'text');
  }
  await leads
    .addColumn('custom_fields', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('csv'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // One lead per primary phone and per primary email in a workspace (NULLs never collide): the
  // store itself keeps concurrent imports and sends from creating the same lead twice.
  await db.schema.createIndex('leads_ws_phone').unique().on('leads').columns(['workspace_id', 'phone']).execute();
  await db.schema.createIndex('leads_ws_email').unique().on('leads').columns(['workspace_id', 'email_lower']).execute();
  await db.schema.createIndex('leads_ws_list').on('leads').columns(['workspace_id', 'list_id', 'id']).execute();
  await db.schema.createIndex('leads_ws_id').on('leads').columns(['workspace_id', 'id']).execute();

  await db.schema
    .createTable('lines')
    .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
    .addColumn('workspace_id', 'varchar(24)', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('first_name', 'text', (c) => c.notNull())
    .addColumn('last_name', 'text', (c) => c.notNull())
    .addColumn('phone', 'text')
    .addColumn('email', 'text')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_settings', 'text', (c) => c.notNull())
    .addColumn('channels', 'text', (c) => c.notNull())
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('daily_new_limit', 'integer', (c) => c.notNull())
    .addColumn('daily_total_limit', 'integer', (c) => c.notNull())
    .addColumn('hourly_new_limit', 'integer', (c) => c.notNull())
    .addColumn('min_send_interval_ms', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_send_at', 'bigint')
    .addColumn('health_status', 'text', (c) => c.notNull().defaultTo('healthy'))
    .addColumn('health_checked_at', 'bigint')
    .addColumn('callback_secret', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('lines_workspace').on('lines').columns(['workspace_id']).execute();

  // Daily buckets are 'YYYY-MM-DD', hourly ones 'YYYY-MM-DDTHH' (UTC).
  await db.schema
    .createTable('line_usage')
    .addColumn('line_id', 'varchar(24)', (c) => c.notNull())
    .addColumn('bucket', 'varchar(16)', (c) => c.notNull())
    .addColumn('new_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('total_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('line_usage_pk', ['line_id', 'bucket'])
    .execute();

  await db.schema
    .createTable('conversations')
    .addColumn('workspace_id', 'varchar(24)', (c) => c.notNull())
    .addColumn('lead_id', 'varchar(24)', (c) => c.notNull())
    .addColumn('line_id', 'varchar(24)', (c) => c.notNull())
    .addColumn('first_outbound_at', 'bigint', (c) => c.notNull())
    .addColumn('last_outbound_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('conversations_pk', ['line_id', 'lead_id'])
    .execute();
  await db.schema.createIndex('conversations_lead').on('conversations').columns(['workspace_id', 'lead_id']).execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
    .addColumn('workspace_id', 'varchar(24)', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('lead_id', 'varchar(24)')
    .addColumn('campaign_id', 'varchar(24)')
    .addColumn('step_index', 'integer')
    .addColumn('batch_id', 'text')
    .addColumn('message_type', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('attachment_urls', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requested_line_id', 'varchar(24)')
    .addColumn('line_id', 'varchar(24)')
    .addColumn('from_line_phone', 'text')
    .addColumn('from_line_email', 'text')
    .addColumn('recipient_phone', 'text')
    .addColumn('recipient_email', 'text')
    .addColumn('recipient_name', 'text')
    .addColumn('recipient_address', 'text')
    .addColumn('scheduled_at', 'bigint')
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('hold_reason', 'text')
    .addColumn('eligible_at', 'bigint')
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('claimed_by', 'text')
    .addColumn('attempt_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('send_started_at', 'bigint')
    .addColumn('sent_at', 'bigint')
    .addColumn('delivered_at', 'bigint')
    .addColumn('read_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('external_message_id', 'text')
    .addColumn('error_message', 'text')
    .addColumn('checked_addresses', 'text')
    .addColumn('send_fallback_sms_on_failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('fallback_channel', 'text')
    .addColumn('fallback_of', 'varchar(24)')
    .addColumn('correlation_id', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // The engine reads only this index: waiting messages carry next_attempt_at, finished ones NULL,
  // so a tick costs the same with a million held messages as with none.
  await db.schema.createIndex('messages_next_attempt').on('messages').columns(['next_attempt_at']).execute();
  await db.schema.createIndex('messages_ws_created').on('messages').columns(['workspace_id', 'id']).execute();
  await db.schema.createIndex('messages_ws_lead').on('messages').columns(['workspace_id', 'lead_id']).execute();
  await db.schema.createIndex('messages_ws_status').on('messages').columns(['workspace_id', 'status']).execute();
  await db.schema.createIndex('messages_external').on('messages').columns(['external_message_id']).execute();

  await db.schema
    .createTable('message_events')
    .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
    .addColumn('message_id', 'varchar(24)', (c) => c.notNull())
    .addColumn('workspace_id', 'varchar(24)', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('note', 'text')
    .execute();
  await db.schema.createIndex('message_events_message').on('message_events').columns(['message_id', 'at']).execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('workspace_id', 'varchar(24)', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer', (c) => c.notNull())
    .addColumn('response_body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_pk', ['workspace_id', 'key'])
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('jobs_due').on('jobs').columns(['due_at']).execute();

  await db.schema
    .createTable('dnc')
    .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
    .addColumn('workspace_id', 'varchar(24)', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('dnc_ws_address', ['workspace_id', 'address'])
    .execute();

  // Transactional outbox: written in the same transaction as the status change that causes it.
  await db.schema
    .createTable('outbox_events')
    .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
    .addColumn('workspace_id', 'varchar(24)', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('message_id', 'varchar(24)')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('dispatched_at', 'bigint')
    .execute();
  await db.schema.createIndex('outbox_undispatched').on('outbox_events').columns(['dispatched_at', 'id']).execute();
  await db.schema.createIndex('outbox_message').on('outbox_events').columns(['message_id']).execute();
  void sql;
}

export async function down(): Promise<void> {
  throw new Error('Tuco migrations only move forward');
}
