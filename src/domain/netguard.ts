import { isIP } from 'node:net';

/**
 * Which addresses a webhook may reach. Pure: no DNS here; the sender calls `isPublicAddress` on
 * every address the resolver returns, right before connecting, so a name that resolves to an
 * internal host (or changes its answer between checks) is refused too.
 */

type Range = readonly [bigint, number]; // network, prefix length

const v4 = (s: string): bigint => s.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);

// Not reachable on the public internet, or not meant to be: RFC 6890 special-purpose ranges.
const PRIVATE_V4: Range[] = (
  [
    ['0.0.0.0', 8], // "this network"
    ['10.0.0.0', 8],
    ['100.64.0.0', 10], // carrier-grade NAT
    ['127.0.0.0', 8],
    ['169.254.0.0', 16], // link-local, including cloud metadata at 169.254.169.254
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24], // documentation
    ['192.88.99.0', 24], // 6to4 relay
    ['192.168.0.0', 16],
    ['198.18.0.0', 15], // benchmarking
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4], // multicast
    ['240.0.0.0', 4], // reserved and broadcast
  ] as const
).map(([a, p]) => [v4(a), p] as const);

/** Parses an IPv6 text form (with an optional embedded IPv4 tail) into a 128-bit integer. */
function v6(s: string): bigint | null {
  let text = s.replace(/^\[|\]$/g, '').split('%')[0];
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const n = v4(tail[1]);
    text = `${text.slice(0, -tail[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? head.length !== 8 : missing < 0) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  let out = 0n;
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
    out = (out << 16n) | BigInt(parseInt(g, 16));
  }
  return out;
}

const V6 = (s: string, p: number): Range => [v6(s)!, p];
const PRIVATE_V6: Range[] = [
  V6('::', 128), // unspecified
  V6('::1', 128), // loopback
  V6('100::', 64), // discard
  V6('2001:db8::', 32), // documentation
  V6('fc00::', 7), // unique local
  V6('fe80::', 10), // link-local
  V6('fec0::', 10), // old site-local
  V6('ff00::', 8), // multicast
];
// Ranges that carry an IPv4 address inside: judged by that address.
const MAPPED_V4: Range[] = [V6('::ffff:0:0', 96), V6('64:ff9b::', 96), V6('::', 96)];
const SIX_TO_FOUR = V6('2002::', 16);

const inRange = (addr: bigint, [net, prefix]: Range, bits: number): boolean => {
  const shift = BigInt(bits - prefix);
  return addr >> shift === net >> shift;
};

/** True when `address` (an IPv4 or IPv6 literal) is a public, routable unicast address. */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const kind = isIP(bare.split('%')[0]);
  if (kind === 4) {
    const n = v4(bare);
    return !PRIVATE_V4.some((r) => inRange(n, r, 32));
  }
  if (kind === 6) {
    const n = v6(bare);
    if (n === null) return false;
    if (PRIVATE_V6.some((r) => inRange(n, r, 128))) return false;
    for (const r of MAPPED_V4) {
      if (inRange(n, r, 128)) return isPublicAddress(toV4(n & 0xffffffffn));
    }
    if (inRange(n, SIX_TO_FOUR, 128)) return isPublicAddress(toV4((n >> 80n) & 0xffffffffn));
    return true;
  }
  return false;
}

const toV4 = (n: bigint): string => [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');

/** Host names that always mean this machine or its private network, whatever DNS says. */
const LOCAL_NAMES = /(^|\.)(localhost|localdomain|local|internal|home\.arpa)$/i;

export type TargetCheck = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * Checks a webhook URL as written: absolute http(s), no credentials, and unless private targets
 * are allowed, `https://` to a host that is not a private literal or a local name. Names that
 * resolve to private addresses are caught later, at connect time.
 */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): TargetCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'must be an absolute URL such as https://example.com/webhooks/tuco' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'must start with https://' };
  if (url.username || url.password) return { ok: false, reason: 'must not carry a user name or password; verify the signature headers instead' };
  if (raw.length > 2048) return { ok: false, reason: 'must be at most 2048 characters long' };
  if (allowPrivate) return { ok: true, url };
  if (url.protocol !== 'https:') return { ok: false, reason: 'must start with https:// (plain http:// is accepted only when TUCO_WEBHOOK_ALLOW_PRIVATE=1)' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) ? !isPublicAddress(host) : LOCAL_NAMES.test(host.replace(/\.$/, '')) || !host.includes('.')) {
    return { ok: false, reason: `must point to a public host; ${url.hostname} is a private or local address (allowed only when TUCO_WEBHOOK_ALLOW_PRIVATE=1)` };
  }
  return { ok: true, url };
}
