import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { HedgehookError } from '../../src/core/errors.ts';
import { MIGRATIONS, latestVersion, openSqliteJournal, type Migration, type SqliteJournal } from '../../src/journal/sqlite/index.ts';
import { migrate } from '../../src/journal/sqlite/migrate.ts';
import { silentLogger } from '../../src/journal/types.ts';
import { makeSignal, tempDir } from './fixtures.ts';

const T0 = 1_800_000_000_000;
const V4 = MIGRATIONS.slice(0, 4);
const LATEST = latestVersion(MIGRATIONS);
const DEDUP_CONSTRAINT = ',\n      UNIQUE (source, dedup_key)';

function withFile(fn: (path: string) => Promise<void> | void) {
  return async () => {
    const tmp = tempDir();
    try {
      await fn(join(tmp.dir, 'journal.db'));
    } finally {
      tmp.remove();
    }
  };
}

function open(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  return db;
}

function read<T>(path: string, fn: (db: Db) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/**
 * A journal at schema 4 as the service leaves it: signals hedged, processing, waiting for
 * a retry, dead (with its DLQ entry) and received, their queue rows and audit events, an
 * order leg, a rejection, a model and a halt. Seq 6 was handed out and its row deleted by
 * hand, so the AUTOINCREMENT high-water mark (6) is above MAX(seq) (5).
 */
function buildVersion4(path: string, migrations: readonly Migration[] = V4): void {
  const db = open(path);
  try {
    migrate(db, migrations, silentLogger, () => T0);
    const insertSignal = db.prepare(
      `INSERT INTO signals (seq, id, source, dedup_key, received_at, remote_addr, headers, body, payload, account, symbol, partition_key, state, attempts, last_error, outcome, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const signal = (n: number, state: string, attempts: number, lastError: string | null, outcome: string | null) => {
      const s = makeSignal({ n, account: `acct${n % 2}` });
      insertSignal.run(n, s.id, s.source, s.dedupKey, s.receivedAt, s.remoteAddr, JSON.stringify(s.headers), s.body, JSON.stringify(s.payload), s.payload.account, s.payload.symbol, s.partitionKey, state, attempts, lastError, outcome, s.receivedAt + 10);
      return s;
    };
    const enqueue = db.prepare('INSERT INTO queue (seq, partition_key, not_before) VALUES (?, ?, ?)');
    const event = db.prepare('INSERT INTO signal_events (signal_seq, type, at, detail) VALUES (?, ?, ?, ?)');
    const error = JSON.stringify({ code: 'HH_ERR_PROCESSING_FAILED', message: 'venue timed out', retryable: true });

    const hedged = signal(1, 'hedged', 1, null, JSON.stringify({ state: 'hedged', decision: { ratio: 0.4 } }));
    event.run(1, 'received', T0, null);
    event.run(1, 'processed', T0 + 5, JSON.stringify({ state: 'hedged', attempt: 1 }));
    db.prepare(
      `INSERT INTO order_legs (client_order_id, signal_id, account, leg, venue, purpose, symbol, side, amount, type, reduce_only, status, filled, fee, created_at, updated_at)
       VALUES (?, ?, 'acct1', 1, 'primary', 'hedge', 'TRX/USDT:USDT', 'sell', '100', 'market', 0, 'filled', '100', '0.01', ?, ?)`,
    ).run(`${hedged.id}-1`, hedged.id, T0 + 2, T0 + 4);

    const processing = signal(2, 'processing', 1, null, null);
    enqueue.run(2, processing.partitionKey, 0);
    event.run(2, 'received', T0 + 1, null);

    const retried = signal(3, 'received', 1, error, null);
    enqueue.run(3, retried.partitionKey, T0 + 1000);
    event.run(3, 'received', T0 + 2, null);
    event.run(3, 'retry', T0 + 3, JSON.stringify({ attempt: 1, notBefore: T0 + 1000 }));

    const dead = signal(4, 'dead', 3, error, null);
    const dl = db
      .prepare(`INSERT INTO dead_letters (signal_seq, signal_id, reason, attempts, last_error, dead_at) VALUES (4, ?, 'gave up', 3, ?, ?)`)
      .run(dead.id, error, T0 + 9);
    event.run(4, 'received', T0 + 3, null);
    event.run(4, 'dead', T0 + 9, JSON.stringify({ attempt: 3, reason: 'gave up', deadLetterId: Number(dl.lastInsertRowid) }));

    const received = signal(5, 'received', 0, null, null);
    enqueue.run(5, received.partitionKey, 0);
    event.run(5, 'received', T0 + 4, null);

    signal(6, 'received', 0, null, null);
    db.prepare('DELETE FROM signals WHERE seq = 6').run();

    db.prepare(`INSERT INTO rejections (at, source, remote_addr, status, code, reason) VALUES (?, 'default', '198.51.100.1', 401, 'HH_ERR_SIGNATURE_INVALID', 'signature does not match')`).run(T0);
    db.prepare(`INSERT INTO models (version, kind, body, created_at, created_by) VALUES ('m1', 'linear', '{}', ?, 'test')`).run(T0);
    db.prepare(`INSERT INTO model_activations (version, at, by) VALUES ('m1', ?, 'test')`).run(T0);
    db.prepare(`UPDATE controls SET halted = 1, reason = 'drill', by = 'test', at = ? WHERE name = 'kill_switch'`).run(T0);
    db.prepare(`INSERT INTO control_events (name, action, by, at, reason) VALUES ('kill_switch', 'halt', 'test', ?, 'drill')`).run(T0);
  } finally {
    db.close();
  }
}

/**
 * Every row of every table but schema_version (which gains a row) and sqlite_sequence
 * (006 drops a row of it; see `sequences`), sorted per table.
 */
function snapshot(db: Db): Record<string, string[]> {
  const tables = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('schema_version', 'sqlite_sequence') ORDER BY name`)
    .pluck()
    .all() as string[];
  return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT * FROM "${t}"`).all() as object[]).map((r) => JSON.stringify(r)).sort()]));
}

/** The AUTOINCREMENT high-water marks, by table. */
function sequences(db: Db): Record<string, number> {
  return Object.fromEntries((db.prepare('SELECT name, seq FROM sqlite_sequence ORDER BY name').all() as { name: string; seq: number }[]).map((r) => [r.name, r.seq]));
}

/** Each index of `signals` as its columns and uniqueness. */
function signalIndexes(db: Db): { columns: string[]; unique: boolean }[] {
  const list = db.pragma('index_list(signals)') as { name: string; unique: number }[];
  return list.map((i) => ({ columns: (db.pragma(`index_info("${i.name}")`) as { name: string }[]).map((c) => c.name), unique: i.unique === 1 }));
}

const signalsSql = (db: Db) => db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'signals'`).pluck().get() as string;

/** Rewrites a table's stored CREATE text as a hand-edited schema would have it (same rows, other text). */
function editStoredSchema(db: Db, table: string, sql: string): void {
  db.unsafeMode(true);
  try {
    db.pragma('writable_schema = ON');
    db.prepare(`UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?`).run(sql, table);
    db.pragma(`schema_version = ${Number(db.pragma('schema_version', { simple: true })) + 1}`);
  } finally {
    db.pragma('writable_schema = OFF');
    db.unsafeMode(false);
  }
}

/**
 * Migrating `db` to the latest version is refused with a non-retryable error matching
 * `message`, and leaves it as it was: its version, foreign keys on, every row, no staging table.
 */
function assertRefused(db: Db, opts: { message: RegExp; version: number; table: string }): void {
  const before = snapshot(db);
  assert.throws(() => migrate(db, MIGRATIONS, silentLogger), (err: unknown) => err instanceof HedgehookError && !err.retryable && opts.message.test(err.message));
  assert.equal(db.pragma('user_version', { simple: true }), opts.version);
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.deepEqual(snapshot(db), before);
  assert.equal(db.prepare(`SELECT COUNT(*) FROM sqlite_master WHERE name = ?`).pluck().get(`${opts.table}_new`), 0);
}

describe('sqlite journal migration 005 (no UNIQUE (source, dedup_key))', () => {
  test(
    'a version-4 journal: every row kept, columns and CHECK as stored, only the unique index on id left, foreign keys intact and on again',
    withFile(async (path) => {
      buildVersion4(path);
      const before = read(path, (db) => ({
        rows: snapshot(db),
        columns: db.pragma('table_xinfo(signals)'),
        sql: signalsSql(db),
        indexes: signalIndexes(db),
        history: db.prepare('SELECT * FROM schema_version ORDER BY version').all(),
      }));
      assert.ok(before.sql.includes(DEDUP_CONSTRAINT), 'the fixture has the constraint to drop');
      assert.deepEqual(
        before.indexes.map((i) => i.columns.join(',')).sort(),
        ['id', 'source,dedup_key'],
      );
      assert.equal(before.rows.signals!.length, 5);

      const m = open(path);
      try {
        migrate(m, MIGRATIONS.slice(0, 5), silentLogger);
        // The connection migrate() ran on: foreign keys back on.
        assert.equal(m.pragma('foreign_keys', { simple: true }), 1);
      } finally {
        m.close();
      }
      let j: SqliteJournal | undefined;
      try {
        read(path, (db) => {
          assert.equal(db.pragma('user_version', { simple: true }), 5);
          assert.deepEqual(snapshot(db), before.rows);
          assert.deepEqual(db.pragma('table_xinfo(signals)'), before.columns);
          // The stored text is the old one minus the constraint (the rename quotes the name).
          assert.equal(signalsSql(db).replace(/^CREATE TABLE "signals"/, 'CREATE TABLE signals'), before.sql.replace(DEDUP_CONSTRAINT, ''));
          assert.deepEqual(signalIndexes(db), [{ columns: ['id'], unique: true }]);
          assert.deepEqual(db.pragma('foreign_key_check'), []);
          assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
          assert.deepEqual(db.prepare('SELECT * FROM schema_version ORDER BY version').all().slice(0, 4), before.history);
          assert.deepEqual(db.prepare('SELECT version, name FROM schema_version WHERE version = 5').get(), { version: 5, name: 'one unique index on signals' });
          // Other tables still reference signals(seq), by the name that now means the new table.
          assert.deepEqual(
            (db.pragma('foreign_key_list(queue)') as { table: string; from: string; to: string }[]).map((f) => [f.table, f.from, f.to]),
            [['signals', 'seq', 'seq']],
          );
        });
        // The CHECK on state still refuses what it refused.
        const rw = open(path);
        try {
          assert.throws(() => rw.prepare(`UPDATE signals SET state = 'lost' WHERE seq = 1`).run(), /CHECK constraint failed/);
          assert.throws(() => rw.prepare(`INSERT INTO queue (seq, partition_key) VALUES (99, 'x')`).run(), /FOREIGN KEY constraint failed/);
        } finally {
          rw.close();
        }
        j = openSqliteJournal({ path, checkpointThread: false });
        assert.equal((await j.list()).map((e) => e.signalId).join(), makeSignal(4).id);
        assert.deepEqual((await j.listEvents(makeSignal(3).id)).map((e) => e.type), ['received', 'retry']);
      } finally {
        await j?.close();
      }
    }),
  );

  test(
    'seqs are never handed out twice and a delivery stored before the migration is still a duplicate',
    withFile(async (path) => {
      buildVersion4(path);
      const j = openSqliteJournal({ path, checkpointThread: false });
      try {
        assert.equal(read(path, (db) => db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'signals'`).pluck().get()), 6);
        for (const n of [1, 4, 5]) {
          assert.deepEqual(await j.append(makeSignal({ n, account: `acct${n % 2}` })), { status: 'duplicate', id: makeSignal(n).id, seq: n });
        }
        assert.deepEqual(await j.append(makeSignal(7)), { status: 'accepted', id: makeSignal(7).id, seq: 7 });
        assert.deepEqual(await j.append(makeSignal(7)), { status: 'duplicate', id: makeSignal(7).id, seq: 7 });
      } finally {
        await j.close();
      }
      // Opening again migrates nothing.
      await openSqliteJournal({ path, checkpointThread: false }).close();
      assert.equal(read(path, (db) => db.prepare('SELECT COUNT(*) FROM schema_version WHERE version = 5').pluck().get()), 1);
    }),
  );

  test(
    'a hand-edited schema keeps its CHECK written as an IN list, its own index and its trigger',
    withFile(async (path) => {
      buildVersion4(path);
      const inList = `state IN ('received', 'processing', 'hedged', 'skipped', 'rejected', 'dead')`;
      const extras = [
        'CREATE INDEX signals_by_account ON signals (account, seq)',
        `CREATE TRIGGER signals_no_delete BEFORE DELETE ON signals BEGIN SELECT RAISE(ABORT, 'signals are kept'); END`,
      ];
      const db = open(path);
      for (const statement of extras) db.exec(statement);
      const sql = signalsSql(db);
      const orChain = sql.match(/state = 'received'[^)]*/)![0];
      editStoredSchema(db, 'signals', sql.replace(orChain, inList));
      db.close();

      await openSqliteJournal({ path, checkpointThread: false }).close();
      read(path, (check) => {
        const after = signalsSql(check);
        assert.ok(after.includes(inList), after);
        assert.ok(!after.includes(orChain), after);
        assert.ok(!after.includes('UNIQUE (source, dedup_key)'), after);
        assert.equal(check.pragma('user_version', { simple: true }), LATEST);
        assert.deepEqual(check.prepare(`SELECT sql FROM sqlite_master WHERE tbl_name = 'signals' AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type`).pluck().all(), extras);
      });
      const rw = open(path);
      try {
        assert.throws(() => rw.prepare('DELETE FROM signals WHERE seq = 1').run(), /signals are kept/);
      } finally {
        rw.close();
      }
    }),
  );

  test(
    'a signals table whose stored text lacks the constraint is refused with a clear error and left as it was',
    withFile((path) => {
      // 001 as a hand-edited schema would have it: the same uniqueness, written otherwise.
      const m001 = MIGRATIONS[0]!;
      const edited: Migration = { ...m001, up: (m001.up as string).replace('UNIQUE (source, dedup_key)', 'UNIQUE (dedup_key, source)') };
      buildVersion4(path, [edited, ...V4.slice(1)]);
      const db = open(path);
      try {
        assertRefused(db, { message: /migration 005.*UNIQUE \(source, dedup_key\).*found 0/, version: 4, table: 'signals' });
      } finally {
        db.close();
      }
    }),
  );
});

describe('sqlite journal migration 006 (signal_events without AUTOINCREMENT)', () => {
  const eventsSql = (db: Db) => db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'signal_events'`).pluck().get() as string;

  test(
    'a version-5 journal: every event kept with its seq, no AUTOINCREMENT and no high-water mark, the index back, new events after the last',
    withFile(async (path) => {
      buildVersion4(path);
      const db = open(path);
      migrate(db, MIGRATIONS.slice(0, 5), silentLogger);
      db.close();
      const before = read(path, (r) => ({ rows: snapshot(r), sequences: sequences(r), sql: eventsSql(r) }));
      assert.match(before.sql, /seq\s+INTEGER PRIMARY KEY AUTOINCREMENT/);
      assert.ok(before.sequences.signal_events! > 0, 'the fixture has a high-water mark to drop');

      const m = open(path);
      migrate(m, MIGRATIONS.slice(0, 6), silentLogger);
      m.close();
      let j: SqliteJournal | undefined;
      try {
        read(path, (r) => {
          assert.equal(r.pragma('user_version', { simple: true }), 6);
          assert.deepEqual(snapshot(r), before.rows);
          assert.equal(eventsSql(r).replace(/^CREATE TABLE "signal_events"/, 'CREATE TABLE signal_events'), before.sql.replace(/ AUTOINCREMENT/, ''));
          const { signal_events: dropped, ...others } = before.sequences;
          assert.ok(dropped !== undefined);
          assert.deepEqual(sequences(r), others, 'only the events lose their high-water mark; signals keep theirs');
          assert.deepEqual(r.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'signal_events' AND sql IS NOT NULL`).pluck().all(), ['signal_events_by_signal']);
          assert.deepEqual(
            (r.pragma('foreign_key_list(signal_events)') as { table: string; from: string; to: string }[]).map((f) => [f.table, f.from, f.to]),
            [['signals', 'signal_seq', 'seq']],
          );
          assert.deepEqual(r.pragma('foreign_key_check'), []);
          assert.equal(r.pragma('integrity_check', { simple: true }), 'ok');
        });
        const last = read(path, (r) => r.prepare('SELECT MAX(seq) FROM signal_events').pluck().get() as number);
        j = openSqliteJournal({ path, checkpointThread: false });
        const appended = await j.append(makeSignal(7));
        assert.equal(appended.status, 'accepted');
        assert.deepEqual(
          read(path, (r) => r.prepare('SELECT seq, type FROM signal_events WHERE signal_seq = ?').all(appended.seq)),
          [{ seq: last + 1, type: 'received' }],
        );
        assert.deepEqual((await j.listEvents(makeSignal(3).id)).map((e) => e.type), ['received', 'retry']);
      } finally {
        await j?.close();
      }
    }),
  );

  test(
    'an events table whose stored text lacks AUTOINCREMENT is refused with a clear error and left as it was',
    withFile((path) => {
      const m001 = MIGRATIONS[0]!;
      const edited: Migration = {
        ...m001,
        up: (m001.up as string).replace(/(CREATE TABLE signal_events \(\s*seq\s+INTEGER PRIMARY KEY) AUTOINCREMENT/, '$1'),
      };
      assert.notEqual(edited.up, m001.up, 'the edit applied');
      buildVersion4(path, [edited, ...V4.slice(1)]);
      const db = open(path);
      try {
        migrate(db, MIGRATIONS.slice(0, 5), silentLogger);
        assertRefused(db, { message: /migration 006.*AUTOINCREMENT.*found 0/, version: 5, table: 'signal_events' });
      } finally {
        db.close();
      }
    }),
  );
});

describe('migrate() with a migration that rebuilds tables', () => {
  const parentAndChild: Migration = {
    version: 1,
    name: 'parent and child',
    up: `CREATE TABLE parent (id INTEGER PRIMARY KEY);
         CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id));
         INSERT INTO parent (id) VALUES (1), (2);
         INSERT INTO child (id, parent_id) VALUES (10, 1), (20, 2);`,
  };
  /** Rebuilds `parent`; `keep` says which of its rows the new table gets. */
  const rebuild = (keep: string, seen: number[]): Migration => ({
    version: 2,
    name: 'rebuild parent',
    rebuildsTables: true,
    up: (db) => {
      seen.push(Number(db.pragma('foreign_keys', { simple: true })));
      db.exec(`CREATE TABLE parent_new (id INTEGER PRIMARY KEY);
               INSERT INTO parent_new (id) SELECT id FROM parent WHERE ${keep};
               DROP TABLE parent;
               ALTER TABLE parent_new RENAME TO parent;`);
    },
  });

  test(
    'runs it with foreign keys off, then turns them on again',
    withFile((path) => {
      const db = open(path);
      try {
        migrate(db, [parentAndChild], silentLogger);
        const seen: number[] = [];
        assert.equal(migrate(db, [parentAndChild, rebuild('1', seen)], silentLogger), 2);
        assert.deepEqual(seen, [0]);
        assert.equal(db.pragma('user_version', { simple: true }), 2);
        assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
        assert.deepEqual(db.prepare('SELECT id FROM parent ORDER BY id').pluck().all(), [1, 2]);
      } finally {
        db.close();
      }
    }),
  );

  test(
    'rolls everything back when PRAGMA foreign_key_check reports a row, and turns foreign keys on again',
    withFile((path) => {
      const db = open(path);
      try {
        migrate(db, [parentAndChild], silentLogger);
        const schema = db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all();
        assert.throws(
          () => migrate(db, [parentAndChild, rebuild('id = 1', [])], silentLogger),
          (err: unknown) => err instanceof HedgehookError && !err.retryable && /1 row\(s\) referencing missing rows \(child rowid 20 → parent\)/.test(err.message),
        );
        assert.equal(db.pragma('user_version', { simple: true }), 1);
        assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
        assert.equal(db.inTransaction, false);
        assert.deepEqual(db.prepare('SELECT id FROM parent ORDER BY id').pluck().all(), [1, 2]);
        assert.deepEqual(db.prepare('SELECT version FROM schema_version').pluck().all(), [1]);
        assert.deepEqual(db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all(), schema);
      } finally {
        db.close();
      }
    }),
  );

  test(
    'leaves foreign keys off on a connection that had them off',
    withFile((path) => {
      const db = new Database(path);
      db.pragma('foreign_keys = OFF'); // better-sqlite3 turns them on by default
      try {
        migrate(db, [parentAndChild, rebuild('1', [])], silentLogger);
        assert.equal(db.pragma('foreign_keys', { simple: true }), 0);
      } finally {
        db.close();
      }
    }),
  );
});

describe('sqlite journal migration 007 (the id index apart)', () => {
  test(
    'a version-6 journal: every row kept, no index left on signals, an identity in meta, and its deliveries still duplicates',
    withFile(async (path) => {
      buildVersion4(path);
      const m = open(path);
      migrate(m, MIGRATIONS.slice(0, 6), silentLogger);
      m.close();
      const before = read(path, (db) => ({ rows: snapshot(db), sql: signalsSql(db), sequences: sequences(db) }));
      assert.match(before.sql, /\bid\s+TEXT\s+NOT NULL UNIQUE\b/);

      const j = openSqliteJournal({ path, checkpointThread: false });
      try {
        read(path, (db) => {
          assert.equal(db.pragma('user_version', { simple: true }), LATEST);
          // Later migrations add tables, empty.
          const { meta, scheduled_runs: runs, ...rows } = snapshot(db);
          const { meta: metaBefore, ...rowsBefore } = before.rows;
          assert.deepEqual(rows, rowsBefore);
          assert.deepEqual(runs, []);
          const identity = db.prepare("SELECT value FROM meta WHERE key = 'journal_id'").pluck().get() as string;
          assert.match(identity, /^[0-9a-f]{32}$/);
          assert.deepEqual(meta, [...metaBefore!, JSON.stringify({ key: 'journal_id', value: identity })].sort());
          assert.equal(signalsSql(db).replace(/^CREATE TABLE "signals"/, 'CREATE TABLE signals'), before.sql.replace(/^CREATE TABLE "signals"/, 'CREATE TABLE signals').replace(/(\bid\s+TEXT\s+NOT NULL) UNIQUE/, '$1'));
          assert.deepEqual(signalIndexes(db), []);
          assert.deepEqual(sequences(db), before.sequences, 'signals keep their high-water mark');
          assert.deepEqual(db.pragma('foreign_key_check'), []);
        });
        for (const n of [1, 4, 5]) {
          assert.deepEqual(await j.append(makeSignal({ n, account: `acct${n % 2}` })), { status: 'duplicate', id: makeSignal(n).id, seq: n });
        }
        assert.deepEqual(await j.append(makeSignal(7)), { status: 'accepted', id: makeSignal(7).id, seq: 7 });
        assert.deepEqual((await j.listEvents(makeSignal(3).id)).map((e) => e.type), ['received', 'retry']);
      } finally {
        await j.close();
      }
      // A second open keeps the identity (the index file stays this journal's).
      const identity = () => read(path, (db) => db.prepare("SELECT value FROM meta WHERE key = 'journal_id'").pluck().get());
      const first = identity();
      await openSqliteJournal({ path, checkpointThread: false }).close();
      assert.equal(identity(), first);
    }),
  );

  test(
    'a signals table whose id is not written "id TEXT NOT NULL UNIQUE" is refused with a clear error and left as it was',
    withFile((path) => {
      buildVersion4(path);
      const db = open(path);
      try {
        migrate(db, MIGRATIONS.slice(0, 6), silentLogger);
        // The same uniqueness, written otherwise (as a hand-edited schema might have it).
        editStoredSchema(db, 'signals', signalsSql(db).replace(/(\bid\s+TEXT\s+NOT NULL) UNIQUE/, '$1 COLLATE BINARY UNIQUE'));
        assertRefused(db, { message: /migration 007.*id TEXT NOT NULL UNIQUE.*found 0/, version: 6, table: 'signals' });
      } finally {
        db.close();
      }
    }),
  );
});
