import type { PostgresMigration } from '../migrate.ts';

/** Scheduled runs (the weekly refit, once across processes), as SQLite's migration 008. */
export const migration: PostgresMigration = {
  version: 5,
  name: 'scheduled runs',
  up: `
    CREATE TABLE scheduled_runs (
      job         text   NOT NULL,
      slot        bigint NOT NULL,
      holder      text   NOT NULL,
      claimed_at  bigint NOT NULL,
      finished_at bigint,
      outcome     text,
      PRIMARY KEY (job, slot)
    );
  `,
};
