import path from 'node:path';

/** Typed, frozen configuration parsed once at start from the environment. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  readonly publicUrl: string;
  readonly bootstrapApiKey: string | null;
  readonly adminToken: string | null;
  readonly webhookAllowPrivate: boolean;
  readonly rateLimitPerMinute: number;
  readonly logLevel: string;
  readonly simDeliveryMs: number;
  readonly simReplyMs: number;
  readonly enginePollMs: number;
  readonly engineBatchSize: number;
  readonly leaseMs: number;
  /** How long a webhook endpoint has to answer (deliveries and health checks). */
  readonly webhookTimeoutMs: number;
  /** Requests in flight at once to one webhook endpoint, per worker process. */
  readonly webhookConcurrency: number;
  readonly webhookPollMs: number;
  /** iMessage availability checks each line may make per UTC day. */
  readonly availabilityDailyQuota: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Tuco cannot start; fix these settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Parses every setting and reports all problems together rather than the first one. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}=${JSON.stringify(raw)} must be a whole number between ${min} and ${max}`);
      return def;
    }
    return n;
  };
  const port = int('PORT', 3000, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with postgres:// or postgresql:// (leave it unset to use the embedded SQLite store)');
  }
  const bootstrapApiKey = env.TUCO_BOOTSTRAP_API_KEY || null;
  if (bootstrapApiKey && !/^tuco_sk_[A-Za-z0-9_-]{16,}$/.test(bootstrapApiKey)) {
    problems.push('TUCO_BOOTSTRAP_API_KEY must look like tuco_sk_ followed by at least 16 letters, digits, _ or -');
  }
  const adminToken = env.TUCO_ADMIN_TOKEN || null;
  if (adminToken && adminToken.length < 16) problems.push('TUCO_ADMIN_TOKEN must be at least 16 characters long');
  const allowPrivate = env.TUCO_WEBHOOK_ALLOW_PRIVATE ?? '';
  if (!['', '0', '1', 'true', 'false'].includes(allowPrivate)) {
    problems.push('TUCO_WEBHOOK_ALLOW_PRIVATE must be 1 or 0');
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  let publicUrl = env.TUCO_PUBLIC_URL || `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  try {
    publicUrl = new URL(publicUrl).toString().replace(/\/$/, '');
  } catch {
    problems.push('TUCO_PUBLIC_URL must be an absolute URL such as https://tuco.example.com');
  }
  const config: Config = {
    port,
    host,
    dataDir: path.resolve(env.TUCO_DATA_DIR || './data'),
    databaseUrl,
    publicUrl,
    bootstrapApiKey,
    adminToken,
    webhookAllowPrivate: allowPrivate === '1' || allowPrivate === 'true',
    rateLimitPerMinute: int('TUCO_RATE_LIMIT_PER_MINUTE', 200, 1, 1_000_000),
    logLevel,
    simDeliveryMs: int('TUCO_SIM_DELIVERY_MS', 1000, 0, 86_400_000),
    simReplyMs: int('TUCO_SIM_REPLY_MS', 2000, 0, 86_400_000),
    enginePollMs: int('TUCO_ENGINE_POLL_MS', 200, 10, 60_000),
    engineBatchSize: int('TUCO_ENGINE_BATCH_SIZE', 100, 1, 10_000),
    leaseMs: int('TUCO_LEASE_MS', 60_000, 1000, 3_600_000),
    webhookTimeoutMs: int('TUCO_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    webhookConcurrency: int('TUCO_WEBHOOK_CONCURRENCY', 4, 1, 100),
    webhookPollMs: int('TUCO_WEBHOOK_POLL_MS', 200, 10, 60_000),
    availabilityDailyQuota: int('TUCO_AVAILABILITY_DAILY_QUOTA', 70, 0, 1_000_000),
  };
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze(config);
}
