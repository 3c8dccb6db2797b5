/** Shared builders for the ingest tests. */
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.ts';
import { HedgehookError, type ErrorCode } from '../../src/core/errors.ts';
import { RateLimiter } from '../../src/ingest/rate-limit.ts';
import type { ReceiveRequest } from '../../src/ingest/receive.ts';
import { signGithub } from '../../src/ingest/schemes/github.ts';
import { signStandard } from '../../src/ingest/schemes/standard.ts';
import type { SourceSettings } from '../../src/ingest/source.ts';

export const STD_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const STD_SECRET_2 = 'whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=';
export const NOW_S = 1_614_265_330;

export function settings(over: Partial<SourceSettings> = {}): SourceSettings {
  return {
    name: 'default',
    scheme: 'standard',
    secrets: [STD_SECRET],
    maxBodyBytes: 64 * 1024,
    rateLimit: { burst: 1000, perSecond: 1000 },
    toleranceSeconds: 300,
    ...over,
  };
}

export function deps(nowMs = NOW_S * 1000) {
  const clock = new ManualClock(nowMs);
  return { clock, rateLimiter: new RateLimiter(clock) };
}

export const PAYLOAD = { symbol: 'TRXUSDT.P', action: 'open', strength: 0.8 };

export function standardRequest(
  body: string | Buffer,
  opts: { id?: string; ts?: number; secret?: string; headers?: Record<string, string>; contentType?: string; remoteAddr?: string } = {},
): ReceiveRequest {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const id = opts.id ?? 'msg_1';
  const ts = opts.ts ?? NOW_S;
  const contentType = opts.contentType ?? 'application/json';
  return {
    source: 'default',
    body: bytes,
    contentType,
    headers: {
      'content-type': contentType,
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': signStandard(opts.secret ?? STD_SECRET, id, ts, bytes),
      ...opts.headers,
    },
    remoteAddr: opts.remoteAddr ?? '127.0.0.1',
  };
}

export const GH_SECRET = "It's a Secret to Everybody";

export function githubRequest(body: string | Buffer, opts: { secret?: string; headers?: Record<string, string> } = {}): ReceiveRequest {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return {
    source: 'gh',
    body: bytes,
    contentType: 'application/json',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signGithub(opts.secret ?? GH_SECRET, bytes), ...opts.headers },
    remoteAddr: '127.0.0.1',
  };
}

export const TV_PASSPHRASE = 'correct horse battery staple';

export function tradingViewRequest(body: string | Buffer, remoteAddr = '52.89.214.238'): ReceiveRequest {
  return {
    source: 'tv',
    body: typeof body === 'string' ? Buffer.from(body) : body,
    contentType: 'text/plain; charset=utf-8',
    headers: { 'content-type': 'text/plain; charset=utf-8', 'user-agent': 'Go-http-client/1.1' },
    remoteAddr,
  };
}


/** Asserts that `fn` throws a HedgehookError with `code` (and a message matching `detail`). */
export function throwsCode(fn: () => unknown, code: ErrorCode, detail?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HedgehookError, `expected a HedgehookError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    if (detail) assert.match(err.message, detail);
    return true;
  });
}
