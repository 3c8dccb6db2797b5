/**
 * Where the service keeps its signals, queue and state, chosen by the configuration — the
 * one place that opens them, for `serve`, the commands and the tests:
 *
 * - SQLite (the default): the journal file in the data dir is the journal, the queue and
 *   the DLQ; the registry, the kill switch and the order legs live in the same file.
 * - PostgreSQL, queue `local`: the shared database is all of it; processes share the work
 *   through leases (src/journal/postgres/journal.ts).
 * - PostgreSQL + NATS JetStream: PostgreSQL journals (signals, outbox, DLQ, registry, kill
 *   switch, order legs), JetStream delivers, in order per key, to whichever process pulls.
 *
 * `role: 'cli'` opens what a command needs (journal, DLQ, state) and nothing that would
 * take work: no consumer, no relay, no NATS connection. A replay from the CLI lands in the
 * outbox; the running services' relays publish it.
 */
import { join } from 'node:path';
import { HedgehookError } from '../core/errors.ts';
import type { ControlStore } from '../core/controls.ts';
import type { ModelStore } from '../core/model.ts';
import type { OrderStore } from '../core/orders.ts';
import type { ScheduledRuns } from '../core/scheduled-runs.ts';
import type { DeadLetterQueue, Journal, SignalQueue } from '../core/ports.ts';
// Types only: the PostgreSQL and NATS adapters (and pg, nats) are loaded when configured,
// so a SQLite service does not carry them.
import type { JetStreamQueue } from '../journal/nats/index.ts';
import type { PostgresDatabase, PostgresOutbox } from '../journal/postgres/index.ts';
import { openSqliteJournal, openSqliteState } from '../journal/sqlite/index.ts';
import type { JournalLogger, JournalStats } from '../journal/types.ts';
import { DEFAULT_MODEL, parseModelVersion } from '../model/registry.ts';
import { storesConfigIssues, type PostgresJournalConfig, type StoresConfig } from './stores-config.ts';

export interface StoresOptions {
  /** The data dir (the SQLite file lives there). */
  dataDir: string;
  logger: JournalLogger;
  env?: NodeJS.ProcessEnv;
  /** 'service' (default): also relay and consume. 'cli': the stores only. */
  role?: 'service' | 'cli';
}

export interface Stores {
  kind: 'sqlite' | 'postgres' | 'postgres+nats';
  journal: Journal;
  queue: SignalQueue;
  dlq: DeadLetterQueue;
  models: ModelStore;
  controls: ControlStore;
  orders: OrderStore;
  /** Which process runs a scheduled job's occurrence (the weekly refit), and that it ran. */
  runs: ScheduledRuns;
  /** The embedded journal's counters (SQLite only). */
  journalStats?: () => JournalStats;
  /** After the worker stopped: hands held work back, finishes relaying, commits what is pending, closes. */
  close(): Promise<void>;
}

export function sqliteJournalPath(dataDir: string): string {
  return join(dataDir, 'journal.db');
}

export async function openStores(config: StoresConfig, options: StoresOptions): Promise<Stores> {
  const issues = storesConfigIssues(config);
  if (issues.length > 0) throw new HedgehookError('HH_ERR_CONFIG_INVALID', issues.map(([path, message]) => `${path.join('.')}: ${message}`).join('\n'));
  if (config.journal.kind === 'sqlite') return openSqliteStores(config.journal.synchronous, options);
  return openPostgresStores(config, config.journal, options);
}

function openSqliteStores(synchronous: 'full' | 'normal', options: StoresOptions): Stores {
  const path = sqliteJournalPath(options.dataDir);
  const journal = openSqliteJournal({ path, synchronous, logger: options.logger });
  let state;
  try {
    state = openSqliteState({ path, defaultModel: DEFAULT_MODEL, validate: parseModelVersion, logger: options.logger });
  } catch (err) {
    void journal.close();
    throw err;
  }
  const s = state;
  return {
    kind: 'sqlite',
    journal,
    journalStats: () => journal.stats(),
    queue: journal,
    dlq: journal,
    models: s.models,
    controls: s.controls,
    orders: s.orders,
    runs: s.runs,
    async close() {
      s.close();
      await journal.close();
    },
  };
}

/** The URL from the file or the environment; never echoed, it may carry a password. */
export function postgresUrl(config: PostgresJournalConfig, env: NodeJS.ProcessEnv): string {
  if (config.url) return config.url;
  const name = config.urlEnv ?? 'HEDGEHOOK_POSTGRES_URL';
  const url = env[name];
  if (!url) throw new HedgehookError('HH_ERR_CONFIG_INVALID', `journal: kind postgres needs journal.url or the environment variable ${name}`);
  return url;
}

async function openPostgresStores(config: StoresConfig, pgConfig: PostgresJournalConfig, options: StoresOptions): Promise<Stores> {
  const { PostgresControlStore, PostgresJournal, PostgresModelStore, PostgresOrderStore, PostgresOutbox, PostgresScheduledRuns, openPostgres } = await import('../journal/postgres/index.ts');
  const { openJetStreamQueue } = await import('../journal/nats/index.ts');
  const env = options.env ?? process.env;
  const nats = config.queue.kind === 'nats' ? config.queue : undefined;
  const db: PostgresDatabase = await openPostgres({
    url: postgresUrl(pgConfig, env),
    schema: pgConfig.schema,
    pool: pgConfig.pool,
    logger: options.logger,
    applicationName: options.role === 'cli' ? 'hedgehook-cli' : 'hedgehook',
  });
  const journal = new PostgresJournal(db, { delivery: nats ? 'outbox' : 'postgres', leaseMs: pgConfig.leaseMs });
  let outbox: PostgresOutbox | undefined;
  let jsq: JetStreamQueue | undefined;
  try {
    const models = await PostgresModelStore.open(db, { defaultModel: DEFAULT_MODEL, validate: parseModelVersion });
    if (nats && options.role !== 'cli') {
      outbox = new PostgresOutbox(db, nats.stream);
      const { kind: _kind, url, consume, ...settings } = nats;
      jsq = await openJetStreamQueue({ url, settings, states: journal, outbox, logger: options.logger, consume });
      await jsq.start();
    }
    const queue = jsq ? jsq.queue : journal;
    const running = jsq;
    const box = outbox;
    return {
      kind: nats ? 'postgres+nats' : 'postgres',
      journal,
      queue,
      dlq: journal,
      models,
      controls: new PostgresControlStore(db),
      orders: new PostgresOrderStore(db),
      runs: new PostgresScheduledRuns(db),
      async close() {
        try {
          // Commit what is pending first, so that the relay's last round publishes it.
          await journal.flushWrites();
          if (running) await running.close();
          await journal.close();
        } finally {
          await box?.close();
          await db.close();
        }
      },
    };
  } catch (err) {
    await jsq?.close().catch(() => undefined);
    await outbox?.close().catch(() => undefined);
    await journal.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw err;
  }
}
