import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTuco, type Api, type TestTuco } from './helpers.js';

let t: TestTuco;
beforeAll(async () => {
  t = await startTestTuco();
});
afterAll(async () => t?.close());

const SECRETS = {
  bbPassword: 'bb-very-secret-password',
  twilioToken: 'twilio-auth-token-0123456789abcdef',
  smtpPassword: 'smtp-secret-pass-xyz',
};
const bluebubbles = { firstName: 'Blue', lastName: 'Line', phone: '+1 415 555 0100', provider: 'bluebubbles', providerSettings: { serverUrl: 'https://bb.example.com', password: SECRETS.bbPassword } };
const twilio = {
  firstName: 'Twi',
  lastName: 'Lio',
  phone: '+14155550101',
  provider: 'twilio',
  providerSettings: { accountSid: `AC${'a1'.repeat(16)}`, authToken: SECRETS.twilioToken, fromNumber: '+14155550101' },
};
const smtp = {
  firstName: 'Mail',
  lastName: 'Out',
  email: 'Sales@Example.com',
  provider: 'smtp',
  providerSettings: { host: 'smtp.example.com', port: 587, secure: false, user: 'sales', password: SECRETS.smtpPassword, from: 'Sales <sales@example.com>' },
};

/** Every response body about lines, to check that no secret ever leaves. */
const seen: string[] = [];
const call: (api: Api) => Api = (api) => async (...args) => {
  const r = await api(...args);
  seen.push(r.text);
  return r;
};

