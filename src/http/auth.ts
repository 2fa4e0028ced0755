import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from './types.js';
import { AppError } from '../domain/errors.js';
import { findApiKey } from '../store/workspaces.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Fixed one-minute windows per workspace; enough to stop a runaway integration. */
class RateLimiter {
  private windows = new Map<string, { start: number; count: number }>();
  constructor(private readonly perMinute: number) {}
  /** Returns seconds to wait, or 0 when the request may pass. */
  take(key: string, now: number): number {
    const start = Math.floor(now / 60_000) * 60_000;
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      if (this.windows.size > 10_000) this.windows.clear();
      w = { start, count: 0 };
      this.windows.set(key, w);
    }
    w.count += 1;
    return w.count > this.perMinute ? Math.ceil((start + 60_000 - now) / 1000) : 0;
  }
}

/** onRequest hook for /api/*: bearer key → workspace, then rate limit and read-only mode. */
export function apiAuth(deps: AppDeps) {
  const limiter = new RateLimiter(deps.config.rateLimitPerMinute);
  return async function authenticate(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      throw new AppError(401, 'UNAUTHORIZED', 'Unauthorized: send your API key as "Authorization: Bearer tuco_sk_…"');
    }
    const key = await findApiKey(deps.store.db, match[1]);
    if (!key || key.revoked_at !== null) {
      throw new AppError(401, 'UNAUTHORIZED', 'Unauthorized: this API key is not valid or has been revoked');
    }
    req.auth = { workspaceId: key.workspace_id, apiKeyId: key.id, billingStatus: key.billing_status };
    const wait = limiter.take(key.workspace_id, deps.clock.now());
    if (wait > 0) {
      reply.header('Retry-After', String(wait));
      throw new AppError(429, 'RATE_LIMITED', 'Rate limit exceeded');
    }
    if (key.billing_status !== 'active' && !READ_METHODS.has(req.method)) {
      throw new AppError(402, 'READ_ONLY', 'READ_ONLY', { reason: key.billing_status });
    }
  };
}

/** onRequest hook for /admin/*: the operator token. */
export function adminAuth(deps: AppDeps) {
  return async function authenticateAdmin(req: FastifyRequest): Promise<void> {
    const token = deps.config.adminToken;
    if (!token) {
      throw new AppError(403, 'ADMIN_DISABLED', 'Admin endpoints are off: set TUCO_ADMIN_TOKEN to enable them');
    }
    const header = req.headers.authorization;
    if (header !== `Bearer ${token}`) {
      throw new AppError(401, 'UNAUTHORIZED', 'Unauthorized: send the operator token as "Authorization: Bearer <TUCO_ADMIN_TOKEN>"');
    }
  };
}
