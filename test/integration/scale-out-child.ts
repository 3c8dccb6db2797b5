/**
 * One hedgehook process of a scale-out deployment, for the multi-process tests and the
 * bench: the real HTTP server, the real worker and the stores of src/cli/stores.ts
 * (PostgreSQL + JetStream), wired like src/cli/service.ts, with a stand-in for the
 * execution stage that does what matters here — journal one order leg per signal under a
 * client order id derived from the signal (the unique constraint is what makes a
 * redelivered signal hedge once) and record each run in `test_runs`, so the test can see
 * order and repeats.
 *
 * Environment: HH_PG_URL, HH_SCHEMA, HH_STREAM, HH_PARTITIONS, HH_ACK_WAIT_MS,
 * HH_DATA_DIR, HH_WORK_MS (simulated work per signal), HEDGEHOOK_WEBHOOK_SECRET.
 * A signal whose id is in `test_poison` fails, not retryable (the DLQ path).
 * Prints `listening on URL` when ready; SIGTERM stops it gracefully.
 */
import pg from 'pg';
import { systemClock } from '../../src/core/clock.ts';
import { HedgehookError } from '../../src/core/errors.ts';
import { createLogger } from '../../src/cli/logger.ts';
import { parseConfig } from '../../src/cli/config.ts';
import { resolveSources } from '../../src/cli/secrets.ts';
import { openStores } from '../../src/cli/stores.ts';
import { Worker } from '../../src/engine/worker.ts';
import { buildServer } from '../../src/server/app.ts';
import { createMetrics } from '../../src/server/metrics.ts';

const env = process.env;
const need = (name: string) => env[name] ?? (() => { throw new Error(`${name} is not set`); })();
const schema = need('HH_SCHEMA');
const logger = createLogger(env.HH_LOG_LEVEL ?? 'error');
const workMs = Number(env.HH_WORK_MS ?? '0');

const stores = await openStores(
  {
    journal: {
      kind: 'postgres',
      url: need('HH_PG_URL'),
      schema,
      pool: { max: 8, idleTimeoutMs: 30_000, connectionTimeoutMs: 5_000, statementTimeoutMs: 15_000 },
      leaseMs: 30_000,
    },
    queue: {
      kind: 'nats',
      url: env.HH_NATS_URL ?? 'nats://127.0.0.1:4222',
      stream: need('HH_STREAM'),
      partitions: Number(env.HH_PARTITIONS ?? '8'),
      ackWaitMs: Number(env.HH_ACK_WAIT_MS ?? '30000'),
      maxDeliver: 10,
      replicas: 1,
      maxAgeMs: 3600_000,
      duplicateWindowMs: 120_000,
      storage: 'file',
      consume: true,
    },
    worker: { maxAttempts: 3 },
  },
  { dataDir: need('HH_DATA_DIR'), logger },
);

// The test's own tables, on a connection of their own (not the code under test).
const side = new pg.Pool({ connectionString: need('HH_PG_URL'), options: `-c search_path=${schema}`, max: 4 });

// No rate limit: the tests and the bench send hundreds of webhooks a second from one address.
const config = parseConfig({ sources: { default: { scheme: 'standard', rateLimit: { burst: 1_000_000, perSecond: 1_000_000 } } } });
const sources = resolveSources(config, need('HH_DATA_DIR'), env, () => undefined);
const metrics = createMetrics({ queueDepth: () => stores.queue.depth(), dlqSize: () => stores.dlq.size() });

const worker = new Worker({
  queue: stores.queue,
  clock: systemClock,
  random: Math.random,
  concurrency: 8,
  pollMs: 200,
  retry: { maxAttempts: 3, baseMs: 20, maxMs: 200 },
  logger,
  process: async (d) => {
    await side.query('INSERT INTO test_runs (signal_id, partition_key, seq, attempt, pid) VALUES ($1, $2, $3, $4, $5)', [d.id, d.partitionKey, d.seq, d.attempt, process.pid]);
    const poison = await side.query('SELECT 1 FROM test_poison WHERE signal_id = $1', [d.id]);
    if (poison.rowCount) throw new HedgehookError('HH_ERR_INVALID_PAYLOAD', 'poison signal (test)');
    const now = Date.now();
    const clientOrderId = `hh-${d.id}-0`;
    await stores.orders.save({
      clientOrderId,
      signalId: d.id,
      account: d.payload.account,
      leg: 0,
      venue: 'paper',
      purpose: 'hedge',
      symbol: d.payload.symbol,
      side: 'sell',
      amount: 100,
      type: 'market',
      reduceOnly: false,
      status: 'filled',
      filled: 100,
      fee: 0,
      createdAt: now,
      updatedAt: now,
    });
    if (workMs > 0) await new Promise((r) => setTimeout(r, workMs));
    return { state: 'hedged', orders: [{ venue: 'paper', clientOrderId }] };
  },
});

const server = buildServer({
  journal: stores.journal,
  queue: stores.queue,
  dlq: stores.dlq,
  models: stores.models,
  controls: stores.controls,
  orders: stores.orders,
  positions: () => [],
  sources,
  clock: systemClock,
  logger,
  metrics,
  trustProxy: false,
  requestTimeoutMs: 10_000,
  headersTimeoutMs: 5_000,
  keepAliveTimeoutMs: 5_000,
});
await server.app.listen({ host: '127.0.0.1', port: 0 });
const address = server.app.server.address();
worker.start();
process.stdout.write(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`);

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    server.startDraining();
    await server.app.close();
    await worker.stop();
    await stores.close();
    await side.end();
    process.exit(0);
  })();
});
