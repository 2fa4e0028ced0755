import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { deliveryBody, generateWebhookSecret, signStandardWebhook, signTucoSignature, signedHeaders } from './webhookSigning.js';

describe('webhook signing', () => {
  it('matches the Standard Webhooks test vectors', () => {
    expect(signStandardWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
    expect(
      signStandardWebhook(
        'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
        '65f1c2a9e4b0a1b2c3d4e5f6',
        1768478400,
        '{"eventId":"65f1c2a9e4b0a1b2c3d4e5f6","event":"message.delivered","timestamp":"2026-01-15T12:00:00.000Z"}',
      ),
    ).toBe('v1,+t8SKIu/zsGD2rIFI/qUDDDV+uL5Xzd1i14nouzvTZM=');
  });

  it('makes secrets of 32 random bytes after whsec_', () => {
    const s = generateWebhookSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(s);
  });

  it('signs X-Tuco-Signature as hex HMAC of the body keyed with the whole secret string', () => {
    const secret = generateWebhookSecret();
    const body = '{"a":1}';
    expect(signTucoSignature(secret, body)).toBe(createHmac('sha256', secret).update(body).digest('hex'));
  });

  it('produces headers the official library verifies, with both secrets during a rotation', () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const now = Date.now();
    const body = deliveryBody({ eventId: '65f1c2a9e4b0a1b2c3d4e5f6', event: 'message.sent', occurredAt: now, workspaceId: 'w'.repeat(24), sequence: 7, dataJson: '{"_id":"x"}' });
    expect(JSON.parse(body)).toEqual({
      eventId: '65f1c2a9e4b0a1b2c3d4e5f6',
      event: 'message.sent',
      timestamp: new Date(now).toISOString(),
      workspaceId: 'w'.repeat(24),
      sequence: 7,
      data: { _id: 'x' },
    });
    const h = signedHeaders({ secrets: [newSecret, oldSecret], eventId: '65f1c2a9e4b0a1b2c3d4e5f6', event: 'message.sent', nowMs: now, body });
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(newSecret).verify(body, h as any)).toBeTruthy();
    expect(new Webhook(oldSecret).verify(body, h as any)).toBeTruthy();
    expect(h['x-tuco-signature']).toBe(signTucoSignature(newSecret, body));
    expect(h['webhook-timestamp']).toBe(String(Math.floor(now / 1000)));
    expect(h['x-tuco-timestamp']).toBe(new Date(now).toISOString());
  });
});
