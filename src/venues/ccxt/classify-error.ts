/**
 * Every failure of a ccxt call becomes a VenueError with an HH_ERR_VENUE_* code and a
 * class (src/core/venue.ts), decided explicitly, in this order:
 *
 * 1. the caller's AbortSignal: before the request left → retryable; after → ambiguous on
 *    a submit (the order may exist), retryable otherwise;
 * 2. a 5xx the exchange documents as a certain failure (profile.definiteFailure) → retryable;
 * 3. the exchange's own error code, from the profile's table — ccxt maps some codes only
 *    for the official hosts, so we never rely on its class for those;
 * 4. the HTTP status: 5xx → ambiguous on submit ("execution status UNKNOWN"), else
 *    retryable; 429/418 → rate limited; 403 without a code → a firewall (WAF) block;
 * 5. ccxt's error class: AuthenticationError → auth; InsufficientFunds → margin;
 *    OrderNotFound → not found; InvalidNonce → clock; RequestTimeout → timeout;
 *    other NetworkError (dropped connection) → ambiguous on submit unless the connection
 *    was never made; other ExchangeErrors → rejected;
 * 6. anything else (a bug, an unparsable answer): ambiguous on a submit that left,
 *    else rejected.
 *
 * Messages are one line, name the exchange's code and message, and never carry the
 * request URL (its query holds the signature and account details).
 */
import {
  AuthenticationError,
  BaseError,
  DDoSProtection,
  ExchangeNotAvailable,
  InsufficientFunds,
  InvalidNonce,
  NetworkError,
  OperationFailed,
  OrderNotFound,
  RateLimitExceeded,
  RequestTimeout,
} from 'ccxt';
import type { ErrorCode } from '../../core/errors.ts';
import { VenueError, type VenueErrorClass } from '../../core/venue.ts';
import type { ExchangeProfile } from './profile.ts';
import { AbortedBeforeSend, type RequestTrace } from './request-trace.ts';

/** What the failed call was: only a submit can leave an order behind. */
export type VenueOperation = 'submit' | 'cancel' | 'fetchOrder' | 'read' | 'setup';

export interface ErrorContext {
  venue: string;
  profile: ExchangeProfile;
  /** Where the keys come from, for auth messages (names only, never values). */
  credentialHint: string;
}

const LOOK_UP = 'look the order up by client order id';

/** The connection was never made, so nothing reached the exchange. */
const NEVER_CONNECTED = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|getaddrinfo|ConnectionRefused|DNSError|UND_ERR_CONNECT_TIMEOUT/;

/** One line, at most 240 characters, without URLs. */
export function oneLine(text: string): string {
  const flat = text
    .replace(/https?:\/\/\S+/g, '<url>')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > 240 ? `${flat.slice(0, 237)}...` : flat;
}

export function abortError(venue: string, op: VenueOperation, sent: boolean): VenueError {
  if (!sent) return new VenueError('HH_ERR_VENUE_TIMEOUT', venue, 'retryable', `${op} aborted before the request was sent`);
  if (op === 'submit') {
    return new VenueError('HH_ERR_VENUE_TIMEOUT', venue, 'ambiguous', `submit aborted after the request left: outcome unknown, ${LOOK_UP}`);
  }
  return new VenueError('HH_ERR_VENUE_TIMEOUT', venue, 'retryable', `${op} aborted while waiting for the exchange`);
}

