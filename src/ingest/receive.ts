/**
 * The whole receive step, from raw request bytes to an `IncomingSignal`, without HTTP:
 * the server hands in the bytes, headers and address and maps the thrown codes to statuses.
 *
 * Checks run cheapest and least privileged first, and each rejection names one reason:
 * address allowlist (403) → content type (415) → size (413) → authentication (401) →
 * rate limit (429, authenticated requests only) → JSON and payload validation (400).
 */
import type { Clock } from '../core/clock.ts';
import { HedgehookError } from '../core/errors.ts';
import { partitionKey, type IncomingSignal, type SignalPayload } from '../core/signal.ts';
import { addressAllowed, addressMatcher, type AddressMatcher } from './address.ts';
import { exceedsDepth, parseJsonBytes } from './json.ts';
import { validatePayload } from './payload.ts';
import type { RateLimiter } from './rate-limit.ts';
import { githubDeliveryId, githubVerifier, verifyGithub, type GithubVerifier } from './schemes/github.ts';
import { standardVerifier, verifyStandard, type StandardVerifier } from './schemes/standard.ts';
import { tradingViewVerifier, verifyTradingView, type TradingViewVerifier } from './schemes/tradingview.ts';
import { bodyDedupKey, signalId } from './signal-id.ts';
import type { SourceSettings } from './source.ts';

export interface ReceiveRequest {
  source: string;
  body: Buffer;
  contentType: string | undefined;
  /** Names in any case (Node gives them in lower case). */
  headers: Record<string, string | string[] | undefined>;
  remoteAddr: string;
}

export interface ReceiveDeps {
  clock: Clock;
  rateLimiter: RateLimiter;
}

/** Per-source state derived once from its settings: decoded keys, the parsed allowlist. */
export interface PreparedSource {
  readonly settings: SourceSettings;
  readonly standard?: StandardVerifier;
  readonly github?: GithubVerifier;
  readonly tradingview?: TradingViewVerifier;
  /** Undefined when any address may call. */
  readonly allow?: AddressMatcher;
}

const prepared = new WeakMap<SourceSettings, PreparedSource>();

/**
 * Validates a source's secrets and allowlist (HH_ERR_CONFIG_INVALID) and caches the derived
 * state. Call it at start-up so a bad secret fails there, not on the first webhook.
 * Settings are treated as immutable once prepared: pass a new object to change them.
 */
export function prepareSource(settings: SourceSettings): PreparedSource {
  const cached = prepared.get(settings);
  if (cached) return cached;
  let allow: AddressMatcher | undefined;
  if (settings.allowlist && settings.allowlist.length > 0) {
    const { matcher, invalid } = addressMatcher(settings.allowlist);
    if (invalid.length > 0) {
      throw new HedgehookError('HH_ERR_CONFIG_INVALID', `sources.${settings.name}.allowlist: "${invalid[0]}" is not an IP address or CIDR range`);
    }
    allow = matcher;
  }
  let p: PreparedSource;
  try {
    const base = { settings, allow };
    if (settings.scheme === 'standard') p = { ...base, standard: standardVerifier(settings.secrets, settings.toleranceSeconds) };
    else if (settings.scheme === 'github') p = { ...base, github: githubVerifier(settings.secrets) };
    else if (settings.scheme === 'tradingview') p = { ...base, tradingview: tradingViewVerifier(settings.secrets) };
    else throw new HedgehookError('HH_ERR_CONFIG_INVALID', `unknown scheme "${String(settings.scheme)}"`);
  } catch (err) {
    if (err instanceof HedgehookError && err.code === 'HH_ERR_CONFIG_INVALID') {
      throw new HedgehookError('HH_ERR_CONFIG_INVALID', `sources.${settings.name}: ${err.message}`);
    }
    throw err;
  }
  prepared.set(settings, p);
  return p;
}

/** application/json or text/plain (what TradingView sends for a message that is not JSON), UTF-8 only. */
export function isAcceptedContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  if (contentType === 'application/json' || contentType === 'application/json; charset=utf-8') return true;
  const semi = contentType.indexOf(';');
  const media = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (media !== 'application/json' && media !== 'text/plain') return false;
  if (semi === -1) return true;
  for (const param of contentType.slice(semi + 1).split(';')) {
    const eq = param.indexOf('=');
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') return false;
  }
  return true;
}

const AUDIT_MAX = 256;

function headerValue(value: string | string[]): string {
  return typeof value === 'string' ? value : value.join(', ');
}

/** The request headers receive needs, and the audit subset, in one pass. */
interface RequestHeaders {
  audit: Record<string, string>;
  webhookId?: string;
  webhookTimestamp?: string;
  webhookSignature?: string;
  hubSignature?: string;
  githubDelivery?: string;
}

/**
 * The headers worth keeping for an audit, truncated; never signatures, tokens or cookies.
 * Rejection records use it too, so accepted and rejected requests keep the same set.
 */
export function auditHeaders(headers: ReceiveRequest['headers']): Record<string, string> {
  return readHeaders(headers).audit;
}

