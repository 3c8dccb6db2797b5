/**
 * JSON from raw request bytes: strict UTF-8 and bounded nesting. Everything here throws
 * HH_ERR_MALFORMED_JSON; callers that cannot authenticate without the JSON (TradingView)
 * re-classify it.
 */
import { HedgehookError } from '../core/errors.ts';

export const MAX_JSON_DEPTH = 32;

// fatal: a lossy decoder would map different invalid byte sequences to the same U+FFFD text,
// so two different bodies could be stored (and hashed for dedup) as one.
// ignoreBOM: keep a leading BOM in the text, so the stored body is byte-for-byte what was signed.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeUtf8(body: Uint8Array): string {
  try {
    return decoder.decode(body);
  } catch {
    throw new HedgehookError('HH_ERR_MALFORMED_JSON', 'body is not valid UTF-8');
  }
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * True when `text` nests objects/arrays deeper than `limit`. V8's JSON.parse itself is
 * iterative, but JSON.stringify, structured clone and most consumers recurse, so a deeply
 * nested body must not get past the door. Text with at most `limit` brackets in total
 * cannot be too deep, which keeps the common small body on a native `indexOf` fast path.
 */
export function exceedsDepth(text: string, limit = MAX_JSON_DEPTH): boolean {
  let count = 0;
  for (let i = text.indexOf('{'); i !== -1 && count <= limit; i = text.indexOf('{', i + 1)) count++;
  for (let i = text.indexOf('['); i !== -1 && count <= limit; i = text.indexOf('[', i + 1)) count++;
  if (count <= limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Parses JSON text; a leading BOM is ignored, as RFC 8259 allows. */
export function parseJsonText(text: string): unknown {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (exceedsDepth(source)) {
    throw new HedgehookError('HH_ERR_MALFORMED_JSON', `body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    return JSON.parse(source);
  } catch (err) {
    // V8's message can quote a snippet of the input; report only the position, since a
    // rejection reason is answered and stored, and the input may hold a passphrase.
    const position = err instanceof Error ? /position (\d+)/.exec(err.message)?.[1] : undefined;
    throw new HedgehookError('HH_ERR_MALFORMED_JSON', `body is not valid JSON${position ? ` (at position ${position})` : ''}`);
  }
}

/** Strict UTF-8 decode and parse; returns the text too, because the journal stores it. */
export function parseJsonBytes(body: Uint8Array): { text: string; value: unknown } {
  const text = decodeUtf8(body);
  return { text, value: parseJsonText(text) };
}
