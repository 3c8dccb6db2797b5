/**
 * Binance's SIGNED-endpoint check, as its USDⓈ-M futures docs ("General Info → SIGNED
 * Endpoint Security", "Timing Security") define it:
 * - the key travels in the `X-MBX-APIKEY` header (case-sensitive);
 * - `signature` = hex HMAC-SHA256(secretKey, totalParams), compared case-insensitively,
 *   where totalParams is the query string concatenated with the request body, both as
 *   sent on the wire (no re-encoding, no '&' between them), `signature` itself removed;
 * - `timestamp` is required; `recvWindow` defaults to 5000 and may not exceed 60000; the
 *   request is accepted when `timestamp < serverTime + 1000 && serverTime - timestamp <= recvWindow`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BINANCE_ERRORS, type BinanceFailure } from './errors.ts';

export const DEFAULT_RECV_WINDOW = 5000;
export const MAX_RECV_WINDOW = 60000;

export function binanceSignature(secret: string, totalParams: string): string {
  return createHmac('sha256', secret).update(totalParams).digest('hex');
}

/** Splits `signature=…` off a raw (still URL-encoded) parameter string. */
function withoutSignature(raw: string): { rest: string; signature: string | undefined } {
  if (raw === '') return { rest: raw, signature: undefined };
  const pairs = raw.split('&');
  const at = pairs.findIndex((p) => p.startsWith('signature='));
  if (at < 0) return { rest: raw, signature: undefined };
  const signature = decodeURIComponent(pairs[at]!.slice('signature='.length));
  pairs.splice(at, 1);
  return { rest: pairs.join('&'), signature };
}

/** The text Binance signs: query then body, as sent, without the signature parameter. */
export function totalParams(rawQuery: string, rawBody: string): { text: string; signature: string | undefined } {
  const q = withoutSignature(rawQuery);
  const b = withoutSignature(rawBody);
  return { text: q.rest + b.rest, signature: q.signature ?? b.signature };
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface SignedRequest {
  apiKeyHeader: string | undefined;
  rawQuery: string;
  rawBody: string;
  /** Parameters already decoded (query wins over body, as Binance does). */
  params: Record<string, string>;
}

export interface ApiKeyPair {
  apiKey: string;
  secret: string;
}

/** undefined when the request is properly signed and on time; else Binance's refusal. */
export function checkSignedRequest(keys: readonly ApiKeyPair[], req: SignedRequest, serverTime: number): BinanceFailure | undefined {
  if (!req.apiKeyHeader) return BINANCE_ERRORS.apiKeyMissing();
  const key = keys.find((k) => k.apiKey === req.apiKeyHeader);
  if (!key) return BINANCE_ERRORS.invalidApiKey();
  const timestampText = req.params.timestamp;
  if (timestampText === undefined || !/^\d+$/.test(timestampText)) return BINANCE_ERRORS.mandatoryParam('timestamp');
  const recvWindowText = req.params.recvWindow;
  let recvWindow = DEFAULT_RECV_WINDOW;
  if (recvWindowText !== undefined) {
    if (!/^\d+$/.test(recvWindowText)) return BINANCE_ERRORS.badParam('recvWindow');
    recvWindow = Number(recvWindowText);
    if (recvWindow > MAX_RECV_WINDOW) return BINANCE_ERRORS.recvWindowTooLarge();
  }
  const timestamp = Number(timestampText);
  if (timestamp >= serverTime + 1000) return BINANCE_ERRORS.timestampAhead();
  if (serverTime - timestamp > recvWindow) return BINANCE_ERRORS.timestampOutsideRecvWindow();
  const { text, signature } = totalParams(req.rawQuery, req.rawBody);
  if (signature === undefined || signature === '') return BINANCE_ERRORS.mandatoryParam('signature');
  if (!sameHex(signature, binanceSignature(key.secret, text))) return BINANCE_ERRORS.invalidSignature();
  return undefined;
}
