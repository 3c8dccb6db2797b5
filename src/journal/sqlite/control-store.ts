/**
 * The kill switch in the journal's SQLite file (`controls` and `control_events`, migration
 * 002). `hedgehook halt` on the data dir of a running service writes here; the service's
 * decision stage reads the row once per signal (a primary-key lookup on a WITHOUT ROWID
 * table: microseconds), so the halt applies to the next signal it decides. Each halt or
 * resume updates the row and appends its audit event in one transaction.
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import type { ControlStore, KillSwitchEvent, KillSwitchState } from '../../core/controls.ts';
import { guarded, migrateConnection, openStateConnection, type StateConnectionOptions } from './connection.ts';

const KILL_SWITCH = 'kill_switch';

interface ControlRow {
  halted: number;
  reason: string | null;
  by: string | null;
  at: number | null;
}

interface EventRow {
  action: 'halt' | 'resume';
  by: string;
  at: number;
  reason: string | null;
}

function stateOf(row: ControlRow | undefined): KillSwitchState {
  if (!row) return { halted: false };
  const s: KillSwitchState = { halted: row.halted === 1 };
  if (row.reason !== null) s.reason = row.reason;
  if (row.by !== null) s.by = row.by;
  if (row.at !== null) s.at = row.at;
  return s;
}

export class SqliteControlStore implements ControlStore {
  private readonly db: Db;
  private readonly owned: boolean;
  private readonly s: { get: Statement; set: Statement; event: Statement; history: Statement };

  /** `db`: an open connection to the journal file (migrated here if needed), or its path. */
  constructor(db: Db | string, options: StateConnectionOptions = {}) {
    this.owned = typeof db === 'string';
    this.db = typeof db === 'string' ? openStateConnection(db, options) : db;
    try {
      if (!this.owned) migrateConnection(this.db, options);
      this.s = {
        get: this.db.prepare('SELECT halted, reason, by, at FROM controls WHERE name = ?'),
        set: this.db.prepare(
          `INSERT INTO controls (name, halted, reason, by, at) VALUES (@name, @halted, @reason, @by, @at)
           ON CONFLICT (name) DO UPDATE SET halted = excluded.halted, reason = excluded.reason, by = excluded.by, at = excluded.at`,
        ),
        event: this.db.prepare('INSERT INTO control_events (name, action, by, at, reason) VALUES (?, ?, ?, ?, ?)'),
        history: this.db.prepare('SELECT action, by, at, reason FROM control_events WHERE name = ? ORDER BY seq'),
      };
    } catch (err) {
      if (this.owned) this.db.close();
      throw err;
    }
  }

  async killSwitch(): Promise<KillSwitchState> {
    return guarded('cannot read the kill switch', () => stateOf(this.s.get.get(KILL_SWITCH) as ControlRow | undefined));
  }

  async halt(input: { by: string; at: number; reason?: string }): Promise<KillSwitchState> {
    return this.change('halt', input.by, input.at, input.reason ?? null);
  }

  async resume(input: { by: string; at: number }): Promise<KillSwitchState> {
    return this.change('resume', input.by, input.at, null);
  }

  async history(): Promise<KillSwitchEvent[]> {
    const rows = guarded('cannot read the kill-switch history', () => this.s.history.all(KILL_SWITCH) as EventRow[]);
    return rows.map((r) => {
      const e: KillSwitchEvent = { action: r.action, by: r.by, at: r.at };
      if (r.reason !== null) e.reason = r.reason;
      return e;
    });
  }

  /** Closes the connection when this store opened it (from a path). */
  close(): void {
    if (this.owned && this.db.open) this.db.close();
  }

  private change(action: 'halt' | 'resume', by: string, at: number, reason: string | null): KillSwitchState {
    return guarded(`cannot ${action}`, () =>
      this.db
        .transaction(() => {
          this.s.set.run({ name: KILL_SWITCH, halted: action === 'halt' ? 1 : 0, reason, by, at });
          this.s.event.run(KILL_SWITCH, action, by, at, reason);
          return stateOf(this.s.get.get(KILL_SWITCH) as ControlRow | undefined);
        })
        .immediate(),
    );
  }
}