export function classifyError(ctx: ErrorContext, op: VenueOperation, err: unknown, trace: RequestTrace | undefined): VenueError {
  if (err instanceof VenueError) return err;
  const submit = op === 'submit';
  if (err instanceof AbortedBeforeSend) return abortError(ctx.venue, op, false);
  if (trace?.signal?.aborted) return abortError(ctx.venue, op, trace.sent);

  const message = err instanceof Error ? err.message : String(err);
  const status = trace?.status;
  const body = trace?.body ?? '';
  const exchange = ctx.profile.parseError(body) ?? ctx.profile.parseError(message);
  const said = exchange ? `${ctx.profile.id} ${exchange.code}: ${exchange.message ?? ''}`.trim() : undefined;
  const make = (code: ErrorCode, errorClass: VenueErrorClass, what: string, after = '') => {
    const lookUp = errorClass === 'ambiguous' && !what.includes(LOOK_UP) ? `; outcome unknown, ${LOOK_UP}` : '';
    return new VenueError(code, ctx.venue, errorClass, oneLine((said ? `${what} (${said})` : what) + after + lookUp), {
      cause: err,
      exchangeCode: exchange?.code,
      retryAfterMs: trace?.retryAfterMs,
    });
  };
  const http = status === undefined ? '' : `HTTP ${status}`;

  if (status !== undefined && status >= 500 && ctx.profile.definiteFailure(status, body)) {
    return make('HH_ERR_VENUE_UNAVAILABLE', 'retryable', `${http}: the exchange failed the request, nothing was executed`);
  }
  const rule = exchange ? ctx.profile.errorCodes[exchange.code] : undefined;
  if (rule) {
    const errorClass = submit && rule.onSubmit ? rule.onSubmit : rule.errorClass;
    const keys = rule.code === 'HH_ERR_VENUE_AUTH' ? `; keys from ${ctx.credentialHint}` : '';
    return make(rule.code, errorClass, rule.hint ?? 'refused by the exchange', keys);
  }
  if (status !== undefined && status >= 500) {
    return submit
      ? make('HH_ERR_VENUE_UNAVAILABLE', 'ambiguous', `${http} on submit: execution status unknown, ${LOOK_UP}`)
      : make('HH_ERR_VENUE_UNAVAILABLE', 'retryable', `${http}: exchange failing`);
  }
  if (status === 429 || status === 418 || err instanceof RateLimitExceeded || err instanceof DDoSProtection) {
    const banned = status === 418 ? ' (IP banned for a while)' : '';
    return make('HH_ERR_VENUE_RATE_LIMITED', 'retryable', `rate limit hit${banned}${http ? `, ${http}` : ''}`);
  }
  if (status === 403 && !exchange) return make('HH_ERR_VENUE_RATE_LIMITED', 'retryable', 'HTTP 403: blocked by the exchange firewall (WAF limit)');
  if (err instanceof AuthenticationError) {
    return make('HH_ERR_VENUE_AUTH', 'rejected', 'the exchange refused the API key or signature', `; keys from ${ctx.credentialHint}`);
  }
  if (err instanceof InsufficientFunds) return make('HH_ERR_VENUE_INSUFFICIENT_MARGIN', 'rejected', 'not enough margin for this order');
  if (err instanceof OrderNotFound) return make('HH_ERR_VENUE_ORDER_NOT_FOUND', 'rejected', 'no such order');
  if (err instanceof InvalidNonce) return make('HH_ERR_VENUE_REJECTED', 'rejected', 'request timestamp refused: check the system clock (NTP)');
  if (err instanceof RequestTimeout) {
    return submit
      ? make('HH_ERR_VENUE_TIMEOUT', 'ambiguous', `no answer in time on submit: outcome unknown, ${LOOK_UP}`)
      : make('HH_ERR_VENUE_TIMEOUT', 'retryable', 'no answer in time');
  }
  if (err instanceof ExchangeNotAvailable && status !== undefined && status < 500) {
    // ccxt's catch-all for 4xx without an exchange code (a wrong URL, a proxy refusing).
    return make('HH_ERR_VENUE_REJECTED', 'rejected', `${http}: the exchange refused the request`);
  }
  if (err instanceof NetworkError || err instanceof OperationFailed) {
    const neverLeft = !(trace?.sent ?? true) || NEVER_CONNECTED.test(message);
    const cause = oneLine(message.replace(/^\S+ (GET|POST|DELETE|PUT) \S+ /, ''));
    if (neverLeft) return make('HH_ERR_VENUE_UNAVAILABLE', 'retryable', `exchange unreachable: ${cause}`);
    return submit
      ? make('HH_ERR_VENUE_UNAVAILABLE', 'ambiguous', `connection lost on submit: outcome unknown, ${LOOK_UP} (${cause})`)
      : make('HH_ERR_VENUE_UNAVAILABLE', 'retryable', `connection lost: ${cause}`);
  }
  if (err instanceof BaseError) return make('HH_ERR_VENUE_REJECTED', 'rejected', `refused: ${err.name}`);
  if (submit && (trace?.sent ?? false)) {
    return make('HH_ERR_VENUE_UNAVAILABLE', 'ambiguous', `unexpected failure after the order left: ${oneLine(message)}`);
  }
  return make('HH_ERR_VENUE_REJECTED', 'rejected', `unexpected failure: ${oneLine(message)}`);
}
