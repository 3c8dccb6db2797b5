/**
 * Scheduled runs in PostgreSQL (`scheduled_runs`, migration 005): a claim is one upsert,
 * so of the processes whose timers fire together, one runs the weekly refit.
 */
import { RELEASED_AT, type ScheduledRun, type ScheduledRuns } from '../../core/scheduled-runs.ts';
import { SCHEDULED_RUN_COLUMNS, scheduledRunOf, type ScheduledRunRow } from '../scheduled-run-row.ts';
import type { PostgresDatabase } from './database.ts';

export class PostgresScheduledRuns implements ScheduledRuns {
  constructor(private readonly db: PostgresDatabase) {}

  async claim(job: string, slot: number, holder: string, now: number, staleMs: number): Promise<boolean> {
    const rows = await this.db.query(
      'cannot claim a scheduled run',
      `INSERT INTO scheduled_runs (job, slot, holder, claimed_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (job, slot) DO UPDATE SET holder = excluded.holder, claimed_at = excluded.claimed_at
       WHERE scheduled_runs.finished_at IS NULL AND scheduled_runs.claimed_at < $5
       RETURNING job`,
      [job, slot, holder, now, now - staleMs],
    );
    return rows.length === 1;
  }

  async finish(job: string, slot: number, holder: string, now: number, outcome: string): Promise<void> {
    await this.db.query(
      'cannot record a scheduled run',
      'UPDATE scheduled_runs SET finished_at = $1, outcome = $2 WHERE job = $3 AND slot = $4 AND holder = $5 AND finished_at IS NULL',
      [now, outcome, job, slot, holder],
    );
  }

  async release(job: string, slot: number, holder: string): Promise<void> {
    await this.db.query(
      'cannot release a scheduled run',
      `UPDATE scheduled_runs SET claimed_at = ${RELEASED_AT} WHERE job = $1 AND slot = $2 AND holder = $3 AND finished_at IS NULL`,
      [job, slot, holder],
    );
  }

  async get(job: string, slot: number): Promise<ScheduledRun | undefined> {
    const rows = await this.db.query<ScheduledRunRow>('cannot read a scheduled run', `SELECT ${SCHEDULED_RUN_COLUMNS} FROM scheduled_runs WHERE job = $1 AND slot = $2`, [job, slot]);
    return rows[0] ? scheduledRunOf(rows[0]) : undefined;
  }
}
