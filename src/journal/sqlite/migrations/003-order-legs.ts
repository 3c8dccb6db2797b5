import type { Migration } from '../migrate.ts';

/**
 * Order legs (src/core/orders.ts): one row per order the router sends, written before
 * the request leaves. `client_order_id` is UNIQUE: the id is derived from the signal and
 * the leg number, so a retry or a restart that would create the same leg again finds the
 * row instead. `(signal_id, leg)` is unique too: a signal's legs are numbered once.
 * `status` holds the venue's view; the partial index finds what start-up must reconcile.
 */
export const migration: Migration = {
  version: 3,
  name: 'order legs',
  up: `
    CREATE TABLE order_legs (
      id                INTEGER PRIMARY KEY AUTOINCREMENT,
      client_order_id   TEXT    NOT NULL UNIQUE,
      signal_id         TEXT    NOT NULL,
      account           TEXT    NOT NULL,
      leg               INTEGER NOT NULL,
      venue             TEXT    NOT NULL,
      purpose           TEXT    NOT NULL CHECK (purpose IN ('hedge', 'unwind')),
      symbol            TEXT    NOT NULL,
      side              TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
      amount            TEXT    NOT NULL,
      type              TEXT    NOT NULL,
      price             TEXT,
      reduce_only       INTEGER NOT NULL CHECK (reduce_only IN (0, 1)),
      status            TEXT    NOT NULL,
      filled            TEXT    NOT NULL,
      average_price     TEXT,
      fee               TEXT    NOT NULL,
      exchange_order_id TEXT,
      error             TEXT,
      latency_ms        INTEGER,
      created_at        INTEGER NOT NULL,
      updated_at        INTEGER NOT NULL,
      UNIQUE (signal_id, leg)
    );
    CREATE INDEX order_legs_by_venue ON order_legs (venue, id);
    CREATE INDEX order_legs_unsettled ON order_legs (id) WHERE status IN ('pending', 'unknown', 'open');
  `,
};
