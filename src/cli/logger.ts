import pino, { type Logger } from 'pino';

/**
 * Structured logs. Redaction is a safety net: code should never hand a secret to the
 * logger in the first place, but a header dump or an error object might.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["webhook-signature"]',
  'req.headers["x-hub-signature-256"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["webhook-signature"]',
  'headers["x-hub-signature-256"]',
  '*.passphrase',
  '*.secret',
  '*.secrets',
  '*.apiKey',
  '*.apiSecret',
  '*.apiToken',
  '*.token',
  'passphrase',
  'secret',
  'apiToken',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, base: { service: 'hedgehook' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    destination as pino.DestinationStream | undefined,
  );
}
