import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteJournal, type SqliteJournal, type SqliteJournalOptions } from '../../src/journal/sqlite/index.ts';
import { ID_INDEX_SUFFIX } from '../../src/journal/sqlite/id-index.ts';
import { breakSqlite, makeSignal, tempDir } from './fixtures.ts';

function withDir(fn: (dir: string) => Promise<void>) {
  return async () => {
    const tmp = tempDir();
    try {
      await fn(tmp.dir);
    } finally {
      tmp.remove();
    }
  };
}

/** Waits for a condition the index reaches on its own (a merge on its thread); fails after 10 s. */
async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** The ids the index file holds, read from the file itself. */
function filed(path: string): { ids: Record<string, number>; mergedThrough: number } {
  const db = new Database(path + ID_INDEX_SUFFIX, { readonly: true });
  try {
    const rows = db.prepare('SELECT id, seq FROM ids').all() as { id: string; seq: number }[];
    const merged = db.prepare("SELECT value FROM meta WHERE key = 'merged_through'").pluck().get();
    return { ids: Object.fromEntries(rows.map((r) => [r.id, r.seq])), mergedThrough: Number(merged ?? 0) };
  } finally {
    db.close();
  }
}

async function appendAll(j: SqliteJournal, ns: number[]) {
  return Promise.all(ns.map((n) => j.append(makeSignal(n))));
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Every one of `ns` is a duplicate of its first delivery, at seq n (signals appended in order from 1). */
async function assertAllDuplicates(j: SqliteJournal, ns: number[]) {
  for (const r of await appendAll(j, ns)) assert.equal(r.status, 'duplicate', JSON.stringify(r));
  for (const n of ns) assert.equal((await j.getSignal(makeSignal(n).id))?.seq, n);
}

const quick: SqliteJournalOptions['idIndex'] = { mergeCount: 50, mergeIntervalMs: 60_000 };

describe('sqlite journal: the signal id index (id-index.ts)', () => {
  test(
    'ids wait in memory, are merged by the thread once mergeCount wait, and are found before, during and after',
    withDir(async (dir) => {
      const path = join(dir, 'journal.db');
      const j = openSqliteJournal({ path, idIndex: quick });
      try {
        await appendAll(j, range(1, 30));
        assert.deepEqual(j.idIndexStats(), { waiting: 30, merges: 0, mergedThrough: 0, failures: 0 });
        await assertAllDuplicates(j, range(1, 30));
        await appendAll(j, range(31, 60));
        await until('the merge', () => j.idIndexStats().merges === 1);
        assert.deepEqual(j.idIndexStats(), { waiting: 0, merges: 1, mergedThrough: 60, failures: 0 });
        const file = filed(path);
        assert.equal(file.mergedThrough, 60);
        assert.deepEqual(file.ids, Object.fromEntries(range(1, 60).map((n) => [makeSignal(n).id, n])));
        await assertAllDuplicates(j, range(1, 60));
        assert.deepEqual(await appendAll(j, [61]), [{ status: 'accepted', id: makeSignal(61).id, seq: 61 }]);
        assert.equal((await j.listEvents(makeSignal(5).id))[0]?.type, 'received');
        assert.deepEqual(await j.listEvents('sig_never_seen'), []);
        assert.equal(await j.getSignal('sig_never_seen'), undefined);
      } finally {
        await j.close();
      }
    }),
  );

  test(
    'the oldest waiting id is merged after mergeIntervalMs even when no more come',
    withDir(async (dir) => {
      const path = join(dir, 'journal.db');
      const j = openSqliteJournal({ path, idIndex: { mergeCount: 1000, mergeIntervalMs: 50 } });
      try {
        await appendAll(j, [1, 2, 3]);
        await until('the timed merge', () => j.idIndexStats().merges >= 1 && j.idIndexStats().waiting === 0);
        assert.equal(filed(path).mergedThrough, 3);
        await assertAllDuplicates(j, [1, 2, 3]);
      } finally {
        await j.close();
      }
    }),
  );

  test(
    'after a restart, unmerged and merged ids alike are duplicates; without a thread merges run in place',
    withDir(async (dir) => {
      const path = join(dir, 'journal.db');
      let j = openSqliteJournal({ path, idIndex: { ...quick, thread: false } });
      await appendAll(j, range(1, 70));
      // Merged on this thread right after the commit that crossed mergeCount.
      assert.deepEqual(j.idIndexStats(), { waiting: 0, merges: 1, mergedThrough: 70, failures: 0 });
      await appendAll(j, range(71, 80));
      await j.close();
      j = openSqliteJournal({ path, idIndex: quick });
      try {
        assert.deepEqual(j.idIndexStats(), { waiting: 10, merges: 0, mergedThrough: 70, failures: 0 });
        await assertAllDuplicates(j, range(1, 80));
        assert.equal((await appendAll(j, [81]))[0]!.status, 'accepted');
      } finally {
        await j.close();
      }
    }),
  );

  test(
    'a new id is answered from memory, not the file, once the filter holds what the file held at open',
    withDir(async (dir) => {
      const path = join(dir, 'journal.db');
      let j = openSqliteJournal({ path, idIndex: { thread: false, mergeCount: 1000, mergeIntervalMs: 60_000 } });
      // More than one slice of the filter's fill at open (5,000 ids per turn of the loop).
      await appendAll(j, range(1, 7000));
      assert.equal(j.idIndexStats().mergedThrough, 7000);
      assert.deepEqual(j.idLookupStats().file, 0, 'ids merged while running go straight into the filter');
      await j.close();
      j = openSqliteJournal({ path, idIndex: { thread: false, mergeCount: 1000, mergeIntervalMs: 60_000 } });
      try {
        // The first slice is in; until the rest is, every lookup past memory asks the file.
        assert.equal(j.idLookupStats().filterIds, 5000);
        // (getSignal looks up before its first await, so before the fill's next turn.)
        assert.equal(await j.getSignal('sig_never_seen'), undefined);
        assert.equal(j.idLookupStats().skipped, 0);
        assert.ok(j.idLookupStats().file >= 1);
        const asked = j.idLookupStats().file;
        assert.equal((await j.append(makeSignal(7001))).status, 'accepted');
        await until('the filter filled', () => j.idLookupStats().filterIds === 7000);
        assert.deepEqual((await appendAll(j, range(7002, 7101))).map((r) => r.status), Array(100).fill('accepted'));
        const after = j.idLookupStats();
        // False positives (about 0.1%) may send one of the 101 to the file.
        assert.ok(after.skipped >= 100 && after.skipped + after.file === asked + 101, JSON.stringify(after));
        // The ids of both slices, deep in the file, are still found.
        await assertAllDuplicates(j, [1, 2500, 5000, 5001, 6999, 7000]);
      } finally {
        await j.close();
      }
    }),
  );

  test(
    'an index file lost, unreadable, of another journal or ahead of this one is rebuilt from the journal',
    withDir(async (dir) => {
      const path = join(dir, 'journal.db');
      const other = join(dir, 'other.db');
      let j = openSqliteJournal({ path, idIndex: { ...quick, thread: false } });
      await appendAll(j, range(1, 60));
      await j.close();
      const o = openSqliteJournal({ path: other, idIndex: { ...quick, thread: false } });
      await Promise.all(range(1, 60).map((n) => o.append(makeSignal({ n, dedupKey: `other_${n}` }))));
      await o.close();
      const index = path + ID_INDEX_SUFFIX;
      const cases: [string, () => void][] = [
        ['lost', () => rmSync(index)],
        ['unreadable', () => writeFileSync(index, Buffer.alloc(8192, 0x5a))],
        ['another journal’s', () => copyFileSync(other + ID_INDEX_SUFFIX, index)],
        [
          'ahead of the journal',
          () => {
            const db = new Database(index);
            db.prepare("UPDATE meta SET value = '1000' WHERE key = 'merged_through'").run();
            db.prepare('DELETE FROM ids WHERE seq > 5').run();
            db.close();
          },
        ],
      ];
      for (const [i, [what, spoil]] of cases.entries()) {
        for (const suffix of ['-wal', '-shm']) rmSync(index + suffix, { force: true });
        spoil();
        // openChunk below the gap: the rebuild merges in place at open, in chunks.
        j = openSqliteJournal({ path, idIndex: { ...quick, openChunk: 25 } });
        try {
          assert.equal(filed(path).mergedThrough, 50, what);
          // Each round below appends one more (the other journal's delivery, at 61, 62, …).
          assert.equal(j.idIndexStats().waiting, 10 + i, what);
          await assertAllDuplicates(j, range(1, 60));
          assert.equal((await j.append(makeSignal({ n: 1, dedupKey: `fresh_${i}` }))).status, 'accepted', what);
        } finally {
          await j.close();
        }
        assert.ok(existsSync(index));
      }
    }),
  );

  test(
    'two instances on one file: each recognises what the other appended, merged or not',
    withDir(async (dir) => {
      const path = join(dir, 'journal.db');
      const a = openSqliteJournal({ path, idIndex: quick });
      const b = openSqliteJournal({ path, idIndex: quick });
      try {
        await appendAll(a, [1, 2]);
        assert.deepEqual(await appendAll(b, [2, 3]), [
          { status: 'duplicate', id: makeSignal(2).id, seq: 2 },
          { status: 'accepted', id: makeSignal(3).id, seq: 3 },
        ]);
        assert.equal((await a.append(makeSignal(3))).status, 'duplicate');
        assert.equal((await a.getSignal(makeSignal(3).id))?.seq, 3);
        await appendAll(a, range(4, 60));
        await until('a merge', () => a.idIndexStats().merges >= 1);
        await assertAllDuplicates(b, range(1, 60));
      } finally {
        await a.close();
        await b.close();
      }
    }),
  );

  test(
    'a batch that fails leaves no id behind: the same delivery is accepted once the disk works again',
    withDir(async (dir) => {
      const path = join(dir, 'journal.db');
      const j = openSqliteJournal({ path, idIndex: quick });
      try {
        await appendAll(j, [1]);
        // Only signal 3's insert fails, and takes the whole transaction with it: signal 2's
        // insert (and its id in memory) is rolled back too.
        const cure = breakSqlite(path, "NEW.dedup_key = 'msg_3'");
        const failed = await Promise.allSettled([j.append(makeSignal(2)), j.append(makeSignal(3))]);
        assert.deepEqual(failed.map((r) => r.status), ['rejected', 'rejected']);
        cure();
        assert.equal(j.idIndexStats().waiting, 1);
        assert.deepEqual(await appendAll(j, [2, 3]), [
          { status: 'accepted', id: makeSignal(2).id, seq: 2 },
          { status: 'accepted', id: makeSignal(3).id, seq: 3 },
        ]);
      } finally {
        await j.close();
      }
    }),
  );

  test(
    'merges that fail (on the thread, then on the event loop) lose nothing: ids stay in memory, and a later merge takes them',
    withDir(async (dir) => {
      const path = join(dir, 'journal.db');
      const j = openSqliteJournal({ path, idIndex: { mergeCount: 20, mergeIntervalMs: 60_000 } });
      const index = new Database(path + ID_INDEX_SUFFIX);
      try {
        index.exec("CREATE TRIGGER test_fail BEFORE INSERT ON ids BEGIN SELECT RAISE(ABORT, 'simulated index failure'); END");
        await appendAll(j, range(1, 25));
        // The thread's merge fails, the index falls back to merging here; that fails too.
        await until('both failures', () => j.idIndexStats().failures >= 2);
        assert.equal(j.idIndexStats().merges, 0);
        assert.equal(j.idIndexStats().waiting, 25);
        await assertAllDuplicates(j, range(1, 25));
        index.exec('DROP TRIGGER test_fail');
        await appendAll(j, range(26, 50));
        assert.deepEqual({ ...j.idIndexStats(), failures: 0 }, { waiting: 0, merges: 1, mergedThrough: 50, failures: 0 });
        assert.equal(Object.keys(filed(path).ids).length, 50);
        await assertAllDuplicates(j, range(1, 50));
      } finally {
        index.close();
        await j.close();
      }
    }),
  );
});
