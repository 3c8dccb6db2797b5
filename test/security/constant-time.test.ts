/**
 * Secrets are compared in constant time. Structural: every place that checks a caller
 * against a secret (the three webhook schemes, the API bearer token) calls
 * crypto.timingSafeEqual, and no code in src compares a secret, signature, digest or token
 * with ===, ==, Buffer#equals or Buffer.compare. Behavioural: a candidate of another
 * length never short-circuits into a different answer (timingSafeEqual itself throws on
 * unequal lengths, so the code must first bring both sides to one length — by hashing, or
 * by a format check on public lengths) and never into a crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HedgehookError } from '../../src/core/errors.ts';
import { tradingViewVerifier, verifyTradingView } from '../../src/ingest/schemes/tradingview.ts';
import { githubVerifier, verifyGithub } from '../../src/ingest/schemes/github.ts';
import { standardVerifier, verifyStandard } from '../../src/ingest/schemes/standard.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { testServer } from '../helpers/server.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const SECRET_CHECKS = ['src/ingest/schemes/standard.ts', 'src/ingest/schemes/github.ts', 'src/ingest/schemes/tradingview.ts', 'src/server/bearer.ts'];
const SECRETISH = '(?:secret|passphrase|token|signature|digest|expected|mac)\\w*';
const PLAIN_COMPARE = new RegExp(`${SECRETISH}\\s*(?:!==|===|!=|==)|(?:!==|===|!=|==)\\s*${SECRETISH}|\\.equals\\(|Buffer\\.compare\\(`, 'i');
/** Lines that match but compare no secret with input, each with why. */
const ALLOWED: [file: string, snippet: string][] = [
  // Redaction: a configured secret against its own JSON-escaped form, not against input.
  ['src/ingest/receive.ts', 'escaped !== secret'],
  // Start-up self-check: two computations of our own MAC over a fixed probe, no input.
  ['src/ingest/schemes/standard.ts', "wh.sign('self-check', probe, SELF_CHECK_BODY) !== expected"],
  // A price file's column count.
  ['src/marketdata/price-file.ts', 'row.cells.length !== expected'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The code of a file without comments, so prose about comparisons does not count. */
function code(path: string): string {
  return readFileSync(path, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

test('every secret check calls crypto.timingSafeEqual', () => {
  for (const file of SECRET_CHECKS) {
    const text = code(join(ROOT, file));
    assert.match(text, /import \{[^}]*\btimingSafeEqual\b[^}]*\} from 'node:crypto'/, `${file} does not import timingSafeEqual`);
    assert.match(text, /timingSafeEqual\(/, `${file} does not call timingSafeEqual`);
  }
});

test('no secret, signature, digest or token is compared with ===, ==, equals or Buffer.compare anywhere in src', () => {
  const found: string[] = [];
  for (const path of sourceFiles(join(ROOT, 'src'))) {
    const file = relative(ROOT, path);
    code(path).split('\n').forEach((line, i) => {
      if (!PLAIN_COMPARE.test(line)) return;
      if (ALLOWED.some(([f, snippet]) => f === file && line.includes(snippet))) return;
      found.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});

test('tradingview: a passphrase of any length gets the same answer, never a length error', () => {
  const v = tradingViewVerifier(['correct horse battery staple']);
  const answers = new Set<string>();
  for (const length of [1, 2, 27, 28, 29, 64, 1024, 1025, 100_000]) {
    const body = Buffer.from(JSON.stringify({ passphrase: 'x'.repeat(length), symbol: 'TRXUSDT.P', action: 'open' }));
    try {
      verifyTradingView(v, body);
      assert.fail('accepted a wrong passphrase');
    } catch (err) {
      assert.ok(err instanceof HedgehookError, `length ${length}: ${String(err)}`);
      answers.add(`${err.code}: ${err.message}`);
    }
  }
  assert.deepEqual([...answers], ['HH_ERR_PASSPHRASE_INVALID: passphrase does not match']);
});

test('standard and github: a signature of the wrong length is refused like a wrong one, not with a crash', () => {
  const clock = new ManualClock(1_614_265_330_000);
  const std = standardVerifier(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 300);
  const body = Buffer.from('{}');
  const answers = new Set<string>();
  for (const sig of ['v1,', 'v1,AAAA', `v1,${Buffer.alloc(31).toString('base64')}`, `v1,${Buffer.alloc(32).toString('base64')}`, `v1,${Buffer.alloc(33).toString('base64')}`, `v1,${Buffer.alloc(64).toString('base64')}`]) {
    try {
      verifyStandard(std, { id: 'msg_1', timestamp: '1614265330', signature: sig }, body, clock);
      assert.fail('accepted');
    } catch (err) {
      assert.ok(err instanceof HedgehookError, String(err));
      answers.add(`${err.code}: ${err.message}`);
    }
  }
  assert.deepEqual([...answers], ['HH_ERR_SIGNATURE_INVALID: no webhook-signature entry matches a configured secret']);

  const gh = githubVerifier(['s3cret']);
  for (const sig of ['sha256=', `sha256=${'0'.repeat(62)}`, `sha256=${'0'.repeat(64)}`, `sha256=${'0'.repeat(66)}`, `sha256=${'0'.repeat(128)}`]) {
    assert.throws(() => verifyGithub(gh, sig, body), (e: unknown) => e instanceof HedgehookError && e.code === 'HH_ERR_SIGNATURE_INVALID', sig);
  }
});

test('API bearer token: any length of wrong token is the same 401, never a 500', async () => {
  const token = 'a-long-api-token-for-the-constant-time-test';
  const s = testServer({ apiToken: token });
  const bodies = new Set<string>();
  for (const given of ['', 'x', token.slice(0, -1), `${token}x`, token.toUpperCase(), 'y'.repeat(10_000)]) {
    const res = await s.app.inject({ method: 'GET', url: '/api/signals', headers: { authorization: `Bearer ${given}` } });
    assert.equal(res.statusCode, 401, `token of length ${given.length}`);
    bodies.add(res.body);
  }
  assert.equal(bodies.size, 1);
  const ok = await s.app.inject({ method: 'GET', url: '/api/signals', headers: { authorization: `Bearer ${token}` } });
  assert.equal(ok.statusCode, 200);
});
