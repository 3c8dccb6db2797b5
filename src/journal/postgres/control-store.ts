/**
 * The kill switch in PostgreSQL: one row, and its audit trail, changed in one transaction.
 * Every process reads it once per decision, so a halt from any process (or the CLI) stops
 * new orders fleet-wide from the next signal on.
 */
import type { ControlStore, KillSwitchEvent, KillSwitchState } from '../../core/controls.ts';
import type { PostgresDatabase } from './database.ts';

const KILL_SWITCH = 'kill_switch';

interface ControlRow {
  halted: boolean;
  reason: string | null;
  by: string | null;
  at: number | null;
}

function stateOf(row: ControlRow | undefined): KillSwitchState {
  if (!row) return { halted: false };
  const s: KillSwitchState = { halted: row.halted };
  if (row.reason !== null) s.reason = row.reason;
  if (row.by !== null) s.by = row.by;
  if (row.at !== null) s.at = row.at;
  return s;
}

export class PostgresControlStore implements ControlStore {
  constructor(private readonly db: PostgresDatabase) {}

  async killSwitch(): Promise<KillSwitchState> {
    const rows = await this.db.query<ControlRow>('cannot read the kill switch', 'SELECT halted, reason, by, at FROM controls WHERE name = $1', [KILL_SWITCH]);
    return stateOf(rows[0]);
  }

  halt(input: { by: string; at: number; reason?: string }): Promise<KillSwitchState> {
    return this.change('halt', input.by, input.at, input.reason ?? null);
  }

  resume(input: { by: string; at: number }): Promise<KillSwitchState> {
    return this.change('resume', input.by, input.at, null);
  }

  async history(): Promise<KillSwitchEvent[]> {
    const rows = await this.db.query<{ action: 'halt' | 'resume'; by: string; at: number; reason: string | null }>(
      'cannot read the kill-switch history',
      'SELECT action, by, at, reason FROM control_events WHERE name = $1 ORDER BY seq',
      [KILL_SWITCH],
    );
    return rows.map((r) => {
      const e: KillSwitchEvent = { action: r.action, by: r.by, at: r.at };
      if (r.reason !== null) e.reason = r.reason;
      return e;
    });
  }

  private change(action: 'halt' | 'resume', by: string, at: number, reason: string | null): Promise<KillSwitchState> {
    return this.db.transaction(`cannot ${action}`, async (c) => {
      const { rows } = await c.query<ControlRow>(
        `INSERT INTO controls (name, halted, reason, by, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET halted = excluded.halted, reason = excluded.reason, by = excluded.by, at = excluded.at
         RETURNING halted, reason, by, at`,
        [KILL_SWITCH, action === 'halt', reason, by, at],
      );
      await c.query('INSERT INTO control_events (name, action, by, at, reason) VALUES ($1, $2, $3, $4, $5)', [KILL_SWITCH, action, by, at, reason]);
      return stateOf(rows[0]);
    });
  }
}
