import { randomBytes } from 'node:crypto';

// ObjectId layout: 4-byte seconds, 5 random bytes fixed per process, 3-byte counter.
const processRandom = randomBytes(5).toString('hex');
let counter = randomBytes(3).readUIntBE(0, 3);

/** A new 24-hex id, time-ordered like the hosted product's ObjectIds. */
export function newId(nowMs: number = Date.now()): string {
  counter = (counter + 1) % 0xffffff;
  const secs = Math.floor(nowMs / 1000).toString(16).padStart(8, '0');
  return secs + processRandom + counter.toString(16).padStart(6, '0');
}

/** True for a 24-char lowercase hex id. */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{24}$/.test(value);
}