function readHeaders(headers: ReceiveRequest['headers']): RequestHeaders {
  const out: RequestHeaders = { audit: {} };
  for (const name of Object.keys(headers)) {
    const raw = headers[name];
    if (raw === undefined) continue;
    const lower = name.toLowerCase();
    switch (lower) {
      case 'webhook-signature':
        // Repeated headers become several entries: space-separated is how the scheme lists them.
        out.webhookSignature = typeof raw === 'string' ? raw : raw.join(' ');
        continue; // never audited: a signature is a credential for this body
      case 'x-hub-signature-256':
        out.hubSignature = headerValue(raw);
        continue;
      case 'webhook-id':
        out.webhookId = headerValue(raw);
        break;
      case 'webhook-timestamp':
        out.webhookTimestamp = headerValue(raw);
        break;
      case 'x-github-delivery':
        out.githubDelivery = headerValue(raw);
        break;
      case 'content-type':
      case 'user-agent':
      case 'x-github-event':
      case 'x-forwarded-for':
      case 'x-real-ip':
        break;
      default:
        continue;
    }
    const value = headerValue(raw);
    out.audit[lower] = value.length > AUDIT_MAX ? value.slice(0, AUDIT_MAX) : value;
  }
  return out;
}

/**
 * Verifies and validates one webhook. Throws a HedgehookError (and nothing else) for a
 * request that must be turned away; never has side effects beyond taking a rate-limit token.
 */
export function receive(req: ReceiveRequest, settings: SourceSettings, deps: ReceiveDeps): IncomingSignal {
  const p = prepareSource(settings);
  if (p.allow && !addressAllowed(p.allow, String(req.remoteAddr))) {
    throw new HedgehookError('HH_ERR_ADDRESS_NOT_ALLOWED', `address ${String(req.remoteAddr).slice(0, 64)} is not on the allowlist of source ${req.source}`);
  }
  if (!isAcceptedContentType(req.contentType)) {
    throw new HedgehookError('HH_ERR_UNSUPPORTED_MEDIA_TYPE', 'content type must be application/json or text/plain (UTF-8)');
  }
  if (req.body.length > settings.maxBodyBytes) {
    throw new HedgehookError('HH_ERR_BODY_TOO_LARGE', `body is ${req.body.length} bytes, the limit is ${settings.maxBodyBytes}`);
  }

  const h = readHeaders(req.headers);
  let payload: SignalPayload;
  let body: string;
  let dedupKey: string;
  if (p.standard) {
    dedupKey = verifyStandard(p.standard, { id: h.webhookId, timestamp: h.webhookTimestamp, signature: h.webhookSignature }, req.body, deps.clock);
    takeToken(req, settings, deps);
    const json = parseJsonBytes(req.body);
    payload = validatePayload(json.value);
    body = json.text;
  } else if (p.github) {
    verifyGithub(p.github, h.hubSignature, req.body);
    takeToken(req, settings, deps);
    const json = parseJsonBytes(req.body);
    payload = validatePayload(json.value);
    body = json.text;
    dedupKey = githubDeliveryId(h.githubDelivery) ?? payload.id ?? bodyDedupKey(req.source, body);
  } else {
    const alert = verifyTradingView(p.tradingview!, req.body);
    takeToken(req, settings, deps);
    payload = validatePayload(alert.value);
    body = alert.body;
    // Without an `id`, two identical alerts are one signal: TradingView's resends after a
    // 5xx are recognised, and templates should add {{timenow}} so distinct alerts differ.
    // The hash is over the body without the passphrase, so it never depends on the secret.
    dedupKey = payload.id ?? bodyDedupKey(req.source, body);
  }

  return {
    id: signalId(req.source, dedupKey),
    source: req.source,
    dedupKey,
    receivedAt: deps.clock.now(),
    remoteAddr: req.remoteAddr,
    headers: h.audit,
    body,
    payload,
    partitionKey: partitionKey(payload),
  };
}

function takeToken(req: ReceiveRequest, settings: SourceSettings, deps: ReceiveDeps): void {
  if (!deps.rateLimiter.take(req.source, settings.rateLimit)) {
    throw new HedgehookError('HH_ERR_RATE_LIMITED', `source ${req.source} is over its rate limit of ${settings.rateLimit.perSecond}/s (burst ${settings.rateLimit.burst})`);
  }
}

const PASSPHRASE_KEY = /passphrase/i;
/** `"passphrase": "…"`, `passphrase=…` and friends in text that is not (valid) JSON; an unterminated value runs to the end. */
const PASSPHRASE_TEXT = /(["']?)(passphrase)\1(\s*[:=]\s*)(?:"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|[^\s,;&}\]"']*)/gi;
const REDACTED = '[redacted]';

/**
 * A truncated excerpt of a rejected body for the rejection record, with any passphrase
 * removed: from JSON by deleting every `passphrase` key, from other text by pattern, and
 * any configured secret wherever it appears — a rejected request is exactly the one most
 * likely to carry a passphrase in the wrong place.
 */
export function redactBody(settings: SourceSettings, body: Buffer, max = 512): string {
  // Lossy decoding is fine here: an excerpt is for reading, not for verifying.
  let text = body.toString('utf8');
  let json: unknown;
  if (!exceedsDepth(text)) {
    try {
      json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch {
      json = undefined;
    }
  }
  if (typeof json === 'object' && json !== null) {
    text = JSON.stringify(json, (key, value: unknown) => (PASSPHRASE_KEY.test(key) ? undefined : value));
  }
  text = text.replace(PASSPHRASE_TEXT, `$1$2$1$3"${REDACTED}"`);
  for (const secret of settings.secrets) {
    if (secret.length === 0) continue;
    text = text.split(secret).join(REDACTED);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) text = text.split(escaped).join(REDACTED);
  }
  if (text.length <= max) return text;
  // Do not cut a surrogate pair in half.
  const end = max > 0 && /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}
