/** How `npm run audit:prod` reads npm's JSON (the audit itself runs outside npm test). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditVerdict } from './npm-audit.ts';

const counts = (high: number, critical: number) => ({ info: 0, low: 1, moderate: 2, high, critical, total: 3 + high + critical });

test('a report without high or critical findings is clean', () => {
  const out = JSON.stringify({ auditReportVersion: 2, vulnerabilities: { a: { name: 'a', severity: 'moderate', via: [] } }, metadata: { vulnerabilities: counts(0, 0) } });
  assert.equal(auditVerdict(out).kind, 'clean');
});

test('high and critical findings are listed by package', () => {
  const out = JSON.stringify({
    vulnerabilities: {
      a: { name: 'a', severity: 'high', via: [], fixAvailable: true },
      b: { name: 'b', severity: 'critical', via: [] },
      c: { name: 'c', severity: 'low', via: [] },
    },
    metadata: { vulnerabilities: counts(1, 1) },
  });
  assert.deepEqual(auditVerdict(out), { kind: 'vulnerable', findings: ['a (high, fix available)', 'b (critical)'] });
});

test('a mirror without the advisory endpoint, a network error or no output give no verdict', () => {
  // What this machine's registry mirror answers (recorded).
  const mirror = JSON.stringify({ message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405, error: { summary: '', detail: '' } });
  const v = auditVerdict(mirror);
  assert.equal(v.kind, 'unavailable');
  assert.match(v.kind === 'unavailable' ? v.reason : '', /405/);
  assert.equal(auditVerdict(JSON.stringify({ error: { code: 'ENOTFOUND', summary: 'getaddrinfo ENOTFOUND registry.npmjs.org' } })).kind, 'unavailable');
  assert.equal(auditVerdict('').kind, 'unavailable');
});
