import type { Database } from 'better-sqlite3';
import { HedgehookError } from '../../../core/errors.ts';
import type { Migration } from '../migrate.ts';

/**
 * `signals` loses its `UNIQUE (source, dedup_key)` constraint, and with it the second
 * B-tree every append wrote into. Both unique indexes had random keys, so each append
 * dirtied one 4 KiB page per index that the commit writes to the WAL. The signal id is
 * sha256(source, dedup key) (src/ingest/signal-id.ts), so `id`'s own UNIQUE index already
 * identifies a delivery, and the journal de-duplicates by id. Measured in process with
 * `bench/journal-batches.ts --count 20000 --batch 32 --prefill 50000`, CPU per append:
 * 38.2 → 25 µs with synchronous FULL, 33.1 → 20.3 µs with NORMAL.
 *
 * A table constraint's autoindex cannot be dropped, only the table rebuilt (SQLite's
 * procedure, https://www.sqlite.org/lang_altertable.html#otheralter): create the new
 * table, copy, drop the old one, rename the new one, recreate the indexes and triggers
 * the drop took along. migrate() runs it with foreign keys off and checks them before
 * the commit (`rebuildsTables`): queue, signal_events and dead_letters reference
 * signals(seq), and their rows keep pointing at the same seqs.
 *
 * The new table is the stored CREATE TABLE text minus that one constraint, so whatever
 * else it says stays as it is, including the CHECK on state in whichever form this file
 * has (004's OR chain, or a hand-edited schema's IN list). A text without exactly one
 * such constraint stops the migration rather than guess.
 *
 * Every row and its id index entry are written again, once: on a large journal the first
 * start-up of this version takes a while, holding the write lock (another process opening
 * the file meanwhile waits up to its busy timeout). Nothing is logged beyond migrate()'s
 * line.
 */
const DEDUP_CONSTRAINT = /,\s*UNIQUE\s*\(\s*source\s*,\s*dedup_key\s*\)/gi;
const CREATE_SIGNALS = /^CREATE\s+TABLE\s+(?:signals|"signals")\s*\(/i;

function refuse(detail: string): never {
  throw new HedgehookError('HH_ERR_JOURNAL_UNAVAILABLE', `journal migration 005: ${detail}; the journal is unchanged`, { retryable: false });
}

function up(db: Database): void {
  const sql = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'signals'").pluck().get() as string | undefined;
  if (sql === undefined) refuse('the table signals is missing');
  const found = sql.match(DEDUP_CONSTRAINT)?.length ?? 0;
  if (found !== 1) refuse(`expected one "UNIQUE (source, dedup_key)" in the stored schema of signals, found ${found}`);
  if (!CREATE_SIGNALS.test(sql)) refuse('the stored schema of signals does not start with "CREATE TABLE signals ("');
  const create = sql.replace(DEDUP_CONSTRAINT, '').replace(CREATE_SIGNALS, 'CREATE TABLE signals_new (');

  const columns = (db.pragma('table_info(signals)') as { name: string }[]).map((c) => `"${c.name.replaceAll('"', '""')}"`).join(', ');
  // Autoindexes (sql NULL) come back with the constraints of the CREATE text.
  const dependents = db
    .prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'signals' AND type IN ('index', 'trigger') AND sql IS NOT NULL")
    .pluck()
    .all() as string[];
  // DROP TABLE deletes the AUTOINCREMENT high-water mark and the copy sets it to MAX(seq),
  // which is lower if the last seqs were deleted: a seq must never be handed out twice.
  const sequence = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'signals'").pluck().get() as number | undefined;

  db.exec(create);
  db.exec(`INSERT INTO signals_new (${columns}) SELECT ${columns} FROM signals`);
  db.exec('DROP TABLE signals');
  db.exec('ALTER TABLE signals_new RENAME TO signals');
  for (const statement of dependents) db.exec(statement);
  db.prepare("DELETE FROM sqlite_sequence WHERE name = 'signals'").run();
  if (sequence !== undefined) db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('signals', ?)").run(sequence);

  const check = db.pragma('integrity_check', { simple: true });
  if (check !== 'ok') refuse(`integrity check failed after the rebuild: ${String(check)}`);
}

export const migration: Migration = { version: 5, name: 'one unique index on signals', up, rebuildsTables: true };
