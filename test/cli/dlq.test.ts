/** `hedgehook dlq` on a real data dir: list, purge and replay, then the service finishes the work. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteJournal } from '../../src/journal/sqlite/index.ts';
import { makeSignal } from '../journal/fixtures.ts';
import { BIN, startServiceProcess } from '../helpers/service-process.ts';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('dlq list, purge and replay on the data dir; the restarted service processes what was replayed, in order', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hh-dlq-'));
  const journal = openSqliteJournal({ path: join(dataDir, 'journal.db') });
  const ids: string[] = [];
  for (const n of [1, 2, 3]) ids.push((await journal.append(makeSignal(n))).id);
  const failure = { code: 'HH_ERR_PROCESSING_FAILED', message: 'venue timed out', retryable: true };
  for (const d of await journal.claim(10, 0)) await journal.deadLetter(d, 'gave up after 5 attempts', failure, 0);
  // All three share one key, so each claim yields the next head.
  for (const d of await journal.claim(10, 0)) await journal.deadLetter(d, 'gave up after 5 attempts', failure, 0);
  for (const d of await journal.claim(10, 0)) await journal.deadLetter(d, 'gave up after 5 attempts', failure, 0);
  await journal.close();

  const listed = cli('dlq', 'list', '--json', '--data-dir', dataDir);
  assert.equal(listed.code, 0, listed.stderr);
  const entries = JSON.parse(listed.stdout) as { signalId: string; attempts: number; reason: string; lastError: { code: string } }[];
  assert.deepEqual(entries.map((e) => e.signalId), ids);
  assert.equal(entries[0]!.lastError.code, 'HH_ERR_PROCESSING_FAILED');
  const table = cli('dlq', 'list', '--data-dir', dataDir);
  assert.match(table.stdout, /^SIGNAL\s+SEQ\s+SOURCE/);
  assert.equal(table.stdout.trim().split('\n').length, 4);

  const purged = cli('dlq', 'purge', '--id', ids[1]!, '--data-dir', dataDir);
  assert.equal(purged.code, 0, purged.stderr);
  const replayed = cli('dlq', 'replay', '--all', '--data-dir', dataDir);
  assert.equal(replayed.stdout.trim(), `replayed 2: ${ids[0]} ${ids[2]}`);
  const again = cli('dlq', 'replay', '--all', '--data-dir', dataDir);
  assert.equal(again.stdout.trim(), 'replayed 0');

  const service = await startServiceProcess({ dataDir });
  try {
    const states = async () =>
      Promise.all(ids.map(async (id) => ((await (await fetch(`${service.url}/api/signals/${id}`)).json()) as { state: string }).state));
    let seen = await states();
    for (let i = 0; i < 100 && (seen[0] === 'received' || seen[2] === 'received'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await states();
    }
    assert.notEqual(seen[0], 'received');
    assert.notEqual(seen[0], 'dead');
    assert.equal(seen[1], 'dead', 'a purged entry stays in the journal as dead');
    assert.notEqual(seen[2], 'dead');
    const dlq = (await (await fetch(`${service.url}/api/dlq`)).json()) as { entries: unknown[] };
    assert.deepEqual(dlq.entries, []);
  } finally {
    service.child.kill('SIGTERM');
    await service.exited;
  }
  const reopened = openSqliteJournal({ path: join(dataDir, 'journal.db') });
  const processedAt = async (id: string) => (await reopened.listEvents(id)).filter((e) => e.type === 'processed').map((e) => e.seq);
  const first = await processedAt(ids[0]!);
  const third = await processedAt(ids[2]!);
  await reopened.close();
  assert.equal(first.length, 1);
  assert.equal(third.length, 1);
  assert.ok(first[0]! < third[0]!, 'replayed entries are processed in their original order');
});
