import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { HedgehookError } from '../../src/core/errors.ts';
import type { Delivery } from '../../src/core/ports.ts';
import { seededRandom } from '../../src/core/random.ts';
import { MIGRATIONS, SqliteJournal, latestVersion, openSqliteJournal } from '../../src/journal/sqlite/index.ts';
import { migrate } from '../../src/journal/sqlite/migrate.ts';
import { silentLogger } from '../../src/journal/types.ts';
import { journalContract } from './contract.ts';
import { turnsDuring } from '../support/turns.ts';
import { breakSqlite, makeSignal, nextTurn, retryable, sqliteAdapter, tempDir } from './fixtures.ts';

journalContract(sqliteAdapter);

const T0 = 1_800_000_000_000;
const isUnavailable = (err: unknown) => err instanceof HedgehookError && err.code === 'HH_ERR_JOURNAL_UNAVAILABLE';

function withFile(fn: (path: string, dir: string) => Promise<void>) {
  return async () => {
    const tmp = tempDir();
    try {
      await fn(join(tmp.dir, 'journal.db'), tmp.dir);
    } finally {
      tmp.remove();
    }
  };
}

/** A journal and a second instance on its file (as the dlq CLI or another process opens it), both closed after `fn`. */
function withTwoInstances(fn: (j: SqliteJournal, other: SqliteJournal) => Promise<void>) {
  return withFile(async (path) => {
    const j = openSqliteJournal({ path });
    const other = openSqliteJournal({ path });
    try {
      await fn(j, other);
    } finally {
      await other.close();
      await j.close();
    }
  });
}

function count(path: string, sql: string, ...params: unknown[]): number {
  const db = new Database(path, { readonly: true });
  try {
    return Number(db.prepare(sql).pluck().get(...params));
  } finally {
    db.close();
  }
}

