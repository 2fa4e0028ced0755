import { describe, expect, it } from 'vitest';
import { checkWebhookUrl, isPublicAddress } from './netguard.js';

describe('private address check', () => {
  it.each([
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fd00::1', 'fc00::5', '::ffff:127.0.0.1', '::ffff:7f00:1',
    '::ffff:10.0.0.1', '64:ff9b::a00:1', '2002:7f00:1::', '[::1]', 'ff02::1', 'not-an-ip',
  ])('refuses %s', (a) => expect(isPublicAddress(a)).toBe(false));

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2002:0808:0808::1'])(
    'allows %s',
    (a) => expect(isPublicAddress(a)).toBe(true),
  );

  it('accepts only public https targets unless private ones are allowed', () => {
    expect(checkWebhookUrl('https://hooks.example.com/tuco', false).ok).toBe(true);
    expect(checkWebhookUrl('http://hooks.example.com/tuco', false)).toMatchObject({ ok: false, reason: expect.stringContaining('https://') });
    for (const u of ['https://127.0.0.1/x', 'https://localhost/x', 'https://[::1]/x', 'https://10.0.0.8/', 'https://db.internal/', 'https://intranet/', 'https://0x7f000001/']) {
      expect(checkWebhookUrl(u, false).ok, u).toBe(false);
    }
    expect(checkWebhookUrl('http://127.0.0.1:8080/x', true).ok).toBe(true);
    expect(checkWebhookUrl('ftp://example.com', true).ok).toBe(false);
    expect(checkWebhookUrl('not a url', true).ok).toBe(false);
    expect(checkWebhookUrl('https://user:pw@example.com/', true).ok).toBe(false);
  });
});
