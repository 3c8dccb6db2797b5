import type { PostgresMigration } from '../migrate.ts';

/**
 * The journal, as in SQLite (src/journal/sqlite/migrations/001-initial.ts), plus what
 * several processes sharing it need:
 *
 * - `signals.seq` comes from a sequence, drawn only while the append holds the row lock of
 *   its partition key in `partition_keys`: per key, sequence order is commit order, which is
 *   what lets the relay publish a key's signals in order (journal.ts explains).
 * - UNIQUE (source, dedup_key) is the de-duplication, race-free across processes.
 * - `queue` holds unsettled work. With the PostgreSQL queue a claim takes a lease
 *   (`lease_owner`, `lease_until` in database time), so a killed process's work is claimable
 *   again when the lease runs out; with NATS JetStream the lease is JetStream's ack wait.
 * - `outbox`: signals (and replays) committed but not yet published to JetStream, inserted
 *   in the same transaction as the signal. A statement trigger NOTIFYs the relay on commit.
 */
export const migration: PostgresMigration = {
  version: 1,
  name: 'journal',
  up: `
    CREATE TABLE meta (
      key   text PRIMARY KEY,
      value text NOT NULL
    );
    INSERT INTO meta (key, value) VALUES ('write_probe', '0');

    CREATE TABLE partition_keys (
      partition_key text   PRIMARY KEY,
      appended      bigint NOT NULL DEFAULT 1
    );

    CREATE SEQUENCE signal_seq AS bigint;

    CREATE TABLE signals (
      seq           bigint  PRIMARY KEY,
      id            text    NOT NULL UNIQUE,
      source        text    NOT NULL,
      dedup_key     text    NOT NULL,
      received_at   bigint  NOT NULL,
      remote_addr   text    NOT NULL,
      headers       text    NOT NULL,
      body          text    NOT NULL,
      payload       text    NOT NULL,
      account       text    NOT NULL,
      symbol        text    NOT NULL,
      partition_key text    NOT NULL,
      state         text    NOT NULL DEFAULT 'received'
                    CHECK (state IN ('received', 'processing', 'hedged', 'skipped', 'rejected', 'dead')),
      attempts      integer NOT NULL DEFAULT 0,
      last_error    text,
      outcome       text,
      updated_at    bigint  NOT NULL,
      UNIQUE (source, dedup_key)
    );
    CREATE INDEX signals_by_state ON signals (state, seq);
    CREATE INDEX signals_by_source ON signals (source, seq);

    CREATE TABLE queue (
      seq           bigint PRIMARY KEY REFERENCES signals (seq),
      partition_key text   NOT NULL,
      not_before    bigint NOT NULL DEFAULT 0,
      lease_owner   text,
      lease_until   bigint
    );
    CREATE INDEX queue_by_partition ON queue (partition_key, seq);

    CREATE TABLE outbox (
      id            bigserial PRIMARY KEY,
      seq           bigint    NOT NULL REFERENCES signals (seq),
      msg_id        text      NOT NULL,
      partition_key text      NOT NULL,
      created_at    bigint    NOT NULL
    );

    CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('hedgehook_outbox_' || TG_TABLE_SCHEMA, '');
      RETURN NULL;
    END $$;
    CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();

    CREATE TABLE signal_events (
      seq        bigserial PRIMARY KEY,
      signal_seq bigint    NOT NULL REFERENCES signals (seq),
      type       text      NOT NULL CHECK (type IN ('received', 'processed', 'retry', 'dead', 'replayed', 'purged')),
      at         bigint    NOT NULL,
      detail     text
    );
    CREATE INDEX signal_events_by_signal ON signal_events (signal_seq, seq);

    CREATE TABLE rejections (
      seq          bigserial PRIMARY KEY,
      at           bigint    NOT NULL,
      source       text      NOT NULL,
      remote_addr  text      NOT NULL,
      status       integer   NOT NULL,
      code         text      NOT NULL,
      reason       text      NOT NULL,
      body_excerpt text,
      headers      text
    );

    CREATE TABLE dead_letters (
      id          bigserial PRIMARY KEY,
      signal_seq  bigint    NOT NULL REFERENCES signals (seq),
      signal_id   text      NOT NULL,
      reason      text      NOT NULL,
      attempts    integer   NOT NULL,
      last_error  text      NOT NULL,
      dead_at     bigint    NOT NULL,
      replayed_at bigint,
      purged_at   bigint
    );
    -- At most one open entry per signal; list() walks it in original sequence order.
    CREATE UNIQUE INDEX dead_letters_open ON dead_letters (signal_seq) WHERE replayed_at IS NULL AND purged_at IS NULL;
    CREATE INDEX dead_letters_by_signal_id ON dead_letters (signal_id);
  `,
};