describe('sqlite journal', () => {
  test(
    'an append is visible to another connection exactly when its promise resolves, not before',
    withFile(async (path) => {
      const j = openSqliteJournal({ path });
      const signal = makeSignal(1);
      const pending = j.append(signal).then((result) => {
        // In the resolve callback: a fresh connection (another process would be the same) sees the row.
        const seenAtResolve = count(path, 'SELECT COUNT(*) FROM signals WHERE id = ?', signal.id);
        return { result, seenAtResolve };
      });
      assert.equal(count(path, 'SELECT COUNT(*) FROM signals'), 0, 'not written in the turn of the call');
      const { result, seenAtResolve } = await pending;
      assert.equal(result.status, 'accepted');
      assert.equal(seenAtResolve, 1);
      assert.equal(count(path, 'SELECT COUNT(*) FROM queue'), 1);
      assert.equal(count(path, `SELECT COUNT(*) FROM signal_events WHERE type = 'received'`), 1);
      await j.close();
    }),
  );

  test(
    'a batch failing half-way is rolled back whole: the rows written before the failure are gone too',
    withFile(async (path) => {
      const j = openSqliteJournal({ path });
      await j.append(makeSignal(1));
      // Only the middle signal of the batch fails (a trigger RAISEs on it).
      const heal = breakSqlite(path, `NEW.source = 'boom'`);
      const results = await Promise.allSettled([
        j.append(makeSignal(2)),
        j.append(makeSignal({ n: 3, source: 'boom' })),
        j.append(makeSignal(4)),
      ]);
      heal();
      assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
      for (const r of results) assert.ok(isUnavailable((r as PromiseRejectedResult).reason));
      assert.equal(count(path, 'SELECT COUNT(*) FROM signals'), 1);
      assert.equal(count(path, 'SELECT COUNT(*) FROM queue'), 1);
      assert.equal(count(path, 'SELECT COUNT(*) FROM signal_events'), 1);
      // The next batch is unaffected and numbering continues without a hole.
      assert.deepEqual(await j.append(makeSignal(2)), { status: 'accepted', id: makeSignal(2).id, seq: 2 });
      await j.close();
    }),
  );

  test(
    'one write that fails inside a batch rolls back alone: the rest of the batch, worker writes included, commits',
    withFile(async (path) => {
      const j = openSqliteJournal({ path });
      await j.append(makeSignal(1));
      const [delivery] = await j.claim(1, T0);
      assert.ok(delivery);
      // A statement-level failure (the trigger aborts one INSERT), not a lost transaction.
      const db = new Database(path);
      db.exec(`CREATE TRIGGER t_abort BEFORE INSERT ON signals WHEN NEW.source = 'boom' BEGIN SELECT RAISE(ABORT, 'bad row'); END`);
      db.close();
      const results = await Promise.allSettled([
        j.append(makeSignal(2)),
        j.append(makeSignal({ n: 3, source: 'boom' })),
        j.settle(delivery, { state: 'skipped', reason: 'test' }, T0),
        j.append(makeSignal(4)),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      assert.ok(isUnavailable((results[1] as PromiseRejectedResult).reason));
      assert.equal(count(path, 'SELECT COUNT(*) FROM signals'), 3);
      assert.equal(count(path, "SELECT COUNT(*) FROM signal_events WHERE type = 'processed'"), 1);
      assert.equal((await j.getSignal(delivery.id))?.state, 'skipped');
      assert.equal(j.stats().batches, 2, 'the three appends, the settle and the failure were one commit');
      await j.close();
    }),
  );

  test(
    'settling hands the next due signal of the key to the next claim: claimed in the same commit, no second one',
    withFile(async (path) => {
      const j = openSqliteJournal({ path });
      await Promise.all([1, 2, 3].map((n) => j.append(makeSignal({ n, key: 'A' }))));
      const [first] = await j.claim(8, T0);
      await j.settle(first!, { state: 'skipped' }, T0 + 1);
      // Visible to another connection as soon as the settle resolved: one transaction.
      const db = new Database(path, { readonly: true });
      assert.deepEqual(db.prepare('SELECT seq, state, attempts, updated_at AS at FROM signals WHERE seq IN (1, 2) ORDER BY seq').all(), [
        { seq: 1, state: 'skipped', attempts: 1, at: T0 + 1 },
        { seq: 2, state: 'processing', attempts: 1, at: T0 + 1 },
      ]);
      db.close();
      const batchesBefore = j.stats().batches;
      const [second] = await j.claim(8, T0 + 2);
      assert.deepEqual([second?.seq, second?.attempt, second?.partitionKey], [2, 1, 'main|A']);
      assert.deepEqual(second?.payload, makeSignal({ n: 2, key: 'A' }).payload);
      assert.equal(j.stats().batches, batchesBefore);
      assert.deepEqual(await j.claim(8, T0 + 2), [], 'the key stays in flight');
      await j.settle(second!, { state: 'skipped' }, T0 + 3);
      assert.deepEqual((await j.claim(8, T0 + 4)).map((d) => d.seq), [3]);
      await j.close();
    }),
  );

  test(
    'a hand-over waits behind a lower seq of another key: claims stay lowest seq first',
    withFile(async (path) => {
      const j = openSqliteJournal({ path });
      await Promise.all([
        j.append(makeSignal({ n: 1, key: 'A' })),
        j.append(makeSignal({ n: 2, key: 'B' })),
        j.append(makeSignal({ n: 3, key: 'A' })),
      ]);
      const [one] = await j.claim(1, T0);
      await j.settle(one!, { state: 'skipped' }, T0);
      const [two] = await j.claim(1, T0);
      assert.equal(two?.seq, 2, 'B before the handed-over A');
      const [three] = await j.claim(1, T0);
      assert.deepEqual([three?.seq, three?.attempt], [3, 1]);
      await j.close();
    }),
  );

  test(
    'a hand-over nobody claimed is put back by close: received, attempts as before, claimed normally next time',
    withFile(async (path) => {
      let j = openSqliteJournal({ path });
      await Promise.all([1, 2].map((n) => j.append(makeSignal({ n, key: 'A' }))));
      const [first] = await j.claim(8, T0);
      await j.settle(first!, { state: 'hedged' }, T0 + 1);
      await j.close();
      assert.deepEqual(
        [count(path, `SELECT COUNT(*) FROM signals WHERE seq = 2 AND state = 'received'`), count(path, `SELECT attempts FROM signals WHERE seq = 2`)],
        [1, 0],
      );
      j = openSqliteJournal({ path });
      const [again] = await j.claim(8, T0 + 2);
      assert.deepEqual([again?.seq, again?.attempt], [2, 1]);
      await j.close();
    }),
  );

  test(
    'no hand-over for a key whose next signal waits for a retry, nor after a retry or a dead letter',
    withFile(async (path) => {
      const j = openSqliteJournal({ path });
      await Promise.all([1, 2].map((n) => j.append(makeSignal({ n, key: 'A' }))));
      await j.append(makeSignal({ n: 3, key: 'B' }));
      const ds = await j.claim(8, T0);
      assert.deepEqual(ds.map((d) => d.seq), [1, 3]);
      await j.retry(ds[0]!, T0 + 1000, retryable, T0);
      await j.deadLetter(ds[1]!, 'gave up', retryable, T0);
      assert.equal(count(path, `SELECT COUNT(*) FROM signals WHERE state = 'processing'`), 0);
      // Signal 1 is A's head again, due at T0 + 1000; 2 waits behind it.
      assert.deepEqual(await j.claim(8, T0 + 1), []);
      const [retried] = await j.claim(8, T0 + 1000);
      assert.deepEqual([retried?.seq, retried?.attempt], [1, 2]);
      await j.close();
    }),
  );

  test(
    'schema 004 on a journal written by schema 003: rows kept, CHECKs still refuse unknown values, without a temporary B-tree',
    withFile(async (path) => {
      const old = new Database(path);
      old.pragma('journal_mode = WAL');
      migrate(old, MIGRATIONS.slice(0, 3), silentLogger);
      const sig = makeSignal(1);
      old
        .prepare(
          `INSERT INTO signals (id, source, dedup_key, received_at, remote_addr, headers, body, payload, account, symbol, partition_key, state, attempts, updated_at)
           VALUES (?, ?, ?, ?, ?, '{}', ?, ?, ?, ?, ?, 'received', 0, ?)`,
        )
        .run(sig.id, sig.source, sig.dedupKey, sig.receivedAt, sig.remoteAddr, sig.body, JSON.stringify(sig.payload), sig.payload.account, sig.payload.symbol, sig.partitionKey, sig.receivedAt);
      old.prepare(`INSERT INTO queue (seq, partition_key) VALUES (1, ?)`).run(sig.partitionKey);
      old.close();
      const j = openSqliteJournal({ path });
      assert.ok(count(path, 'PRAGMA user_version') >= 4);
      assert.deepEqual(await j.append(sig), { status: 'duplicate', id: sig.id, seq: 1 });
      const [d] = await j.claim(8, T0);
      await j.settle(d!, { state: 'skipped' }, T0);
      assert.equal((await j.getSignal(sig.id))?.state, 'skipped');
      await j.close();
      const db = new Database(path);
      try {
        assert.throws(() => db.prepare(`UPDATE signals SET state = 'lost' WHERE seq = 1`).run(), /CHECK constraint failed/);
        assert.throws(() => db.prepare(`INSERT INTO signal_events (signal_seq, type, at) VALUES (1, 'lost', 0)`).run(), /CHECK constraint failed/);
        db.prepare(`UPDATE signals SET state = 'dead' WHERE seq = 1`).run();
        db.prepare(`INSERT INTO signal_events (signal_seq, type, at) VALUES (1, 'purged', 0)`).run();
        const ephemeral = (sql: string, ...params: unknown[]) =>
          (db.prepare(`EXPLAIN ${sql}`).all(...params) as { opcode: string }[]).filter((op) => op.opcode === 'OpenEphemeral').length;
        assert.equal(ephemeral(`UPDATE signals SET state = ? WHERE seq = 1`, 'hedged'), 0);
        assert.equal(ephemeral(`INSERT INTO signal_events (signal_seq, type, at) VALUES (1, ?, 0)`, 'retry'), 0);
        const indexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'signals' AND sql IS NOT NULL`).pluck().all();
        assert.deepEqual(indexes, [], 'signals_by_state and signals_by_source are gone');
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      } finally {
        db.close();
      }
    }),
  );

  test(
    'a database locked by another process past busy_timeout fails the batch with HH_ERR_JOURNAL_UNAVAILABLE',
    withFile(async (path) => {
      const j = openSqliteJournal({ path, busyTimeoutMs: 20 });
      const other = new Database(path);
      other.exec('BEGIN IMMEDIATE');
      try {
        await assert.rejects(j.append(makeSignal(1)), isUnavailable);
        assert.equal(await j.isWritable(), false);
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      assert.equal((await j.append(makeSignal(1))).status, 'accepted');
      assert.equal(await j.isWritable(), true);
      await j.close();
    }),
  );

  test(
    'everything survives close and reopen; sequence numbers continue',
    withFile(async (path) => {
      let j = openSqliteJournal({ path });
      await Promise.all([1, 2, 3].map((n) => j.append(makeSignal({ n, key: `K${n}` }))));
      const ds = await j.claim(8, T0);
      await j.settle(ds[0]!, { state: 'hedged', decision: { ratio: 0.4 } }, T0);
      await j.retry(ds[1]!, T0 + 100, retryable, T0);
      await j.deadLetter(ds[2]!, 'gave up', retryable, T0);
      j.recordRejection({ at: T0, source: 'default', remoteAddr: 'x', status: 401, code: 'HH_ERR_SIGNATURE_INVALID', reason: 'r' });
      await j.close();

      j = openSqliteJournal({ path });
      assert.deepEqual((await j.listSignals()).map((s) => [s.seq, s.state]), [
        [3, 'dead'],
        [2, 'received'],
        [1, 'hedged'],
      ]);
      assert.deepEqual((await j.getSignal(ds[0]!.id))?.outcome, { state: 'hedged', decision: { ratio: 0.4 } });
      assert.equal(await j.depth(), 1);
      assert.equal(await j.nextDueAt(), T0 + 100);
      assert.deepEqual((await j.list()).map((e) => e.seq), [3]);
      assert.equal((await j.listRejections()).length, 1);
      assert.equal((await j.append(makeSignal(4))).seq, 4);
      await j.close();
    }),
  );

  test(
    'crash recovery: a signal left processing is claimed again by a fresh instance, and settles with exactly one processed event',
    withFile(async (path) => {
      const crashed = openSqliteJournal({ path });
      await Promise.all([crashed.append(makeSignal({ n: 1, key: 'A' })), crashed.append(makeSignal({ n: 2, key: 'A' }))]);
      const [lost] = await crashed.claim(8, T0);
      assert.equal(lost?.attempt, 1);
      // "Crash": the first instance is abandoned mid-processing; a new one opens the file.
      const restarted = openSqliteJournal({ path });
      const [again] = await restarted.claim(8, T0 + 1);
      assert.equal(again?.seq, lost!.seq);
      assert.equal(again?.attempt, 2, 'the crashed attempt counts');
      await restarted.settle(again!, { state: 'skipped' }, T0 + 2);
      // The zombie finishing late changes nothing.
      await crashed.settle(lost!, { state: 'hedged' }, T0 + 3);
      assert.equal((await restarted.getSignal(lost!.id))?.state, 'skipped');
      assert.equal(count(path, `SELECT COUNT(*) FROM signal_events WHERE type = 'processed' AND signal_seq = ?`, lost!.seq), 1);
      assert.deepEqual((await restarted.claim(8, T0 + 4)).map((d) => d.seq), [2]);
      await crashed.close();
      await restarted.close();
    }),
  );

  test(
    'crash recovery after SIGKILL of a real process: claimed signals come back, each settles once',
    withFile(async (path) => {
      const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
      const { stdout, signal } = await new Promise<{ stdout: string; signal: NodeJS.Signals | null }>((resolve) => {
        const p = execFile(process.execPath, ['--import', 'tsx', child, path], (_err, out) => resolve({ stdout: out, signal: p.signalCode }));
      });
      assert.equal(signal, 'SIGKILL');
      assert.deepEqual(JSON.parse(stdout.trim()), [1, 3]);
      assert.equal(count(path, `SELECT COUNT(*) FROM signals WHERE state = 'processing'`), 2);

      const j = openSqliteJournal({ path });
      const settled: [number, number][] = [];
      for (;;) {
        const ds = await j.claim(8, Date.now());
        if (ds.length === 0) break;
        for (const d of ds) {
          settled.push([d.seq, d.attempt]);
          await j.settle(d, { state: 'skipped' }, Date.now());
        }
      }
      assert.deepEqual(settled.sort((a, b) => a[0] - b[0]), [
        [1, 2],
        [2, 1],
        [3, 2],
      ]);
      assert.equal(count(path, `SELECT COUNT(*) FROM signal_events WHERE type = 'processed'`), 3);
      assert.equal(count(path, `SELECT COUNT(DISTINCT signal_seq) FROM signal_events WHERE type = 'processed'`), 3);
      await j.close();
    }),
  );

  test(
    'another instance on the same file (the dlq CLI) can replay while this one runs; this one then claims the work',
    withFile(async (path) => {
      const service = openSqliteJournal({ path });
      await service.append(makeSignal(1));
      const [d] = await service.claim(1, T0);
      await service.deadLetter(d!, 'dead', retryable, T0);
      const cli = openSqliteJournal({ path });
      assert.deepEqual((await cli.list()).map((e) => e.signalId), [d!.id]);
      assert.deepEqual((await cli.replay('all', T0 + 1)).replayed, [d!.id]);
      await cli.close();
      assert.equal(await service.size(), 0);
      const [again] = await service.claim(1, T0 + 2);
      assert.equal(again?.id, d!.id);
      assert.equal(again?.attempt, 1);
    }),
  );

  test(
    'queue heads: read once while one key drains by hand-overs, read again after an append, a release from flight or another connection’s commit',
    withTwoInstances(async (j, other) => {
      for (const n of [1, 2, 3]) await j.append(makeSignal(n));
      const reads = () => j.headReadStats();
      const [d1] = await j.claim(1, T0);
      assert.equal(d1?.seq, 1);
      assert.deepEqual(reads(), { read: 1, reused: 0 });
      assert.equal(await j.nextDueAt(), undefined, 'the only key is in flight');
      assert.deepEqual(reads(), { read: 1, reused: 1 });

      // Settling hands signal 2 over: its key never leaves flight, nothing to read.
      await j.settle(d1!, { state: 'skipped', reason: 'r' }, T0);
      const [d2] = await j.claim(1, T0);
      assert.equal(d2?.seq, 2);
      assert.equal(await j.nextDueAt(), undefined);
      assert.deepEqual(reads(), { read: 1, reused: 3 });

      // Another connection (the dlq CLI, another process) appends a key this one has not seen.
      await other.append(makeSignal({ n: 4, key: 'BTC/USDT:USDT' }));
      const [d4] = await j.claim(1, T0);
      assert.equal(d4?.seq, 4, "the other connection's signal is claimed");
      assert.deepEqual(reads(), { read: 2, reused: 3 });

      // A retry takes signal 4's key out of flight, due later: the timer must see it.
      await j.retry(d4!, T0 + 5_000, retryable, T0);
      assert.equal(await j.nextDueAt(), T0 + 5_000);
      assert.deepEqual(reads(), { read: 3, reused: 3 });

      // An append of this journal's own, to a new key.
      await j.append(makeSignal({ n: 5, key: 'ETH/USDT:USDT' }));
      const [d5] = await j.claim(1, T0);
      assert.equal(d5?.seq, 5);
      assert.deepEqual(reads(), { read: 4, reused: 3 });

      // Draining the first key to its end: the last settle hands nothing over, the key
      // leaves flight with its queue empty, and signal 4 falls due at its time.
      await j.settle(d2!, { state: 'skipped', reason: 'r' }, T0);
      const [d3] = await j.claim(1, T0);
      assert.equal(d3?.seq, 3);
      await j.settle(d3!, { state: 'skipped', reason: 'r' }, T0);
      assert.deepEqual((await j.claim(2, T0 + 5_000)).map((d) => d.seq), [4]);
      assert.deepEqual(reads(), { read: 5, reused: 4 }, 'the key that left flight was read again, not taken from the cache');
    }),
  );

  test(
    'queue heads: after any mix of appends, claims, settles, retries, dead letters, replays and another connection’s appends, the heads claims see are the file’s',
    withTwoInstances(async (j, other) => {
      type Head = { seq: number; partitionKey: string; notBefore: number };
      const internals = j as unknown as { db: Database.Database; queueHeads(): Head[]; inFlight: { has(key: string): boolean } };
      // What the file holds now, past the journal's reuse. SQLite takes the bare column
      // not_before from the row that has the MIN(seq).
      const heads = internals.db.prepare('SELECT partition_key AS partitionKey, MIN(seq) AS seq, not_before AS notBefore FROM queue GROUP BY partition_key');
      const seen = (rows: Head[]) =>
        rows.filter((h) => !internals.inFlight.has(h.partitionKey)).map((h) => `${h.partitionKey}:${h.seq}@${h.notBefore}`).sort();
      const random = seededRandom(7);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      const keys = ['BTC/USDT:USDT', 'ETH/USDT:USDT', 'TRX/USDT:USDT'];
      const held: Delivery[] = [];
      let now = T0;
      let n = 0;
      for (let step = 0; step < 600; step++) {
        const op = random();
        if (op < 0.25) await j.append(makeSignal({ n: ++n, key: pick(keys) }));
        // Often a key of its own, whose queue this journal empties: a head it has not seen.
        else if (op < 0.32) await other.append(makeSignal({ n: ++n, key: pick([...keys, 'SOL/USDT:USDT', 'SOL/USDT:USDT']) }));
        else if (op < 0.52) held.push(...(await j.claim(1 + Math.floor(random() * 3), now)));
        else if (held.length > 0 && op < 0.8) {
          const d = held.splice(Math.floor(random() * held.length), 1)[0]!;
          const what = random();
          if (what < 0.7) await j.settle(d, { state: 'skipped', reason: 'fuzz' }, now);
          else if (what < 0.9) await j.retry(d, now + Math.floor(random() * 3_000), retryable, now);
          else await j.deadLetter(d, 'fuzz', retryable, now);
        } else if (op < 0.85) await j.replay('all', now);
        else now += Math.floor(random() * 2_000);
        assert.deepEqual(seen(internals.queueHeads()), seen(heads.all() as Head[]), `step ${step}`);
      }
      const stats = j.headReadStats();
      assert.ok(stats.reused > 0 && stats.read > 0, JSON.stringify(stats));
    }),
  );

  test(
    'schema: created at the latest version with its history; a newer file is refused with a clear message',
    withFile(async (path) => {
      const j = openSqliteJournal({ path });
      await j.close();
      const db = new Database(path);
      assert.equal(db.pragma('user_version', { simple: true }), latestVersion(MIGRATIONS));
      assert.deepEqual(db.prepare('SELECT version, name FROM schema_version ORDER BY version').all(), MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      db.pragma('user_version = 99');
      db.close();
      assert.throws(
        () => openSqliteJournal({ path }),
        (err: unknown) => isUnavailable(err) && /schema version 99.*upgrade hedgehook/.test((err as Error).message) && (err as HedgehookError).retryable === false,
      );
    }),
  );

  test(
    'reopening migrates nothing twice; two instances can open one file at once',
    withFile(async (path) => {
      const a = openSqliteJournal({ path });
      const b = openSqliteJournal({ path });
      await a.append(makeSignal(1));
      assert.equal((await b.getSignal(makeSignal(1).id))?.seq, 1);
      await a.close();
      await b.close();
      assert.equal(count(path, 'SELECT COUNT(*) FROM schema_version'), MIGRATIONS.length);
    }),
  );

  test(
    'a signal settled before outcomes moved into the processed event still shows the outcome kept in its row',
    withFile(async (path) => {
      let j = openSqliteJournal({ path });
      await j.append(makeSignal(1));
      const [d] = await j.claim(1, T0);
      await j.settle(d!, { state: 'skipped', reason: 'new' }, T0);
      await j.close();
      // What settle wrote until 2026-11-25: the outcome in the row, the event without it.
      const db = new Database(path);
      db.prepare(`UPDATE signals SET outcome = '{"state":"hedged","reason":"kept in the row"}', state = 'hedged'`).run();
      db.prepare(`UPDATE signal_events SET detail = '{"state":"hedged","attempt":1}' WHERE type = 'processed'`).run();
      db.close();
      j = openSqliteJournal({ path });
      try {
        assert.deepEqual((await j.getSignal(d!.id))?.outcome, { state: 'hedged', reason: 'kept in the row' });
        assert.deepEqual((await j.listSignals({ state: 'hedged' }))[0]?.outcome, { state: 'hedged', reason: 'kept in the row' });
      } finally {
        await j.close();
      }
      assert.equal(count(path, 'SELECT COUNT(*) FROM signals WHERE outcome IS NOT NULL'), 1, 'nothing rewrote the row');
    }),
  );

  test(
    'every commit runs at its fsync level from the first on: acks at `synchronous`, worker-only batches at `processingSynchronous`',
    withFile(async (path) => {
      // What SQLite will do at the next COMMIT on the journal's own connection: 2 fsyncs the WAL, 1 does not.
      const levelOf = (j: SqliteJournal) => (j as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true });
      const FULL = 2;
      const NORMAL = 1;
      let j = openSqliteJournal({ path });
      try {
        await j.append(makeSignal(1));
        assert.equal(levelOf(j), FULL, 'the first append');
        const [d1] = await j.claim(1, T0);
        assert.equal(levelOf(j), NORMAL, 'a claim alone');
        await j.append(makeSignal(2));
        assert.equal(levelOf(j), FULL, 'an append after a claim');
        await j.settle(d1!, { state: 'skipped', reason: 'test' }, T0);
        assert.equal(levelOf(j), NORMAL, 'a settle alone');
        // An append in the same batch as the worker's write makes the whole batch durable.
        const [, d2] = await Promise.all([j.append(makeSignal(3)), j.claim(1, T0)]);
        assert.ok(d2);
        assert.equal(levelOf(j), FULL, 'an append batched with a claim');
        await j.close();
        j = openSqliteJournal({ path, synchronous: 'normal' });
        await j.append(makeSignal(4));
        assert.equal(levelOf(j), NORMAL, 'synchronous: normal');
        await j.close();
        j = openSqliteJournal({ path, processingSynchronous: 'full' });
        await j.claim(1, T0);
        assert.equal(levelOf(j), FULL, 'processingSynchronous: full');
        await j.append(makeSignal(5));
        assert.equal(levelOf(j), FULL);
      } finally {
        await j.close();
      }
    }),
  );

  test(
    'a journal that cannot be opened fails with HH_ERR_JOURNAL_UNAVAILABLE naming the path',
    withFile(async (_path, dir) => {
      const missing = join(dir, 'no', 'such', 'dir', 'journal.db');
      assert.throws(() => openSqliteJournal({ path: missing }), (err: unknown) => isUnavailable(err) && (err as Error).message.includes(missing));
      assert.equal(existsSync(missing), false);
      const configInvalid = (err: unknown) => err instanceof HedgehookError && err.code === 'HH_ERR_CONFIG_INVALID';
      assert.throws(() => openSqliteJournal({ path: join(dir, 'x.db'), synchronous: 'sometimes' as never }), configInvalid);
      assert.throws(() => openSqliteJournal({ path: join(dir, 'x.db'), processingSynchronous: 'never' as never }), configInvalid);
      assert.equal(existsSync(join(dir, 'x.db')), false, 'a bad option is refused before the file is created');
    }),
  );

  test(
    'on a failing disk the journal reports not writable and refuses appends, and still serves reads',
    withFile(async (path) => {
      const j = openSqliteJournal({ path });
      await j.append(makeSignal(1));
      await j.close();
      const ro = new SqliteJournal({ path });
      const heal = breakSqlite(path);
      assert.equal(await ro.isWritable(), false);
      await assert.rejects(ro.append(makeSignal(2)), isUnavailable);
      assert.equal((await ro.getSignal(makeSignal(1).id))?.seq, 1, 'reads still work');
      heal();
      await ro.close();
    }),
  );

  test(
    'rejections are pruned to maxRejections, oldest first',
    withFile(async (path) => {
      const j = openSqliteJournal({ path, maxRejections: 100 });
      for (let i = 0; i < 1500; i++) j.recordRejection({ at: i, source: 's', remoteAddr: 'x', status: 401, code: 'HH_ERR_SIGNATURE_INVALID', reason: `r${i}` });
      await nextTurn();
      await nextTurn();
      assert.equal(count(path, 'SELECT COUNT(*) FROM rejections'), 100);
      assert.equal((await j.listRejections(1))[0]!.reason, 'r1499');
      assert.equal(j.stats().rejectionsRecorded, 1500);
      await j.close();
    }),
  );

  test(
    'close on a journal whose pending batch fails still closes, rejecting that batch',
    withFile(async (path) => {
      const j = openSqliteJournal({ path });
      const heal = breakSqlite(path);
      const pending = j.append(makeSignal(1));
      await j.close();
      heal();
      await assert.rejects(pending, isUnavailable);
      await assert.rejects(j.getSignal('x'), isUnavailable);
    }),
  );

  test(
    'a filtered listing walks the whole journal in slices, the event loop free between them, and finds what one read would',
    withFile(async (path) => {
      const j = openSqliteJournal({ path });
      try {
        // 10,000 signals, 10 of them from "tv" spread over the journal: three slices' worth.
        const tvAt = new Set([3, 1200, 2500, 4100, 5000, 6150, 8190, 8191, 9000, 9999]);
        for (let first = 1; first <= 10_000; first += 1000) {
          await Promise.all(Array.from({ length: 1000 }, (_, k) => j.append(makeSignal({ n: first + k, source: tvAt.has(first + k) ? 'tv' : 'default' }))));
        }
        const newestFirst = [...tvAt].sort((a, b) => b - a);
        const { result: all, turns } = await turnsDuring(() => j.listSignals({ source: 'tv', limit: 50 }));
        assert.deepEqual(all.map((s) => s.seq), newestFirst);
        assert.ok(turns >= 2, `turns of the event loop during the walk: ${turns}`);
        assert.deepEqual(all.map((s) => s.source), newestFirst.map(() => 'tv'));
        assert.deepEqual((await j.listSignals({ source: 'tv', limit: 3 })).map((s) => s.seq), [9999, 9000, 8191]);
        assert.deepEqual((await j.listSignals({ source: 'tv', limit: 3, beforeSeq: 8191 })).map((s) => s.seq), [8190, 6150, 5000]);
        assert.deepEqual((await j.listSignals({ source: 'tv', beforeSeq: 3 })).map((s) => s.seq), []);
        assert.deepEqual((await j.listSignals({ state: 'received', source: 'tv', limit: 2, outcome: false })).map((s) => [s.seq, s.outcome]), [[9999, undefined], [9000, undefined]]);
        assert.deepEqual(await j.listSignals({ source: 'nobody' }), []);
      } finally {
        await j.close();
      }
    }),
  );

  test(
    'the facts of 1,000 signals are read 100 at a time, the event loop free between reads, and match the listing',
    withFile(async (path) => {
      const j = openSqliteJournal({ path });
      try {
        for (let first = 1; first <= 1050; first += 350) {
          await Promise.all(Array.from({ length: 350 }, (_, k) => j.append(makeSignal({ n: first + k, key: `K${(first + k) % 7}/USDT:USDT` }))));
        }
        const { result: facts, turns } = await turnsDuring(() => j.listSignalFacts({ limit: 1000 }));
        assert.ok(turns >= 9, `turns of the event loop during the read: ${turns}`);
        const listed = await j.listSignals({ limit: 1000, outcome: false });
        assert.deepEqual(facts.map((f) => [f.seq, f.id, f.state]), listed.map((v) => [v.seq, v.id, v.state]));
        assert.deepEqual((await j.listSignalFacts({ limit: 250, beforeSeq: 200 })).map((f) => f.seq), Array.from({ length: 199 }, (_, k) => 199 - k));
      } finally {
        await j.close();
      }
    }),
  );
});
