import type { Database } from 'better-sqlite3';
import type { Migration } from '../migrate.ts';
import { rebuildTable } from './rebuild.ts';

/**
 * `signals.id` loses its UNIQUE index: the id → seq lookup moves to the index of
 * id-index.ts, merged in bulk off the acknowledgement's commit (why, and the numbers, are
 * there). The journal still refuses a second row for an id, by looking it up before every
 * insert, as it has since 005.
 *
 * The journal also gets an identity (`meta.journal_id`, random), which the id index
 * records, so an index left over from another journal is never trusted.
 *
 * The table is rebuilt (rebuild.ts) from its stored CREATE text with that one keyword
 * removed; a text without exactly one `id TEXT NOT NULL UNIQUE` stops the migration
 * rather than guess.
 */
const UNIQUE_ID = /(\bid\s+TEXT\s+NOT\s+NULL)\s+UNIQUE\b/gi;

function up(db: Database): void {
  rebuildTable(db, { table: 'signals', migration: '007', change: { pattern: UNIQUE_ID, replacement: '$1', what: '"id TEXT NOT NULL UNIQUE"' } });
  db.exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('journal_id', lower(hex(randomblob(16))))");
}

export const migration: Migration = { version: 7, name: 'signal id index apart', up, rebuildsTables: true };
