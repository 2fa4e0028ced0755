/** Providers a line can send through, and what each needs. */
export const PROVIDERS = ['simulator', 'bluebubbles', 'twilio', 'smtp'] as const;
export type Provider = (typeof PROVIDERS)[number];
export const CHANNELS = ['imessage', 'sms', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

export const DEFAULT_CHANNELS: Record<Provider, Channel[]> = {
  simulator: ['imessage', 'sms', 'email'],
  bluebubbles: ['imessage', 'sms', 'email'],
  twilio: ['sms'],
  smtp: ['email'],
};

/** Settings fields that are write-only: stored, never returned. */
export const SECRET_SETTINGS = new Set(['password', 'authToken']);

export const DEFAULT_LIMITS = { dailyNew: 50, dailyTotal: 75, hourlyNew: 50 } as const;

interface FieldRule {
  type: 'string' | 'number' | 'boolean';
  required?: boolean;
  check?: (v: any) => string | null;
}

const url = (v: string) => {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:' ? null : 'must be an http(s) URL';
  } catch {
    return 'must be an absolute URL such as https://bluebubbles.example.com';
  }
};

const RULES: Record<Provider, Record<string, FieldRule>> = {
  simulator: {},
  bluebubbles: { serverUrl: { type: 'string', required: true, check: url }, password: { type: 'string', required: true } },
  twilio: {
    accountSid: { type: 'string', required: true, check: (v) => (/^AC[0-9a-fA-F]{32}$/.test(v) ? null : 'must be "AC" followed by 32 hex characters') },
    authToken: { type: 'string', required: true },
    fromNumber: { type: 'string', required: true, check: (v) => (/^\+[1-9]\d{6,14}$/.test(v) ? null : 'must be an E.164 number such as +14155550123') },
    apiBaseUrl: { type: 'string', check: url },
  },
  smtp: {
    host: { type: 'string', required: true },
    port: { type: 'number', required: true, check: (v) => (Number.isInteger(v) && v > 0 && v < 65536 ? null : 'must be a port number 1–65535') },
    secure: { type: 'boolean' },
    user: { type: 'string' },
    password: { type: 'string' },
    from: { type: 'string', required: true, check: (v) => (/^[^@\s]+@[^@\s]+$|<[^@\s]+@[^@\s]+>$/.test(v) ? null : 'must be an email address, optionally "Name <address>"') },
  },
};

/**
 * Checks provider settings; `previous` holds stored settings so an update may omit secrets
 * it does not change. Returns the merged settings or every problem found.
 */
export function validateProviderSettings(
  provider: Provider,
  settings: Record<string, unknown>,
  previous?: Record<string, unknown>,
): { settings: Record<string, unknown>; problems: string[] } {
  const rules = RULES[provider];
  const merged: Record<string, unknown> = { ...(previous ?? {}), ...settings };
  const problems: string[] = [];
  for (const key of Object.keys(settings)) {
    if (!rules[key]) {
      const known = Object.keys(rules);
      problems.push(`providerSettings.${key} is not a setting of provider ${provider}${known.length ? ` (it takes ${known.join(', ')})` : ' (it takes none)'}`);
    }
  }
  for (const [key, rule] of Object.entries(rules)) {
    const v = merged[key];
    if (v === undefined || v === null || v === '') {
      if (rule.required) problems.push(`providerSettings.${key} is required for provider ${provider}`);
      delete merged[key];
      continue;
    }
    if (typeof v !== rule.type) {
      problems.push(`providerSettings.${key} must be a ${rule.type}`);
      continue;
    }
    const msg = rule.check?.(v);
    if (msg) problems.push(`providerSettings.${key} ${msg}`);
  }
  return { settings: merged, problems };
}

/** Settings as shown to API callers: secrets replaced by a flag saying they are set. */
export function publicSettings(settings: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(settings)) {
    if (SECRET_SETTINGS.has(k)) out[`${k}Set`] = v !== undefined && v !== null && v !== '';
    else out[k] = v;
  }
  return out;
}
