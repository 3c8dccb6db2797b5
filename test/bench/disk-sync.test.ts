import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDiskSync } from '../../bench/disk-sync.ts';

test('the bench\'s disk baseline: every sample counted, percentiles in order, its file removed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hedgehook-disk-sync-'));
  try {
    const r = benchDiskSync(dir, 25);
    assert.equal(r.samples, 25);
    assert.equal(r.bytesPerSync, 24 * 1024);
    const { p50, p90, p99, max } = r.fdatasyncMs;
    assert.ok(p50 > 0 && p50 <= p90 && p90 <= p99 && p99 <= max, JSON.stringify(r.fdatasyncMs));
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
