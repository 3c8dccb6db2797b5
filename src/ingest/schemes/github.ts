/**
 * GitHub-style signing: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.
 * The scheme signs the body only — no timestamp, and `X-GitHub-Delivery` is not signed — so
 * it cannot refuse a replayed request the way Standard Webhooks does; senders that need
 * replay protection should use the standard scheme.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { HedgehookError } from '../../core/errors.ts';

export interface GithubVerifier {
  readonly keys: readonly KeyObject[];
}

const HEADER = /^sha256=[0-9a-fA-F]{64}$/;
/** GitHub sends a GUID; anything else that is printable and short is accepted as an id too. */
const DELIVERY = /^[\x21-\x7e]{1,128}$/;

export function githubVerifier(secrets: readonly string[]): GithubVerifier {
  if (secrets.length === 0 || secrets.some((s) => s.length === 0)) {
    throw new HedgehookError('HH_ERR_CONFIG_INVALID', 'a github source needs at least one non-empty secret');
  }
  return { keys: secrets.map((s) => createSecretKey(Buffer.from(s, 'utf8'))) };
}

/** Throws HH_ERR_SIGNATURE_MISSING or HH_ERR_SIGNATURE_INVALID unless a configured secret signed `body`. */
export function verifyGithub(v: GithubVerifier, signatureHeader: string | undefined, body: Uint8Array): void {
  if (!signatureHeader) throw new HedgehookError('HH_ERR_SIGNATURE_MISSING', 'X-Hub-Signature-256 header is required');
  if (!HEADER.test(signatureHeader)) {
    throw new HedgehookError('HH_ERR_SIGNATURE_INVALID', 'X-Hub-Signature-256 must be sha256= followed by 64 hex digits');
  }
  const provided = Buffer.from(signatureHeader.slice(7), 'hex');
  for (const key of v.keys) {
    if (timingSafeEqual(provided, createHmac('sha256', key).update(body).digest())) return;
  }
  throw new HedgehookError('HH_ERR_SIGNATURE_INVALID', 'X-Hub-Signature-256 does not match a configured secret');
}

/** The delivery id when the header is present and well-formed; it is not signed, so it is only a dedup hint. */
export function githubDeliveryId(header: string | undefined): string | undefined {
  return header !== undefined && DELIVERY.test(header) ? header : undefined;
}

/** The `X-Hub-Signature-256` value for `body`, as the CLI `send` command and tests need it. */
export function signGithub(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
