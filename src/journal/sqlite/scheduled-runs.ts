/**
 * Scheduled runs in the journal's SQLite file (`scheduled_runs`, migration 008), on the
 * state connection: a claim is one upsert, so of two processes on the file one wins.
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import { RELEASED_AT, type ScheduledRun, type ScheduledRuns } from '../../core/scheduled-runs.ts';
import { SCHEDULED_RUN_COLUMNS, scheduledRunOf, type ScheduledRunRow } from '../scheduled-run-row.ts';
import { guarded } from './connection.ts';

export class SqliteScheduledRuns implements ScheduledRuns {
  private readonly s: { claim: Statement; finish: Statement; release: Statement; get: Statement };

  /** `db`: the state connection, migrated. */
  constructor(db: Db) {
    this.s = {
      claim: db.prepare(
        `INSERT INTO scheduled_runs (job, slot, holder, claimed_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (job, slot) DO UPDATE SET holder = excluded.holder, claimed_at = excluded.claimed_at
         WHERE scheduled_runs.finished_at IS NULL AND scheduled_runs.claimed_at < ?`,
      ),
      finish: db.prepare('UPDATE scheduled_runs SET finished_at = ?, outcome = ? WHERE job = ? AND slot = ? AND holder = ? AND finished_at IS NULL'),
      release: db.prepare(`UPDATE scheduled_runs SET claimed_at = ${RELEASED_AT} WHERE job = ? AND slot = ? AND holder = ? AND finished_at IS NULL`),
      get: db.prepare(`SELECT ${SCHEDULED_RUN_COLUMNS} FROM scheduled_runs WHERE job = ? AND slot = ?`),
    };
  }

  async claim(job: string, slot: number, holder: string, now: number, staleMs: number): Promise<boolean> {
    return guarded('cannot claim a scheduled run', () => this.s.claim.run(job, slot, holder, now, now - staleMs).changes === 1);
  }

  async finish(job: string, slot: number, holder: string, now: number, outcome: string): Promise<void> {
    guarded('cannot record a scheduled run', () => this.s.finish.run(now, outcome, job, slot, holder));
  }

  async release(job: string, slot: number, holder: string): Promise<void> {
    guarded('cannot release a scheduled run', () => this.s.release.run(job, slot, holder));
  }

  async get(job: string, slot: number): Promise<ScheduledRun | undefined> {
    const row = guarded('cannot read a scheduled run', () => this.s.get.get(job, slot) as ScheduledRunRow | undefined);
    return row ? scheduledRunOf(row) : undefined;
  }
}
