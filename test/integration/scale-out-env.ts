/**
 * The real servers of the scale-out tests and a fresh, private corner of each per test:
 * a PostgreSQL schema and JetStream stream names nobody else uses, removed afterwards, so
 * runs (and parallel test files) never see each other's data.
 *
 * Servers: HEDGEHOOK_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test) and
 * HEDGEHOOK_TEST_NATS_URL (default nats://127.0.0.1:4222). Missing ones skip the tests
 * with the reason, or fail them under REQUIRE_SERVICES=1 (CI).
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import pg from 'pg';
import { serviceMissing } from '../support/env.ts';

export const POSTGRES_URL = process.env.HEDGEHOOK_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const NATS_URL = process.env.HEDGEHOOK_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || defaultPort) };
}

/** false when PostgreSQL answers a query; else the skip reason (throws under REQUIRE_SERVICES). */
export async function postgresMissing(): Promise<false | string> {
  const { host, port } = hostPort(POSTGRES_URL, 5432);
  return serviceMissing('PostgreSQL', host, port, async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      await client.query('SELECT 1');
    } finally {
      await client.end();
    }
  });
}

/** false when NATS answers with JetStream enabled; else the skip reason. */
export async function natsMissing(): Promise<false | string> {
  const { host, port } = hostPort(NATS_URL, 4222);
  return serviceMissing('NATS JetStream', host, port, async () => {
    const nc = await connect({ servers: NATS_URL, timeout: 3000 });
    try {
      await (await nc.jetstreamManager()).getAccountInfo();
    } finally {
      await nc.close();
    }
  });
}

export async function bothMissing(): Promise<false | string> {
  const [p, n] = await Promise.all([postgresMissing(), natsMissing()]);
  return p || n;
}

export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/** A schema name of our own; `drop()` removes it with everything in it. */
export function freshSchema(): { schema: string; drop(): Promise<void> } {
  const schema = uniqueName('hht_');
  return {
    schema,
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A stream name of our own; `drop()` deletes it and its dead-letter advisory stream. */
export function freshStream(): { stream: string; drop(): Promise<void> } {
  const stream = uniqueName('HHT_').toUpperCase();
  return {
    stream,
    async drop() {
      const nc = await connect({ servers: NATS_URL });
      try {
        const jsm = await nc.jetstreamManager();
        for (const name of [stream, `${stream}_DEAD`]) await jsm.streams.delete(name).catch(() => undefined);
      } finally {
        await nc.close();
      }
    },
  };
}

/** Runs SQL on the test database outside the code under test (breaking writes, checking rows). */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(schema: string, text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}
