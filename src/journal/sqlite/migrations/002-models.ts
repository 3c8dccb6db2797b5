import type { Migration } from '../migrate.ts';

/**
 * The model registry and the operator controls, in the journal's file.
 *
 * - `models`: every hedge-model version ever stored, immutable. `body` is the validated
 *   version as JSON (kind, weights, uplift, meta); the columns beside it repeat what one
 *   wants to query (who created it, what data and period it was fitted on).
 * - `model_activations`: the append-only history of `model use`; the active version is
 *   the latest row (none: the built-in default).
 * - `controls`: one row per switch, today only `kill_switch`; `control_events` is its
 *   append-only audit trail (who halted or resumed, when, why).
 */
export const migration: Migration = {
  version: 2,
  name: 'models and controls',
  up: `
    CREATE TABLE models (
      seq             INTEGER PRIMARY KEY AUTOINCREMENT,
      version         TEXT    NOT NULL UNIQUE,
      kind            TEXT    NOT NULL,
      body            TEXT    NOT NULL,
      created_at      INTEGER NOT NULL,
      created_by      TEXT    NOT NULL,
      fitted_dataset  TEXT,
      fitted_from     INTEGER,
      fitted_to       INTEGER
    );

    CREATE TABLE model_activations (
      seq     INTEGER PRIMARY KEY AUTOINCREMENT,
      version TEXT    NOT NULL REFERENCES models (version),
      at      INTEGER NOT NULL,
      by      TEXT    NOT NULL,
      reason  TEXT
    );

    CREATE TABLE controls (
      name   TEXT    PRIMARY KEY,
      halted INTEGER NOT NULL CHECK (halted IN (0, 1)),
      reason TEXT,
      by     TEXT,
      at     INTEGER
    ) WITHOUT ROWID;
    INSERT INTO controls (name, halted) VALUES ('kill_switch', 0);

    CREATE TABLE control_events (
      seq    INTEGER PRIMARY KEY AUTOINCREMENT,
      name   TEXT    NOT NULL,
      action TEXT    NOT NULL CHECK (action IN ('halt', 'resume')),
      by     TEXT    NOT NULL,
      at     INTEGER NOT NULL,
      reason TEXT
    );
  `,
};
