import type { Migration } from '../migrate.ts';

/**
 * The first schema. `signals` keeps every signal for ever; `queue` holds only unsettled
 * work so that claiming stays cheap however large `signals` grows; `signal_events` is the
 * append-only audit trail; `dead_letters` rows are "in the DLQ" while neither replayed
 * nor purged.
 */
export const migration: Migration = {
  version: 1,
  name: 'initial',
  up: `
    CREATE TABLE meta (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO meta (key, value) VALUES ('write_probe', '0');

    CREATE TABLE signals (
      seq           INTEGER PRIMARY KEY AUTOINCREMENT,
      id            TEXT    NOT NULL UNIQUE,
      source        TEXT    NOT NULL,
      dedup_key     TEXT    NOT NULL,
      received_at   INTEGER NOT NULL,
      remote_addr   TEXT    NOT NULL,
      headers       TEXT    NOT NULL,
      body          TEXT    NOT NULL,
      payload       TEXT    NOT NULL,
      account       TEXT    NOT NULL,
      symbol        TEXT    NOT NULL,
      partition_key TEXT    NOT NULL,
      state         TEXT    NOT NULL DEFAULT 'received'
                    CHECK (state IN ('received', 'processing', 'hedged', 'skipped', 'rejected', 'dead')),
      attempts      INTEGER NOT NULL DEFAULT 0,
      last_error    TEXT,
      outcome       TEXT,
      updated_at    INTEGER NOT NULL,
      UNIQUE (source, dedup_key)
    );
    CREATE INDEX signals_by_state ON signals (state, seq);
    CREATE INDEX signals_by_source ON signals (source, seq);

    CREATE TABLE queue (
      seq           INTEGER PRIMARY KEY REFERENCES signals (seq),
      partition_key TEXT    NOT NULL,
      not_before    INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX queue_by_partition ON queue (partition_key, seq);

    CREATE TABLE signal_events (
      seq        INTEGER PRIMARY KEY AUTOINCREMENT,
      signal_seq INTEGER NOT NULL REFERENCES signals (seq),
      type       TEXT    NOT NULL CHECK (type IN ('received', 'processed', 'retry', 'dead', 'replayed', 'purged')),
      at         INTEGER NOT NULL,
      detail     TEXT
    );
    CREATE INDEX signal_events_by_signal ON signal_events (signal_seq, seq);

    CREATE TABLE rejections (
      seq          INTEGER PRIMARY KEY AUTOINCREMENT,
      at           INTEGER NOT NULL,
      source       TEXT    NOT NULL,
      remote_addr  TEXT    NOT NULL,
      status       INTEGER NOT NULL,
      code         TEXT    NOT NULL,
      reason       TEXT    NOT NULL,
      body_excerpt TEXT,
      headers      TEXT
    );

    CREATE TABLE dead_letters (
      id          INTEGER PRIMARY KEY AUTOINCREMENT,
      signal_seq  INTEGER NOT NULL REFERENCES signals (seq),
      signal_id   TEXT    NOT NULL,
      reason      TEXT    NOT NULL,
      attempts    INTEGER NOT NULL,
      last_error  TEXT    NOT NULL,
      dead_at     INTEGER NOT NULL,
      replayed_at INTEGER,
      purged_at   INTEGER
    );
    -- At most one open entry per signal; list() walks it in original sequence order.
    CREATE UNIQUE INDEX dead_letters_open ON dead_letters (signal_seq) WHERE replayed_at IS NULL AND purged_at IS NULL;
    CREATE INDEX dead_letters_by_signal_id ON dead_letters (signal_id);
  `,
};
