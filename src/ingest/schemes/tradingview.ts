/**
 * TradingView cannot sign its alerts, so the alert message (JSON) carries a `passphrase`
 * that is compared in constant time and removed before anything is stored. The optional
 * address allowlist (its four sending addresses) is checked by the caller.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import { HedgehookError, isHedgehookError } from '../../core/errors.ts';
import { parseJsonBytes } from '../json.ts';

export interface TradingViewVerifier {
  /** SHA-256 of each passphrase, computed once. */
  readonly digests: readonly Buffer[];
}

export const PASSPHRASE_FIELD = 'passphrase';
/** A passphrase longer than this is not one of ours; no need to hash megabytes to say so. */
const MAX_PASSPHRASE = 1024;

export function tradingViewVerifier(passphrases: readonly string[]): TradingViewVerifier {
  if (passphrases.length === 0 || passphrases.some((p) => p.length === 0 || p.length > MAX_PASSPHRASE)) {
    throw new HedgehookError('HH_ERR_CONFIG_INVALID', `a tradingview source needs at least one passphrase of 1 to ${MAX_PASSPHRASE} characters`);
  }
  return { digests: passphrases.map(sha256) };
}

function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}

export interface VerifiedAlert {
  /** The parsed alert without its passphrase. */
  value: Record<string, unknown>;
  /** The alert re-serialised without its passphrase: what the journal stores. */
  body: string;
}

/**
 * Parses the alert and checks its passphrase; throws HH_ERR_PASSPHRASE_INVALID (never a JSON
 * error: without parseable JSON there is no passphrase, so the request is unauthenticated).
 */
export function verifyTradingView(v: TradingViewVerifier, raw: Uint8Array): VerifiedAlert {
  let value: unknown;
  try {
    value = parseJsonBytes(raw).value;
  } catch (err) {
    if (!isHedgehookError(err)) throw err;
    throw new HedgehookError('HH_ERR_PASSPHRASE_INVALID', `passphrase missing: ${err.message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HedgehookError('HH_ERR_PASSPHRASE_INVALID', 'passphrase missing: the alert message must be a JSON object');
  }
  const alert = value as Record<string, unknown>;
  const given = Object.hasOwn(alert, PASSPHRASE_FIELD) ? alert[PASSPHRASE_FIELD] : undefined;
  if (typeof given !== 'string' || given.length === 0) {
    throw new HedgehookError('HH_ERR_PASSPHRASE_INVALID', `passphrase missing: the alert needs a "${PASSPHRASE_FIELD}" string`);
  }
  // Hashing both sides gives equal-length buffers, so neither the comparison nor an early
  // length check reveals how long the passphrase is. Every digest is compared.
  const digest = given.length <= MAX_PASSPHRASE ? sha256(given) : undefined;
  let ok = false;
  if (digest) for (const d of v.digests) ok = timingSafeEqual(digest, d) || ok;
  if (!ok) throw new HedgehookError('HH_ERR_PASSPHRASE_INVALID', 'passphrase does not match');
  delete alert[PASSPHRASE_FIELD];
  return { value: alert, body: JSON.stringify(alert) };
}
