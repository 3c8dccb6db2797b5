/** A `scheduled_runs` row as both SQL stores read it (migration 008 in SQLite, 005 in PostgreSQL). */
import type { ScheduledRun } from '../core/scheduled-runs.ts';

export interface ScheduledRunRow {
  job: string;
  slot: number;
  holder: string;
  claimed_at: number;
  finished_at: number | null;
  outcome: string | null;
}

export const SCHEDULED_RUN_COLUMNS = 'job, slot, holder, claimed_at, finished_at, outcome';

export function scheduledRunOf(row: ScheduledRunRow): ScheduledRun {
  const run: ScheduledRun = { job: row.job, slot: Number(row.slot), holder: row.holder, claimedAt: Number(row.claimed_at) };
  if (row.finished_at !== null) run.finishedAt = Number(row.finished_at);
  if (row.outcome !== null) run.outcome = row.outcome;
  return run;
}
