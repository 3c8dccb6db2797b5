import type { Migration } from '../migrate.ts';

/**
 * `scheduled_runs`: one row per occurrence of a scheduled job (the weekly refit), claimed
 * by the process that runs it and finished when it ended (src/core/scheduled-runs.ts).
 * Several processes on one file (or a restart) then run an occurrence once. A released
 * claim has `claimed_at` 0.
 */
export const migration: Migration = {
  version: 8,
  name: 'scheduled runs',
  up: `
    CREATE TABLE scheduled_runs (
      job         TEXT    NOT NULL,
      slot        INTEGER NOT NULL,
      holder      TEXT    NOT NULL,
      claimed_at  INTEGER NOT NULL,
      finished_at INTEGER,
      outcome     TEXT,
      PRIMARY KEY (job, slot)
    ) WITHOUT ROWID;
  `,
};