describe('lines', () => {
  it('creates a simulator line with the documented defaults and shape', async () => {
    const { workspaceId, api: raw } = await t.newWorkspace();
    const api = call(raw);
    const res = await api('POST', '/api/lines', { firstName: 'Demo', lastName: 'Sim', phone: '(415) 555-0199', provider: 'simulator' });
    expect(res.status).toBe(201);
    const line = res.body.line;
    expect(line).toMatchObject({
      workspaceId,
      firstName: 'Demo',
      lastName: 'Sim',
      phone: '+14155550199',
      email: null,
      provider: 'simulator',
      providerSettings: {},
      channels: ['imessage', 'sms', 'email'],
      isActive: true,
      dailyNewConversationsLimit: 50,
      dailyTotalMessagesLimit: 75,
      hourlyNewConversationsLimit: 50,
      minSendIntervalMs: 0,
      usage: { date: '2026-03-02', newConversationsCount: 0, totalMessagesCount: 0 },
      healthCheck: { status: 'healthy', lastCheckedAt: null },
      providerCallbacks: {},
    });
    expect(line._id).toMatch(/^[0-9a-f]{24}$/);
    expect(line.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const byUser = await api('GET', '/api/lines/by-user');
    expect(byUser.status).toBe(200);
    expect(byUser.body).toEqual({ lines: [line] });
    expect((await api('GET', '/api/lines')).body).toEqual({ lines: [line] });
    expect((await api('GET', `/api/lines/${line._id}`)).body).toEqual({ line });
  });

  it('defaults channels by provider and returns the provider callback URLs', async () => {
    const { api: raw } = await t.newWorkspace();
    const api = call(raw);
    const bb = (await api('POST', '/api/lines', bluebubbles)).body.line;
    const tw = (await api('POST', '/api/lines', twilio)).body.line;
    const sm = (await api('POST', '/api/lines', smtp)).body.line;
    expect(bb.channels).toEqual(['imessage', 'sms', 'email']);
    expect(tw.channels).toEqual(['sms']);
    expect(sm.channels).toEqual(['email']);
    expect(sm.email).toBe('sales@example.com');

    const base = t.config.publicUrl;
    // BlueBubbles cannot sign its webhooks, so its URL carries the line's own token.
    expect(bb.providerCallbacks.events).toMatch(new RegExp(`^${base}/hooks/bluebubbles/${bb._id}\\?token=[\\w%-]{20,}$`));
    // Twilio signs its requests with the auth token, so its URLs carry nothing secret.
    expect(tw.providerCallbacks).toEqual({ status: `${base}/hooks/twilio/${tw._id}/status`, inbound: `${base}/hooks/twilio/${tw._id}/inbound` });
    expect(sm.providerCallbacks).toEqual({});
    // Each line has its own token.
    const bb2 = (await api('POST', '/api/lines', bluebubbles)).body.line;
    expect(bb2.providerCallbacks.events).not.toBe(bb.providerCallbacks.events);
  });

  it('never returns provider secrets, only whether they are set', async () => {
    const { api: raw } = await t.newWorkspace();
    const api = call(raw);
    const bb = (await api('POST', '/api/lines', bluebubbles)).body.line;
    const tw = (await api('POST', '/api/lines', twilio)).body.line;
    const sm = (await api('POST', '/api/lines', smtp)).body.line;
    expect(bb.providerSettings).toEqual({ serverUrl: 'https://bb.example.com', passwordSet: true });
    expect(tw.providerSettings).toEqual({ accountSid: twilio.providerSettings.accountSid, fromNumber: '+14155550101', authTokenSet: true });
    expect(sm.providerSettings).toEqual({ host: 'smtp.example.com', port: 587, secure: false, user: 'sales', from: 'Sales <sales@example.com>', passwordSet: true });
    for (const id of [bb._id, tw._id, sm._id]) {
      await api('GET', `/api/lines/${id}`);
      await api('PATCH', `/api/lines/${id}`, { firstName: 'Renamed' });
    }
    await api('GET', '/api/lines/by-user');
    await api('GET', '/api/lines');
    // A PATCH may leave secrets out; the stored ones are kept.
    const patched = await api('PATCH', `/api/lines/${bb._id}`, { providerSettings: { serverUrl: 'https://bb2.example.com' } });
    expect(patched.status).toBe(200);
    expect(patched.body.line.providerSettings).toEqual({ serverUrl: 'https://bb2.example.com', passwordSet: true });
    const stored = await t.store.db.selectFrom('lines').select('provider_settings').where('id', '=', bb._id).executeTakeFirstOrThrow();
    expect(JSON.parse(stored.provider_settings).password).toBe(SECRETS.bbPassword);
    const rotated = await api('PATCH', `/api/lines/${tw._id}`, { providerSettings: { authToken: 'a-new-twilio-token-value' } });
    expect(rotated.body.line.providerSettings.authTokenSet).toBe(true);

    const everything = seen.join('\n');
    expect(everything.length).toBeGreaterThan(1000);
    for (const secret of [...Object.values(SECRETS), 'a-new-twilio-token-value']) expect(everything).not.toContain(secret);
  });

  it('lists every problem with the provider settings in one 400, per provider', async () => {
    const { api } = await t.newWorkspace();
    const bb = await api('POST', '/api/lines', { firstName: 'B', lastName: 'B', provider: 'bluebubbles', providerSettings: { serverUrl: 'not a url' } });
    expect(bb.status).toBe(400);
    expect(bb.body.code).toBe('VALIDATION_ERROR');
    expect(bb.body.problems).toEqual([
      expect.stringContaining('providerSettings.serverUrl'),
      expect.stringContaining('providerSettings.password is required'),
    ]);
    expect(bb.body.error).toContain('serverUrl');
    expect(bb.body.error).toContain('password');

    const noSettings = await api('POST', '/api/lines', { firstName: 'B', lastName: 'B', provider: 'bluebubbles' });
    expect(noSettings.body.problems).toHaveLength(2);

    const tw = await api('POST', '/api/lines', {
      firstName: 'T',
      lastName: 'T',
      provider: 'twilio',
      providerSettings: { accountSid: 'nope', fromNumber: '4155550101', apiBaseUrl: 'ftp://x', region: 'us1' },
    });
    expect(tw.status).toBe(400);
    const twProblems = tw.body.problems.join('\n');
    for (const field of ['accountSid', 'authToken is required', 'fromNumber', 'apiBaseUrl', 'region is not a setting of provider twilio']) {
      expect(twProblems).toContain(field);
    }
    expect(tw.body.problems).toHaveLength(5);

    const sm = await api('POST', '/api/lines', { firstName: 'S', lastName: 'S', provider: 'smtp', providerSettings: { port: '587', secure: 'yes', from: 'nobody' } });
    expect(sm.status).toBe(400);
    const smProblems = sm.body.problems.join('\n');
    for (const field of ['host is required', 'port must be a number', 'secure must be a boolean', 'from must be an email']) expect(smProblems).toContain(field);

    const sim = await api('POST', '/api/lines', { firstName: 'S', lastName: 'S', provider: 'simulator', providerSettings: { speed: 'fast' } });
    expect(sim.status).toBe(400);
    expect(sim.body.error).toContain('takes none');

    const channel = await api('POST', '/api/lines', { ...twilio, channels: ['sms', 'imessage'] });
    expect(channel.status).toBe(400);
    expect(channel.body.error).toContain('imessage');

    const phone = await api('POST', '/api/lines', { firstName: 'P', lastName: 'P', provider: 'simulator', phone: 'call me', email: 'nope' });
    expect(phone.status).toBe(400);
    expect(phone.body.problems).toHaveLength(2);

    expect((await api('GET', '/api/lines')).body.lines).toEqual([]);
  });

  it('validates the body itself: unknown fields, wrong types, unknown providers', async () => {
    const { api } = await t.newWorkspace();
    const unknown = await api('POST', '/api/lines', { firstName: 'U', lastName: 'U', provider: 'simulator', colour: 'blue' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toContain('colour');
    const wrongType = await api('POST', '/api/lines', { firstName: 'U', lastName: 'U', provider: 'simulator', dailyNewConversationsLimit: '20' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error).toContain('dailyNewConversationsLimit');
    const missing = await api('POST', '/api/lines', { lastName: 'U', provider: 'simulator' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toContain('firstName');
    const nul = await api('POST', '/api/lines', { firstName: 'U', lastName: 'U', provider: 'bluebubbles', providerSettings: { serverUrl: 'https://bb.example.com', password: 'p\u0000' } });
    expect(nul.status).toBe(400);
    expect(nul.body.error).toContain('providerSettings.password contains a NUL');
    const blank = await api('POST', '/api/lines', { firstName: '   ', lastName: 'U', provider: 'simulator' });
    expect(blank.status).toBe(400);
    expect(blank.body.error).toContain('firstName');
    const provider = await api('POST', '/api/lines', { firstName: 'U', lastName: 'U', provider: 'carrier-pigeon' });
    expect(provider.status).toBe(400);
    expect(provider.body.error).toContain('provider');
    expect((await api('GET', '/api/lines')).body.lines).toEqual([]);
  });

  it('takes limits, channels and activity on create and update', async () => {
    const { api } = await t.newWorkspace();
    const line = (
      await api('POST', '/api/lines', {
        firstName: 'Cap',
        lastName: 'Ped',
        provider: 'simulator',
        channels: ['imessage'],
        isActive: false,
        dailyNewConversationsLimit: 20,
        dailyTotalMessagesLimit: 50,
        hourlyNewConversationsLimit: 5,
        minSendIntervalMs: 3000,
      })
    ).body.line;
    expect(line).toMatchObject({ channels: ['imessage'], isActive: false, dailyNewConversationsLimit: 20, dailyTotalMessagesLimit: 50, hourlyNewConversationsLimit: 5, minSendIntervalMs: 3000 });
    const res = await api('PATCH', `/api/lines/${line._id}`, { isActive: true, dailyTotalMessagesLimit: 200 });
    expect(res.status).toBe(200);
    expect(res.body.line).toMatchObject({ isActive: true, dailyNewConversationsLimit: 20, dailyTotalMessagesLimit: 200, channels: ['imessage'] });
    expect((await api('GET', `/api/lines/${line._id}`)).body.line.dailyTotalMessagesLimit).toBe(200);
  });

  it('changing the provider needs that provider\'s settings and resets channels to its defaults', async () => {
    const { api } = await t.newWorkspace();
    const line = (await api('POST', '/api/lines', { firstName: 'Sw', lastName: 'Itch', provider: 'simulator' })).body.line;
    const bare = await api('PATCH', `/api/lines/${line._id}`, { provider: 'twilio' });
    expect(bare.status).toBe(400);
    expect(bare.body.problems).toHaveLength(3);
    expect((await api('GET', `/api/lines/${line._id}`)).body.line.provider).toBe('simulator');
    const ok = await api('PATCH', `/api/lines/${line._id}`, { provider: 'twilio', providerSettings: twilio.providerSettings });
    expect(ok.status).toBe(200);
    expect(ok.body.line).toMatchObject({ provider: 'twilio', channels: ['sms'], providerSettings: { authTokenSet: true } });
  });

  it('shows today\'s usage (UTC) and not yesterday\'s', async () => {
    const { api } = await t.newWorkspace();
    const line = (await api('POST', '/api/lines', { firstName: 'Us', lastName: 'Age', provider: 'simulator' })).body.line;
    await t.store.db
      .insertInto('line_usage')
      .values([
        { line_id: line._id, bucket: '2026-03-01', new_count: 40, total_count: 70 },
        { line_id: line._id, bucket: '2026-03-02', new_count: 3, total_count: 7 },
        { line_id: line._id, bucket: '2026-03-02T15', new_count: 2, total_count: 4 },
      ])
      .execute();
    const usage = (await api('GET', '/api/lines/by-user')).body.lines[0].usage;
    expect(usage).toMatchObject({ date: '2026-03-02', newConversationsCount: 3, totalMessagesCount: 7, hourlyNewConversationsCount: 2 });
  });

  it('deletes softly: the line disappears from the API but its row stays for the messages it sent', async () => {
    const { api } = await t.newWorkspace();
    const keep = (await api('POST', '/api/lines', { firstName: 'Keep', lastName: 'Me', provider: 'simulator' })).body.line;
    const gone = (await api('POST', '/api/lines', { firstName: 'Gone', lastName: 'Soon', provider: 'simulator' })).body.line;
    const del = await api('DELETE', `/api/lines/${gone._id}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ success: true });
    expect((await api('GET', `/api/lines/${gone._id}`)).status).toBe(404);
    expect((await api('PATCH', `/api/lines/${gone._id}`, { firstName: 'Back' })).status).toBe(404);
    expect((await api('DELETE', `/api/lines/${gone._id}`)).status).toBe(404);
    expect((await api('GET', '/api/lines/by-user')).body.lines.map((l: any) => l._id)).toEqual([keep._id]);
    const row = await t.store.db.selectFrom('lines').selectAll().where('id', '=', gone._id).executeTakeFirstOrThrow();
    expect(row.deleted_at).not.toBeNull();
    expect(row.is_active).toBe(0);
  });

  it('answers 404 for another workspace\'s line and never lists it', async () => {
    const { api } = await t.newWorkspace();
    const other = await t.newWorkspace();
    const line = (await api('POST', '/api/lines', bluebubbles)).body.line;
    for (const [method, body] of [['GET'], ['PATCH', { firstName: 'Mine' }], ['DELETE']] as const) {
      const res = await other.api(method, `/api/lines/${line._id}`, body);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'Line not found', code: 'NOT_FOUND' });
    }
    expect((await other.api('GET', '/api/lines/by-user')).body.lines).toEqual([]);
    expect((await api('GET', `/api/lines/${line._id}`)).body.line.firstName).toBe('Blue');
  });
});
