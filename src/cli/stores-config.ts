/**
 * The configuration of where signals are journaled and how they are queued, to be mounted
 * in `configSchema` (src/cli/config.ts) as
 *
 *   journal: journalConfigSchema,
 *   queue: queueConfigSchema,
 *
 * plus `.superRefine(refineStores)` on the whole schema for the checks that span sections.
 * Defaults keep today's behaviour: SQLite in the data dir, the journal's own queue.
 *
 * ```yaml
 * journal:
 *   kind: postgres
 *   urlEnv: HEDGEHOOK_POSTGRES_URL   # or url: postgres://hedgehook@db:5432/hedgehook
 *   schema: hedgehook
 *   pool: { max: 10, idleTimeoutMs: 30000, connectionTimeoutMs: 5000, statementTimeoutMs: 15000 }
 * queue:
 *   kind: nats
 *   url: nats://nats-1:4222         # or a list for a cluster
 *   stream: HEDGEHOOK
 *   partitions: 16
 *   ackWaitMs: 30000
 *   maxDeliver: 10
 *   replicas: 3
 * ```
 */
import { z } from 'zod';
import { HedgehookError } from '../core/errors.ts';

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name');

export const sqliteJournalConfigSchema = z.strictObject({
  kind: z.literal('sqlite'),
  /** 'full' fsyncs every group commit (survives power loss); 'normal' survives a process crash only. */
  synchronous: z.enum(['full', 'normal']).default('full'),
});

export const postgresJournalConfigSchema = z.strictObject({
  kind: z.literal('postgres'),
  /** postgres://user@host:port/database. A URL with a password belongs in `urlEnv`, not in the file. */
  url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  /** The environment variable holding the URL (default when `url` is absent: HEDGEHOOK_POSTGRES_URL). */
  urlEnv: envName.optional(),
  /** The schema of hedgehook's tables, created and migrated at start-up. */
  schema: z.string().regex(/^[a-z_][a-z0-9_]{0,45}$/, 'must be a lower-case identifier of at most 46 characters').default('hedgehook'),
  pool: z.strictObject({
    /** Connections per process; processes × max must stay under the server's max_connections. */
    max: z.number().int().min(2).max(200).default(10),
    idleTimeoutMs: z.number().int().positive().default(30_000),
    /** Waiting for a connection fails after this: the webhook gets a 503 instead of hanging. */
    connectionTimeoutMs: z.number().int().positive().default(5_000),
    /** statement_timeout of every session; 0 = none. */
    statementTimeoutMs: z.number().int().min(0).default(15_000),
  }).prefault({}),
  /** With the PostgreSQL queue (queue.kind local): how long a claim holds its key before another process may take it. */
  leaseMs: z.number().int().min(1_000).default(30_000),
});

/** `journal`: SQLite unless `kind: postgres`. */
export const journalConfigSchema = z
  .preprocess(
    (v) => (v && typeof v === 'object' && !Array.isArray(v) && (v as { kind?: unknown }).kind === undefined ? { ...v, kind: 'sqlite' } : v),
    z.discriminatedUnion('kind', [sqliteJournalConfigSchema, postgresJournalConfigSchema]),
  )
  .prefault({});

export const natsQueueConfigSchema = z.strictObject({
  kind: z.literal('nats'),
  /** nats://host:4222, or the list of a cluster's servers. */
  url: z.union([z.string().regex(/^(nats|tls):\/\//, 'must be a nats:// URL'), z.array(z.string().regex(/^(nats|tls):\/\//, 'must be a nats:// URL')).min(1)]),
  stream: z.string().regex(/^[A-Za-z0-9_-]{1,48}$/, 'letters, digits, _ and -, at most 48').default('HEDGEHOOK'),
  subjectPrefix: z.string().regex(/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/, 'dot-separated lower-case tokens').optional(),
  /** Parallelism across (account, symbol) keys; change only with an empty queue. */
  partitions: z.number().int().min(1).max(1024).default(16),
  /** A delivery not finished (nor reported in progress) within this is given to another process. */
  ackWaitMs: z.number().int().min(500).default(30_000),
  /** Deliveries before JetStream gives up and the signal goes to the DLQ; above worker.maxAttempts. */
  maxDeliver: z.number().int().min(2).default(10),
  /** Stream replicas in a NATS cluster. */
  replicas: z.union([z.literal(1), z.literal(3), z.literal(5)]).default(1),
  maxAgeMs: z.number().int().positive().default(7 * 24 * 3600_000),
  duplicateWindowMs: z.number().int().min(1_000).default(120_000),
  storage: z.enum(['file', 'memory']).default('file'),
  /** false: this process receives and relays but runs no signals (a receiver-only process). */
  consume: z.boolean().default(true),
});

/** `queue`: the journal's own queue (`local`) unless `kind: nats`. */
export const queueConfigSchema = z
  .discriminatedUnion('kind', [z.strictObject({ kind: z.literal('local') }), natsQueueConfigSchema])
  .default({ kind: 'local' });

export type JournalConfig = z.infer<typeof journalConfigSchema>;
export type QueueConfig = z.infer<typeof queueConfigSchema>;
export type PostgresJournalConfig = z.infer<typeof postgresJournalConfigSchema>;
export type NatsQueueConfig = z.infer<typeof natsQueueConfigSchema>;

/** The sections the stores read, as the wiring hands them over. */
export interface StoresConfig {
  journal: JournalConfig;
  queue: QueueConfig;
  worker?: { maxAttempts: number };
}

/**
 * The store sections of a configuration, whether or not `configSchema` mounts the schemas
 * above yet: what is there is parsed (and defaulted) by them.
 */
export function storesConfigOf(config: { journal?: unknown; queue?: unknown; worker?: { maxAttempts: number } }): StoresConfig {
  const journal = journalConfigSchema.safeParse(config.journal ?? {});
  const queue = queueConfigSchema.safeParse(config.queue ?? { kind: 'local' });
  const problems = [
    ...(journal.success ? [] : journal.error.issues.map((i) => `journal.${i.path.join('.')}: ${i.message}`)),
    ...(queue.success ? [] : queue.error.issues.map((i) => `queue.${i.path.join('.')}: ${i.message}`)),
  ];
  if (!journal.success || !queue.success) throw new HedgehookError('HH_ERR_CONFIG_INVALID', problems.join('\n'));
  return { journal: journal.data, queue: queue.data, ...(config.worker ? { worker: { maxAttempts: config.worker.maxAttempts } } : {}) };
}

/** Problems that span sections, as [path, message] pairs. */
export function storesConfigIssues(config: StoresConfig): [string[], string][] {
  const issues: [string[], string][] = [];
  if (config.queue.kind === 'nats') {
    if (config.journal.kind !== 'postgres') {
      issues.push([['queue', 'kind'], 'the NATS queue needs journal.kind "postgres" (its outbox lives in the PostgreSQL journal)']);
    }
    const attempts = config.worker?.maxAttempts;
    if (attempts !== undefined && config.queue.maxDeliver <= attempts) {
      issues.push([['queue', 'maxDeliver'], `must be above worker.maxAttempts (${attempts}), or failures would skip the worker's own retry and dead-letter`]);
    }
  }
  return issues;
}

/** For `configSchema.superRefine(refineStores)`. */
export function refineStores(config: StoresConfig, ctx: z.RefinementCtx): void {
  for (const [path, message] of storesConfigIssues(config)) ctx.addIssue({ code: 'custom', path, message });
}
