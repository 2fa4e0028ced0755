import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { checkWebhookUrl, isPublicAddress } from '../../domain/netguard.js';
import { parseRetryAfter } from '../../domain/retryLadder.js';
import { RESPONSE_SNIPPET_BYTES } from '../../store/webhooks.js';

/** Resolves a host name to every address it has (the port of DNS, replaceable in tests). */
export type ResolveHost = (hostname: string) => Promise<{ address: string; family: number }[]>;

export interface PostResult {
  ok: boolean;
  statusCode: number | null;
  /** The first 1 KB of the answer, as text. */
  responseBody: string | null;
  error: string | null;
  latencyMs: number;
  retryAfterMs: number | null;
}

/** Sends one signed webhook POST; never throws. */
export interface WebhookSender {
  post(url: string, headers: Record<string, string>, body: string): Promise<PostResult>;
  close(): Promise<void>;
}

const systemResolve: ResolveHost = (hostname) =>
  new Promise((resolve, reject) => dns.lookup(hostname, { all: true, verbatim: true }, (err, addrs) => (err ? reject(err) : resolve(addrs))));

class PrivateAddressError extends Error {
  readonly code = 'EPRIVATEADDRESS';
}

/**
 * A `lookup` for the socket that refuses private addresses. It runs at connect time on the very
 * addresses the socket will use, so neither a name pointing inside nor a DNS answer that changes
 * after a check can reach an internal host.
 */
function guardedLookup(resolve: ResolveHost): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addrs) => {
        const wanted = options.family === 4 || options.family === 6 ? addrs.filter((a) => a.family === options.family) : addrs;
        const bad = wanted.find((a) => !isPublicAddress(a.address));
        if (bad) {
          callback(new PrivateAddressError(`${hostname} resolves to ${bad.address}, a private address; webhooks go only to public hosts (TUCO_WEBHOOK_ALLOW_PRIVATE=1 allows private ones)`), '', 0);
          return;
        }
        if (!wanted.length) {
          callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
          return;
        }
        if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: typeof wanted) => void)(null, wanted);
        else callback(null, wanted[0].address, wanted[0].family);
      },
      (err) => callback(err, '', 0),
    );
  };
}

/** Turns a network failure into a sentence for the delivery log. */
export function describeNetworkError(err: unknown, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `No answer within ${timeoutMs / 1000} s (timed out)`;
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.cause?.code ?? e?.code;
  const inner = e?.cause?.message ?? e?.message ?? String(err);
  if (code === 'EPRIVATEADDRESS' || (e as Error) instanceof PrivateAddressError) return inner;
  switch (code) {
    case 'ECONNREFUSED':
      return `Connection refused (${inner})`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `The host name could not be resolved (${inner})`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `The connection was closed before an answer (${inner})`;
    default:
      return code ? `${code}: ${inner}` : inner;
  }
}

/**
 * The HTTP client for webhooks: undici with keep-alive, no redirects (a 3xx is a failure), a hard
 * timeout over connect + answer, and, unless private targets are allowed, the address guard.
 */
export function createWebhookSender(opts: { timeoutMs: number; allowPrivate: boolean; resolve?: ResolveHost; now?: () => number }): WebhookSender {
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    connect: opts.allowPrivate ? { timeout: opts.timeoutMs } : { timeout: opts.timeoutMs, lookup: guardedLookup(opts.resolve ?? systemResolve) },
  });
  const now = opts.now ?? Date.now;
  return {
    async post(url, headers, body) {
      const started = performance.now();
      const done = (r: Omit<PostResult, 'latencyMs'>): PostResult => ({ ...r, latencyMs: performance.now() - started });
      const target = checkWebhookUrl(url, opts.allowPrivate);
      if (!target.ok) return done({ ok: false, statusCode: null, responseBody: null, error: `The webhook URL ${target.reason}`, retryAfterMs: null });
      const host = target.url.hostname.replace(/^\[|\]$/g, '');
      if (!opts.allowPrivate && isIP(host) && !isPublicAddress(host)) {
        return done({ ok: false, statusCode: null, responseBody: null, error: `${host} is a private address; webhooks go only to public hosts`, retryAfterMs: null });
      }
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, opts.timeoutMs);
      try {
        const res = await request(target.url, { method: 'POST', headers, body, dispatcher: agent, signal: controller.signal });
        const chunks: Buffer[] = [];
        let size = 0;
        // Keep the first 1 KB; read on (up to 64 KB) so the connection can be reused, then drop it.
        for await (const c of res.body) {
          const buf = c as Buffer;
          if (size < RESPONSE_SNIPPET_BYTES) chunks.push(buf);
          size += buf.length;
          if (size > 64 * 1024) {
            res.body.destroy();
            break;
          }
        }
        const snippet = Buffer.concat(chunks).subarray(0, RESPONSE_SNIPPET_BYTES).toString('utf8');
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        return done({
          ok,
          statusCode: res.statusCode,
          responseBody: snippet,
          error: ok ? null : `The endpoint answered HTTP ${res.statusCode}${res.statusCode >= 300 && res.statusCode < 400 ? ' (redirects are not followed)' : ''}`,
          retryAfterMs: parseRetryAfter(res.headers['retry-after'], now()),
        });
      } catch (err) {
        return done({ ok: false, statusCode: null, responseBody: null, error: describeNetworkError(err, opts.timeoutMs, timedOut), retryAfterMs: null });
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await agent.close();
    },
  };
}
