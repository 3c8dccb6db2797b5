import type { Database } from 'better-sqlite3';
import type { Migration } from '../migrate.ts';

/**
 * Fewer pages and less work per webhook and per settled signal (measured with
 * bench/journal-batches.ts; see docs/performance.md):
 *
 * - `signals_by_state` and `signals_by_source` go. Each signal changes state three
 *   times (received → processing → final), and every change moved its entry in
 *   `signals_by_state`: two more B-tree pages written per commit. They served only the
 *   API's `state=` / `source=` filters, which now walk `signals` newest first and stop
 *   at `limit` matches.
 * - The CHECK constraints on `signals.state` and `signal_events.type` say the same thing
 *   as OR chains instead of `IN (…)`: SQLite evaluates an IN list of more than two values
 *   by building a temporary B-tree, on every insert and every state change (about half
 *   the cost of inserting an event). The allowed values do not change.
 *
 * The CHECK rewrite edits the stored schema text, the procedure SQLite documents for
 * changes that leave the stored rows valid ("Making Other Kinds Of Table Schema Changes",
 * https://www.sqlite.org/lang_altertable.html#otheralter): one transaction (migrate runs
 * under BEGIN IMMEDIATE), writable_schema, schema_version + 1, quick check. Every
 * existing row satisfies the new constraint because it is the same constraint.
 */
const STATES = ['received', 'processing', 'hedged', 'skipped', 'rejected', 'dead'];
const EVENT_TYPES = ['received', 'processed', 'retry', 'dead', 'replayed', 'purged'];

const inList = (column: string, values: string[]) => `${column} IN (${values.map((v) => `'${v}'`).join(', ')})`;
const orChain = (column: string, values: string[]) => values.map((v) => `${column} = '${v}'`).join(' OR ');

/** [table, the CHECK text as 001 wrote it, its replacement] */
const CHECKS: [string, string, string][] = [
  ['signals', inList('state', STATES), orChain('state', STATES)],
  ['signal_events', inList('type', EVENT_TYPES), orChain('type', EVENT_TYPES)],
];

function up(db: Database): void {
  db.exec('DROP INDEX IF EXISTS signals_by_state; DROP INDEX IF EXISTS signals_by_source;');
  const read = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").pluck();
  const version = Number(db.pragma('schema_version', { simple: true }));
  // better-sqlite3 opens connections in SQLite's defensive mode, which forbids writing
  // sqlite_master even with writable_schema; lifted for these two statements only.
  db.unsafeMode(true);
  try {
    db.pragma('writable_schema = ON');
    const rewrite = db.prepare("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?");
    for (const [table, from, to] of CHECKS) {
      const sql = read.get(table) as string;
      // A schema that is not 001's text (edited by hand) keeps its IN list: still correct, only slower.
      if (sql.includes(from)) rewrite.run(sql.replace(from, to), table);
    }
    db.pragma(`schema_version = ${version + 1}`);
  } finally {
    db.pragma('writable_schema = OFF');
    db.unsafeMode(false);
  }
  const check = db.pragma('quick_check', { simple: true });
  if (check !== 'ok') throw new Error(`journal integrity check failed after migration 004: ${String(check)}`);
}

export const migration: Migration = { version: 4, name: 'lean writes', up };
