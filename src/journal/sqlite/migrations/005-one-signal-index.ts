import type { Database } from 'better-sqlite3';
import type { Migration } from '../migrate.ts';
import { rebuildTable } from './rebuild.ts';

/**
 * `signals` loses its `UNIQUE (source, dedup_key)` constraint, and with it the second
 * B-tree every append wrote into. Both unique indexes had random keys, so each append
 * dirtied one 4 KiB page per index that the commit writes to the WAL. The signal id is
 * sha256(source, dedup key) (src/ingest/signal-id.ts), so `id`'s own UNIQUE index already
 * identifies a delivery, and the journal de-duplicates by id. Measured in process with
 * `bench/journal-batches.ts --count 20000 --batch 32 --prefill 50000`, CPU per append:
 * 38.2 → 25 µs with synchronous FULL, 33.1 → 20.3 µs with NORMAL.
 *
 * A table constraint's autoindex cannot be dropped, only the table rebuilt (rebuild.ts):
 * queue, signal_events and dead_letters reference signals(seq), and their rows keep
 * pointing at the same seqs.
 *
 * The new table is the stored CREATE TABLE text minus that one constraint, so whatever
 * else it says stays as it is, including the CHECK on state in whichever form this file
 * has (004's OR chain, or a hand-edited schema's IN list). A text without exactly one
 * such constraint stops the migration rather than guess.
 *
 * The first start-up of this version holds the write lock while it rewrites every row
 * (another process opening the file meanwhile waits up to its busy timeout).
 */
const DEDUP_CONSTRAINT = /,\s*UNIQUE\s*\(\s*source\s*,\s*dedup_key\s*\)/gi;

function up(db: Database): void {
  rebuildTable(db, { table: 'signals', migration: '005', change: { pattern: DEDUP_CONSTRAINT, replacement: '', what: '"UNIQUE (source, dedup_key)"' } });
}

export const migration: Migration = { version: 5, name: 'one unique index on signals', up, rebuildsTables: true };
