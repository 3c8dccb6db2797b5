/**
 * One "process" of a scale-out deployment inside a test: its own PostgreSQL pool, journal,
 * outbox session and NATS connection, like a separate hedgehook process would have. Several
 * of them in one test share only the servers, so what they show holds across processes.
 */
import { openJetStreamQueue, type JetStreamQueue, type JetStreamSettings } from '../../src/journal/nats/index.ts';
import { PostgresJournal, PostgresOutbox, openPostgres, type PostgresDatabase } from '../../src/journal/postgres/index.ts';
import { silentLogger } from '../../src/journal/types.ts';
import { NATS_URL, POSTGRES_URL, freshSchema, freshStream } from './scale-out-env.ts';

export interface Node {
  db: PostgresDatabase;
  journal: PostgresJournal;
  outbox: PostgresOutbox;
  jsq: JetStreamQueue;
  /** A graceful stop: held messages go back, the relay role is released. */
  stop(): Promise<void>;
  /** Dies like SIGKILL: sockets close, nothing is answered or handed back. */
  kill(): Promise<void>;
}

export interface Deployment {
  schema: string;
  stream: string;
  settings: JetStreamSettings;
  start(options?: { consume?: boolean }): Promise<Node>;
  done(): Promise<void>;
}

export async function deployment(overrides: Partial<JetStreamSettings> = {}): Promise<Deployment> {
  const s = freshSchema();
  const st = freshStream();
  const settings: JetStreamSettings = { stream: st.stream, partitions: 4, ackWaitMs: 2_000, maxDeliver: 5, storage: 'memory', ...overrides };
  const nodes: Node[] = [];
  return {
    schema: s.schema,
    stream: st.stream,
    settings,
    async start(options = {}) {
      const db = await openPostgres({ url: POSTGRES_URL, schema: s.schema, pool: { max: 4 } });
      const journal = new PostgresJournal(db, { delivery: 'outbox' });
      const outbox = new PostgresOutbox(db, settings.stream);
      const jsq = await openJetStreamQueue({ url: NATS_URL, settings, states: journal, outbox, logger: silentLogger, relayPollMs: 100, consume: options.consume ?? true });
      await jsq.start();
      let gone = false;
      const node: Node = {
        db,
        journal,
        outbox,
        jsq,
        async stop() {
          if (gone) return;
          gone = true;
          await jsq.close();
          await outbox.close();
          await journal.close();
          await db.close();
        },
        async kill() {
          if (gone) return;
          gone = true;
          await jsq.connection.close();
          await outbox.close(); // its session ends, as the kernel would close it
          await db.close();
        },
      };
      nodes.push(node);
      return node;
    },
    async done() {
      for (const n of nodes) await n.stop().catch(() => undefined);
      await st.drop();
      await s.drop();
    },
  };
}

/** Resolves when `check` holds, polling every 20 ms; rejects with `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
