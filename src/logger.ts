import pino, { type Logger } from 'pino';

/** Paths whose values never reach a log line: keys, secrets, addresses and message bodies. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-tuco-signature"]',
  '*.password',
  '*.authToken',
  '*.secret',
  '*.apiKey',
  '*.key',
  '*.phone',
  '*.email',
  '*.recipientPhone',
  '*.recipientEmail',
  '*.address',
  '*.message',
  '*.body',
  '*.text',
];

/** The process logger: structured JSON, redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'tuco' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
