/**
 * OKX v5 request authentication, checked the way OKX checks it:
 * OK-ACCESS-SIGN = Base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + body)),
 * where requestPath is the path with its query string exactly as sent and body the raw
 * JSON text (empty for GET); OK-ACCESS-TIMESTAMP is an ISO time with milliseconds that
 * must be within 30 s of the server's clock; the passphrase is the one given when the
 * key was created. Failures answer HTTP 401 with OKX's code and message.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface OkxApiKey {
  apiKey: string;
  secret: string;
  passphrase: string;
}

export interface OkxFailure {
  status: number;
  code: string;
  msg: string;
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** OKX rejects a request whose timestamp is more than 30 seconds away from its own clock. */
export const TIMESTAMP_WINDOW_MS = 30_000;

export function okxSign(secret: string, prehash: string): string {
  return createHmac('sha256', secret).update(prehash).digest('base64');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const fail = (code: string, msg: string): OkxFailure => ({ status: 401, code, msg });

/** The key that signed the request, or OKX's refusal. */
export function authenticate(
  keys: readonly OkxApiKey[],
  headers: IncomingHttpHeaders,
  method: string,
  requestPath: string,
  body: string,
  now: number,
): OkxApiKey | OkxFailure {
  const apiKey = header(headers, 'OK-ACCESS-KEY');
  const passphrase = header(headers, 'OK-ACCESS-PASSPHRASE');
  const timestamp = header(headers, 'OK-ACCESS-TIMESTAMP');
  const sign = header(headers, 'OK-ACCESS-SIGN');
  if (!apiKey) return fail('50103', 'Request header "OK-ACCESS-KEY" cannot be empty.');
  if (!passphrase) return fail('50104', 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.');
  if (!sign) return fail('50106', 'Request header "OK-ACCESS-SIGN" cannot be empty.');
  if (!timestamp) return fail('50107', 'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.');
  const key = keys.find((k) => k.apiKey === apiKey);
  if (!key) return fail('50111', 'Invalid OK-ACCESS-KEY.');
  if (!ISO_MS.test(timestamp) || Number.isNaN(Date.parse(timestamp))) return fail('50112', 'Invalid OK-ACCESS-TIMESTAMP.');
  if (Math.abs(now - Date.parse(timestamp)) > TIMESTAMP_WINDOW_MS) return fail('50102', 'Timestamp request expired.');
  if (!sameText(passphrase, key.passphrase)) return fail('50105', 'Request header "OK-ACCESS-PASSPHRASE" incorrect.');
  const expected = okxSign(key.secret, timestamp + method.toUpperCase() + requestPath + body);
  if (!sameText(sign, expected)) return fail('50113', 'Invalid Sign');
  return key;
}

export function isFailure(x: OkxApiKey | OkxFailure): x is OkxFailure {
  return 'code' in x;
}
