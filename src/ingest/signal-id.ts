/**
 * Deterministic signal ids: the same (source, dedupKey) always gets the same id, so a
 * resent webhook is recognised and client order ids derived from the id repeat too.
 */
import { hash } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** 20 base32 characters = 100 bits: collisions are out of reach, and `sig_` + 20 = 24 characters
 * leaves room in Binance's 36-character client order id for a venue/attempt suffix. */
const ID_CHARS = 20;

export const SIGNAL_ID_PATTERN = /^sig_[a-z2-7]{20}$/;

export function signalId(source: string, dedupKey: string): string {
  // Source names cannot contain a newline, so the separator makes the input unambiguous.
  const digest = hash('sha256', `${source}\n${dedupKey}`, 'buffer');
  let out = 'sig_';
  let bits = 0;
  let value = 0;
  for (let i = 0; out.length < 4 + ID_CHARS; ) {
    if (bits < 5) {
      value = ((value << 8) | digest[i++]!) & 0xffff;
      bits += 8;
    }
    out += BASE32[(value >>> (bits - 5)) & 31];
    bits -= 5;
  }
  return out;
}

/** `sha256:<hex>` of the source and the stored body: the dedup key of a delivery that has no id. */
export function bodyDedupKey(source: string, body: string): string {
  return `sha256:${hash('sha256', `${source}\n${body}`, 'hex')}`;
}
