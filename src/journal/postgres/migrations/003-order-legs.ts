import type { PostgresMigration } from '../migrate.ts';

/**
 * Order legs, as SQLite's migration 004. `client_order_id` is UNIQUE: it is derived from
 * the signal and the leg number, so when a killed process's signal is finished by another
 * process, the second attempt finds the leg the first one journaled instead of sending a
 * second order. `(signal_id, leg)` is unique too. Amounts are text: the decimal written is
 * the decimal read back.
 */
export const migration: PostgresMigration = {
  version: 3,
  name: 'order legs',
  up: `
    CREATE TABLE order_legs (
      id                bigserial PRIMARY KEY,
      client_order_id   text      NOT NULL UNIQUE,
      signal_id         text      NOT NULL,
      account           text      NOT NULL,
      leg               integer   NOT NULL,
      venue             text      NOT NULL,
      purpose           text      NOT NULL CHECK (purpose IN ('hedge', 'unwind')),
      symbol            text      NOT NULL,
      side              text      NOT NULL CHECK (side IN ('buy', 'sell')),
      amount            text      NOT NULL,
      type              text      NOT NULL,
      price             text,
      reduce_only       boolean   NOT NULL,
      status            text      NOT NULL,
      filled            text      NOT NULL,
      average_price     text,
      fee               text      NOT NULL,
      exchange_order_id text,
      error             text,
      latency_ms        integer,
      created_at        bigint    NOT NULL,
      updated_at        bigint    NOT NULL,
      UNIQUE (signal_id, leg)
    );
    CREATE INDEX order_legs_by_venue ON order_legs (venue, id);
    CREATE INDEX order_legs_by_signal ON order_legs (signal_id, leg);
    CREATE INDEX order_legs_unsettled ON order_legs (id) WHERE status IN ('pending', 'unknown', 'open');
  `,
};
