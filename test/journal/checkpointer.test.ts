import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Checkpointer } from '../../src/journal/sqlite/checkpointer.ts';
import { openSqliteJournal } from '../../src/journal/sqlite/index.ts';
import { silentLogger } from '../../src/journal/types.ts';
import { makeSignal, tempDir } from './fixtures.ts';

/** Polls a condition the checkpoint thread makes true (real time: it is a real thread). */
async function eventually(what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('the thread copies the WAL into the database while the writer never checkpoints itself', async () => {
  const tmp = tempDir();
  const path = join(tmp.dir, 'wal.db');
  const writer = new Database(path);
  writer.pragma('journal_mode = WAL');
  writer.pragma('wal_autocheckpoint = 0');
  writer.exec('CREATE TABLE t (v TEXT)');
  const insert = writer.prepare('INSERT INTO t (v) VALUES (?)');
  for (let i = 0; i < 50; i++) insert.run('x'.repeat(1000));
  assert.ok(statSync(path).size < 50 * 1000, 'before: the rows are only in the WAL');
  let failed = false;
  const cp = new Checkpointer({ path, synchronous: 'full', busyTimeoutMs: 1000, intervalMs: 1, logger: silentLogger, onFailure: () => (failed = true) });
  try {
    cp.committed();
    await eventually('a checkpoint', () => cp.count >= 1);
    assert.equal(failed, false);
    assert.ok(cp.last!.walFrames > 0, 'there was something to copy');
    assert.equal(cp.last!.copiedFrames, cp.last!.walFrames, 'everything was copied');
    // The rows' pages are in the database file itself now, not only in the WAL.
    assert.ok(statSync(path).size >= 50 * 1000, `database file is ${statSync(path).size} bytes`);
  } finally {
    cp.close();
    writer.close();
    tmp.remove();
  }
});

test('a thread that cannot open the file reports once, and the journal falls back to checkpointing itself', async () => {
  const tmp = tempDir();
  let failures = 0;
  const cp = new Checkpointer({
    path: join(tmp.dir, 'missing-dir', 'x.db'),
    synchronous: 'full',
    busyTimeoutMs: 10,
    logger: silentLogger,
    onFailure: () => failures++,
  });
  try {
    await eventually('the failure', () => failures > 0);
    cp.committed(); // ignored now
    assert.equal(failures, 1);
  } finally {
    cp.close();
    tmp.remove();
  }
});

test("close returns once the thread's connection is closed: the journal's close then removes the WAL", async () => {
  const tmp = tempDir();
  const path = join(tmp.dir, 'journal.db');
  const j = openSqliteJournal({ path });
  await Promise.all([1, 2, 3].map((n) => j.append(makeSignal(n))));
  await j.close();
  assert.equal(existsSync(`${path}-wal`), false, 'the last connection to close checkpoints and deletes the WAL');
  const db = new Database(path, { readonly: true });
  assert.equal(db.prepare('SELECT COUNT(*) FROM signals').pluck().get(), 3);
  db.close();
  tmp.remove();
});
