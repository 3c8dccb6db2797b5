/**
 * The one registry of hedgehook error codes. Codes are stable (users grep logs and
 * alert on them); add new ones, never rename. `retryable` tells the worker whether
 * trying again can help. Only the HTTP layer maps codes to status codes.
 */
export const ERRORS = {
  // ingest: the request itself is wrong; retrying the same bytes cannot help
  HH_ERR_UNKNOWN_SOURCE: { retryable: false, message: 'unknown webhook source' },
  HH_ERR_ADDRESS_NOT_ALLOWED: { retryable: false, message: 'source address not allowed' },
  HH_ERR_UNSUPPORTED_MEDIA_TYPE: { retryable: false, message: 'content type must be application/json or text/plain' },
  HH_ERR_BODY_TOO_LARGE: { retryable: false, message: 'body too large' },
  HH_ERR_SIGNATURE_MISSING: { retryable: false, message: 'signature headers missing' },
  HH_ERR_SIGNATURE_INVALID: { retryable: false, message: 'signature does not match' },
  HH_ERR_TIMESTAMP_STALE: { retryable: false, message: 'signature timestamp outside tolerance' },
  HH_ERR_PASSPHRASE_INVALID: { retryable: false, message: 'passphrase missing or wrong' },
  HH_ERR_MALFORMED_JSON: { retryable: false, message: 'body is not valid JSON' },
  HH_ERR_INVALID_PAYLOAD: { retryable: false, message: 'payload failed validation' },
  HH_ERR_RATE_LIMITED: { retryable: true, message: 'rate limit exceeded for this source' },
  HH_ERR_UNAUTHORIZED: { retryable: false, message: 'missing or wrong bearer token' },
  HH_ERR_NOT_FOUND: { retryable: false, message: 'not found' },
  HH_ERR_BAD_REQUEST: { retryable: false, message: 'bad request' },
  // storage
  HH_ERR_JOURNAL_UNAVAILABLE: { retryable: true, message: 'journal cannot be written' },
  HH_ERR_SHUTTING_DOWN: { retryable: true, message: 'service is shutting down' },
  // processing
  HH_ERR_PROCESSING_FAILED: { retryable: true, message: 'signal processing failed' },
  HH_ERR_NOT_IN_DLQ: { retryable: false, message: 'no such entry in the dead-letter queue' },
  // configuration and command line
  HH_ERR_CONFIG_INVALID: { retryable: false, message: 'configuration is invalid' },
  HH_ERR_USAGE: { retryable: false, message: 'bad command-line usage' },
  HH_ERR_FILE_NOT_FOUND: { retryable: false, message: 'file not found' },
  HH_ERR_INTERNAL: { retryable: false, message: 'internal error' },
  // decision code (model, risk, portfolio)
  HH_ERR_INVALID_NUMBER: { retryable: false, message: 'a number is not finite, not a decimal or out of range' },
  HH_ERR_PRICE_UNAVAILABLE: { retryable: true, message: 'no price to value the position' },
  HH_ERR_MODEL_INVALID: { retryable: false, message: 'hedge model version is invalid' },
  HH_ERR_MODEL_NOT_FOUND: { retryable: false, message: 'no such hedge model version' },
  HH_ERR_MODEL_VERSION_EXISTS: { retryable: false, message: 'a different model is already stored under this version' },
  // venues (src/core/venue.ts classes each one as retryable, rejected or ambiguous)
  HH_ERR_VENUE_UNAVAILABLE: { retryable: true, message: 'venue unreachable, down or failing (5xx)' },
  HH_ERR_VENUE_RATE_LIMITED: { retryable: true, message: 'venue rate limit hit (429/418)' },
  HH_ERR_VENUE_TIMEOUT: { retryable: true, message: 'venue did not answer in time; the outcome is unknown until looked up' },
  HH_ERR_VENUE_AUTH: { retryable: false, message: 'venue refused the API key or signature' },
  HH_ERR_VENUE_INSUFFICIENT_MARGIN: { retryable: false, message: 'venue: insufficient margin' },
  HH_ERR_VENUE_REJECTED: { retryable: false, message: 'venue rejected the order' },
  HH_ERR_VENUE_ORDER_NOT_FOUND: { retryable: false, message: 'venue knows no order with this client order id' },
  // execution (router)
  HH_ERR_EXECUTION_INCOMPLETE: { retryable: true, message: 'the hedge could not be filled in full on any venue' },
  HH_ERR_EXECUTION_UNRESOLVED: { retryable: true, message: 'an order leg has an unknown outcome and must be reconciled first' },
  HH_ERR_MARKET_DATA_UNAVAILABLE: { retryable: true, message: 'no market data for the symbol' },
  HH_ERR_PRICE_FILE_INVALID: { retryable: false, message: 'price or funding file is malformed' },
} as const satisfies Record<string, { retryable: boolean; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class HedgehookError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  /** `detail` is a one-line, user-facing explanation; it must never contain secrets. */
  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(detail ?? ERRORS[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HedgehookError';
    this.code = code;
    this.retryable = options?.retryable ?? ERRORS[code].retryable;
  }
}

/** The first line of an error's message, for a log field or a one-line report. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

export function isHedgehookError(err: unknown): err is HedgehookError {
  return err instanceof HedgehookError;
}

/** A serialisable summary of any thrown value, for the journal and the DLQ. */
export interface ErrorInfo {
  code: string;
  message: string;
  retryable: boolean;
}

export function toErrorInfo(err: unknown): ErrorInfo {
  if (isHedgehookError(err)) return { code: err.code, message: err.message, retryable: err.retryable };
  const message = err instanceof Error ? err.message : String(err);
  // Unknown failures are treated as transient: a bug or a blip should be retried, then dead-lettered, not lost.
  return { code: 'HH_ERR_PROCESSING_FAILED', message: message.split('\n')[0] ?? '', retryable: true };
}
