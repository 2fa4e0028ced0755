import pino, { type Logger } from 'pino';

/** Fields whose values never reach a log line: keys, secrets, addresses and message bodies. */
const SENSITIVE_FIELDS = [
  'password',
  'authToken',
  'secret',
  'apiKey',
  'key',
  'token',
  'phone',
  'email',
  'recipientPhone',
  'recipientEmail',
  'address',
  'message',
  'body',
  'text',
];

/** Redacted at the top level and one level down (`{ phone }`, `{ lead: { phone } }`). */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-tuco-signature"]',
  ...SENSITIVE_FIELDS,
  ...SENSITIVE_FIELDS.map((f) => `*.${f}`),
  // An error's text is kept (it is what an operator needs), but scrubbed of addresses and keys.
  'err.stack',
  'err.detail',
  'err.hint',
];

const CENSOR = '[redacted]';

const EMAIL_RE = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[a-z]{2,}/gi;
const KEY_RE = /\b(tuco_sk_|whsec_)[\w-]+/g;
// Runs of 8+ digits with phone punctuation; an ISO date (4-2-2 digits) or an IP address is left alone.
const PHONE_RE = /\+?\(?\d[\d\s().-]{6,}\d/g;
const digitsIn = (s: string) => s.replace(/\D/g, '').length;

/** Removes email addresses, phone numbers and keys from free text such as an error message. */
export function scrubText(text: string): string {
  return text
    .replace(KEY_RE, (_m, prefix: string) => `${prefix}${CENSOR}`)
    .replace(EMAIL_RE, '[email]')
    .replace(PHONE_RE, (m) => (digitsIn(m) >= 8 && !/^\d{4}-\d\d-\d\d$/.test(m.trim()) && !/^\d{1,3}(\.\d{1,3}){3}$/.test(m) ? '[phone]' : m));
}

/** Query values are kept only when they cannot identify a person: ids, numbers, booleans, timestamps. */
const SAFE_QUERY_VALUE = /^(?:[0-9a-f]{24}|\d{1,12}|true|false|\d{4}-\d\d-\d\d(?:T[\d:.]+Z?)?)$/;

/** `/api/leads?search=ana@x.com&page=2` → `/api/leads?search=[redacted]&page=2`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const value = pair.slice(eq + 1);
      let decoded = value;
      try {
        decoded = decodeURIComponent(value.replace(/\+/g, ' '));
      } catch {
        /* keep it encoded */
      }
      return SAFE_QUERY_VALUE.test(decoded) ? pair : `${pair.slice(0, eq)}=${CENSOR}`;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/** Error fields are scrubbed rather than blanked; everything else sensitive is replaced whole. */
function censor(value: unknown, path: string[]): unknown {
  if (path[0] === 'err' && typeof value === 'string') return scrubText(value);
  return CENSOR;
}

/** The process logger: structured JSON, redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor },
      base: { service: 'tuco' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: {
        err: pino.stdSerializers.err,
        // Fastify's own request serializer logs the full URL, query string included.
        req: (req: { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
          method: req.method,
          url: req.url === undefined ? undefined : redactUrl(req.url),
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
    },
    destination,
  );
}
