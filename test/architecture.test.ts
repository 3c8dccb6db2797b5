/**
 * Rules that dependency-cruiser cannot see: decision code takes time and randomness only
 * from injected ports, so that live and backtest runs make identical decisions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const DECISION_CODE = ['src/core', 'src/ingest', 'src/model', 'src/risk', 'src/execution', 'src/portfolio', 'src/engine'];
// The system clock is the one sanctioned reader of the wall clock.
const ALLOWED = new Set(['src/core/clock.ts']);
const FORBIDDEN = [/\bDate\.now\(/, /\bnew Date\(\s*\)/, /\bMath\.random\(/, /\bperformance\.now\(/, /\bsetTimeout\(/];

function tsFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? tsFiles(full) : name.endsWith('.ts') ? [full] : [];
  });
}

test('decision code reads no wall clock and no global randomness', () => {
  const files = DECISION_CODE.flatMap((d) => tsFiles(join(ROOT, d))).map((f) => relative(ROOT, f));
  assert.ok(files.length > 5, 'expected to scan the decision code');
  const offenders: string[] = [];
  for (const file of files) {
    if (ALLOWED.has(file)) continue;
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      // Comments may name what they avoid; only code counts.
      if (/^\s*(\*|\/\*)/.test(line)) return;
      const code = line.replace(/\/\/.*$/, '');
      if (FORBIDDEN.some((re) => re.test(code))) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(offenders, []);
});
