import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { createLogger, redactUrl, scrubText } from '../src/logger.js';
import { buildApp, type App } from '../src/http/app.js';
import { ManualClock } from '../src/domain/time.js';
import { createWorkspace, generateApiKey, insertApiKey } from '../src/store/workspaces.js';
import { apiClient, freshStore, type Api } from './helpers.js';

/** Collects every log line the app writes. */
class Capture extends Writable {
  lines: string[] = [];
  _write(chunk: Buffer, _enc: string, done: () => void) {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
  get text() {
    return this.lines.join('\n');
  }
}

const PHONE = '+14155550123';
const EMAIL = 'ana.lopez@example.com';
let sink: Capture;
let app: App;
let api: Api;
let baseUrl: string;
let key: string;
let drop: () => Promise<void>;
let close: () => Promise<void>;

beforeAll(async () => {
  const fresh = await freshStore();
  const config = parseConfig({ PORT: '0', TUCO_DATA_DIR: fresh.dataDir, LOG_LEVEL: 'trace' });
  sink = new Capture();
  const clock = new ManualClock(Date.parse('2026-03-02T15:00:00.000Z'));
  app = await buildApp({ config, store: fresh.store, clock, logger: createLogger('trace', sink) });
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  key = generateApiKey();
  await fresh.store.db.transaction().execute(async (trx) => {
    const w = await createWorkspace(trx, 'Logs', clock.now());
    await insertApiKey(trx, w.id, 'test', key, clock.now());
  });
  api = apiClient(baseUrl, key);
  drop = fresh.drop;
  close = () => fresh.store.close();
});
afterAll(async () => {
  await app?.close();
  await close?.();
  await drop?.();
});

describe('request logs', () => {
  it('log each request without the phone numbers, emails or keys it carried', async () => {
    sink.lines = [];
    await api('POST', '/api/leads', { leads: [{ firstName: 'Ana', phone: PHONE, email: EMAIL }] });
    await api('GET', `/api/leads?search=${encodeURIComponent(PHONE)}&page=1`);
    await api('GET', `/api/leads?search=${encodeURIComponent(EMAIL)}`);
    await api('GET', `/api/leads?search=${encodeURIComponent('(415) 555-0123')}`);
    await api('POST', '/api/leads', `{"leads":[{"phone":"${PHONE}","email":"${EMAIL}",]}`);
    await api('POST', '/api/leads', { leads: [{ phone: PHONE, emial: EMAIL }] });
    await api('POST', '/api/lines', { firstName: 'L', lastName: 'L', provider: 'twilio', providerSettings: { accountSid: 'bad', authToken: 'tw-secret-token-123', fromNumber: PHONE } });
    await apiClient(baseUrl, 'tuco_sk_wrong_key_0123456789')('GET', '/api/lists');

    const text = sink.text;
    // The requests were logged, with their method, path and status...
    const completed = sink.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request completed');
    expect(completed.length).toBeGreaterThanOrEqual(8);
    expect(completed.map((l) => l.res.statusCode)).toContain(401);
    const incoming = sink.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'incoming request');
    expect(incoming.map((l) => l.req.url)).toContain('/api/leads?search=[redacted]&page=1');
    // ...each with its correlation id...
    expect(completed.every((l) => typeof l.reqId === 'string' && l.reqId.startsWith('app_'))).toBe(true);
    // ...and nothing that identifies the lead or opens the account.
    for (const secret of [PHONE, '4155550123', '555-0123', EMAIL, 'ana.lopez', key, key.slice(8), 'tuco_sk_wrong_key', 'tw-secret-token-123']) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('createLogger', () => {
  it('redacts sensitive fields at the top level and one level down', () => {
    const out = new Capture();
    const log = createLogger('info', out);
    log.info({ phone: PHONE, email: EMAIL, lead: { phone: PHONE, email: EMAIL, firstName: 'Ana' }, line: { authToken: 'tok', password: 'pw' }, apiKey: key, count: 3 }, 'event');
    const line = JSON.parse(out.lines[0]);
    expect(line).toMatchObject({ phone: '[redacted]', email: '[redacted]', lead: { phone: '[redacted]', email: '[redacted]', firstName: 'Ana' }, line: { authToken: '[redacted]', password: '[redacted]' }, apiKey: '[redacted]', count: 3, msg: 'event' });
  });

  it('keeps an error\'s text readable but scrubs addresses and keys from it', () => {
    const out = new Capture();
    const log = createLogger('info', out);
    const err = Object.assign(new Error(`send to ${PHONE} failed for ${EMAIL} using ${key} on 127.0.0.1`), { detail: `Key (phone)=(${PHONE}) already exists`, code: 'E1' });
    log.error({ err }, 'failed');
    const line = JSON.parse(out.lines[0]);
    expect(line.err.message).toBe('send to [phone] failed for [email] using tuco_sk_[redacted] on 127.0.0.1');
    expect(line.err.stack).toContain('send to [phone] failed');
    expect(line.err.detail).toBe('Key (phone)=([phone]) already exists');
    expect(line.err.code).toBe('E1');
    expect(out.text).not.toContain(PHONE);
    expect(out.text).not.toContain(EMAIL);
    expect(out.text).not.toContain(key);
  });

  it('scrubs free text and query strings, keeping ids, numbers and dates', () => {
    expect(scrubText('call 07911 123456 or (415) 555-0123, mail a@b.co on 2026-03-02')).toBe('call [phone] or [phone], mail [email] on 2026-03-02');
    expect(redactUrl('/api/leads?search=ana%40x.com&page=2&id=0123456789abcdef01234567&from=2026-03-02T10:00:00.000Z&token=abc')).toBe(
      '/api/leads?search=[redacted]&page=2&id=0123456789abcdef01234567&from=2026-03-02T10:00:00.000Z&token=[redacted]',
    );
    expect(redactUrl('/healthz')).toBe('/healthz');
  });
});
