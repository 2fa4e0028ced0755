import { createHmac, randomBytes } from 'node:crypto';

/**
 * Webhook secrets and the two signature schemes sent on every delivery.
 *
 * - `X-Tuco-Signature`: hex HMAC-SHA256 of the exact body bytes, keyed with the whole secret
 *   string (`whsec_…`) as UTF-8, as the hosted product's sample verifier does.
 * - Standard Webhooks `webhook-signature`: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`,
 *   keyed with the base64-decoded part after `whsec_`, so the official libraries verify it as is.
 */

export const SECRET_PREFIX = 'whsec_';

/** A new secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** Hex HMAC-SHA256 of the body keyed with the full secret string (X-Tuco-Signature). */
export function signTucoSignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

/** One `v1,<base64>` Standard Webhooks signature of `id.timestamp.body`. */
export function signStandardWebhook(secret: string, id: string, unixSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${unixSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

export interface SignedHeaders {
  'content-type': string;
  'user-agent': string;
  'x-tuco-event': string;
  'x-tuco-timestamp': string;
  'x-tuco-signature': string;
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Every header of one attempt. `secrets` is the current secret first, then any previous one still
 * inside its rotation window: Standard Webhooks gets one signature per secret (space-separated,
 * newest first), X-Tuco-Signature only the current one (it has room for one value).
 */
export function signedHeaders(opts: { secrets: string[]; eventId: string; event: string; nowMs: number; body: string }): SignedHeaders {
  const [current] = opts.secrets;
  if (!current) throw new Error('signedHeaders needs at least one secret');
  const unix = Math.floor(opts.nowMs / 1000);
  return {
    'content-type': 'application/json',
    'user-agent': 'Tuco-Webhooks/1.0',
    'x-tuco-event': opts.event,
    'x-tuco-timestamp': new Date(opts.nowMs).toISOString(),
    'x-tuco-signature': signTucoSignature(current, opts.body),
    'webhook-id': opts.eventId,
    'webhook-timestamp': String(unix),
    'webhook-signature': opts.secrets.map((s) => signStandardWebhook(s, opts.eventId, unix, opts.body)).join(' '),
  };
}

/**
 * The body of a delivery, `{ eventId, event, timestamp, workspaceId, sequence, data }`, built
 * around the stored JSON of `data` so the event's bytes are never parsed and re-serialised.
 * `timestamp` is when the event happened, so every retry of an event sends the same bytes.
 */
export function deliveryBody(e: { eventId: string; event: string; occurredAt: number; workspaceId: string; sequence: number; dataJson: string }): string {
  return (
    `{"eventId":${JSON.stringify(e.eventId)},"event":${JSON.stringify(e.event)},` +
    `"timestamp":${JSON.stringify(new Date(e.occurredAt).toISOString())},"workspaceId":${JSON.stringify(e.workspaceId)},` +
    `"sequence":${e.sequence},"data":${e.dataJson}}`
  );
}
