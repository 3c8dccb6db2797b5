/**
 * `npm run audit:prod`: the shipped dependency tree has no high or critical advisory.
 *
 * Not part of `npm test`, on purpose: its verdict depends on a remote advisory database
 * that changes every day, so the same commit could pass today and fail tomorrow, and a
 * test suite must be reproducible. CI runs it as its own step (and on a schedule), where
 * a new advisory should fail loudly. Without a reachable advisory service it skips with
 * the reason rather than failing. The reading of npm's output is tested in npm test
 * (npm-audit.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runAudit } from './npm-audit.ts';

test('npm audit --omit=dev: no high or critical advisory in what ships', { timeout: 90_000 }, async (t) => {
  const verdict = await runAudit(new URL('../../', import.meta.url).pathname);
  if (verdict.kind === 'unavailable') return t.skip(verdict.reason);
  assert.deepEqual(verdict.kind === 'vulnerable' ? verdict.findings : [], []);
  t.diagnostic(`advisories below high: ${JSON.stringify(verdict.kind === 'clean' ? verdict.counts : {})}`);
});
