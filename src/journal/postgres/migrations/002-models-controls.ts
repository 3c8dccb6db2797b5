import type { PostgresMigration } from '../migrate.ts';

/** The model registry and the kill switch, as SQLite's migration 002 (see there for the why). */
export const migration: PostgresMigration = {
  version: 2,
  name: 'models and controls',
  up: `
    CREATE TABLE models (
      seq            bigserial PRIMARY KEY,
      version        text      NOT NULL UNIQUE,
      kind           text      NOT NULL,
      body           text      NOT NULL,
      created_at     bigint    NOT NULL,
      created_by     text      NOT NULL,
      fitted_dataset text,
      fitted_from    bigint,
      fitted_to      bigint
    );

    CREATE TABLE model_activations (
      seq     bigserial PRIMARY KEY,
      version text      NOT NULL REFERENCES models (version),
      at      bigint    NOT NULL,
      by      text      NOT NULL,
      reason  text
    );

    CREATE TABLE controls (
      name   text    PRIMARY KEY,
      halted boolean NOT NULL,
      reason text,
      by     text,
      at     bigint
    );
    INSERT INTO controls (name, halted) VALUES ('kill_switch', false);

    CREATE TABLE control_events (
      seq    bigserial PRIMARY KEY,
      name   text      NOT NULL,
      action text      NOT NULL CHECK (action IN ('halt', 'resume')),
      by     text      NOT NULL,
      at     bigint    NOT NULL,
      reason text
    );
  `,
};
