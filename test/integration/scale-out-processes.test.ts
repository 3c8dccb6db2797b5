/**
 * Scale-out under a real crash: three hedgehook processes (scale-out-child.ts: the real
 * server, worker and stores on PostgreSQL + JetStream) behind a round-robin "load
 * balancer", hundreds of signed webhooks over ten keys, one process SIGKILLed mid-stream
 * and restarted. What must hold:
 *
 * - every acknowledged (2xx) signal ends hedged, and the journal holds nothing else;
 * - hedged exactly once: one order leg per signal (the UNIQUE client order id), even for
 *   the signals the killed process was running and another process finished;
 * - per key, signals ran in the order they were acknowledged (each key's sender waits for
 *   its 202 before the next, as a strategy does), whichever process ran them;
 * - the DLQ: a failing signal is dead-lettered while its key moves on, listed from any
 *   process and replayed from a process that consumes nothing (the CLI), in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStores } from '../../src/cli/stores.ts';
import { signalId } from '../../src/ingest/signal-id.ts';
import { silentLogger } from '../../src/journal/types.ts';
import { signedWebhook } from '../helpers/service-process.ts';
import { Cluster, payloadFor, type Hook } from './scale-out-cluster.ts';
import { POSTGRES_URL, bothMissing, sql } from './scale-out-env.ts';
import { until } from './scale-out-node.ts';

const skip = await bothMissing();

const KEYS = ['TRX', 'BTC', 'ETH', 'SOL', 'DOGE', 'XRP', 'ADA', 'LTC', 'BNB', 'DOT'];
const PER_KEY = 30;
const PROCESSES = 3;
const KILL_AFTER_ACKS = 100;

test('scale-out: 3 processes, 300 webhooks, one SIGKILLed mid-stream and restarted: every acknowledged signal hedged exactly once, in order per key', { skip, timeout: 120_000 }, async (t) => {
  const cluster = new Cluster({ partitions: 8, ackWaitMs: 1_500, workMs: 2 });
  try {
    await cluster.prepare();
    for (let i = 0; i < PROCESSES; i++) await cluster.start(i);

    const acked = new Map<string, string>(); // webhook id → signal id
    const ackOrder = new Map<string, string[]>(); // key → signal ids in the order their 202 came
    let acks = 0;
    let killed = false;
    let restarted: Promise<unknown> | undefined;
    let next = 0;
    const victim = 1;

    /** Like a load balancer: round-robin, and a request a dead process did not answer goes to the next one. */
    async function deliver(hook: Hook): Promise<string> {
      for (let tries = 0; tries < 50; tries++) {
        const index = next++ % PROCESSES;
        const res = await cluster.post(index, hook);
        if (res && (res.status === 202 || res.status === 200) && res.id) return res.id;
        if (!res) await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no process accepted ${hook.id}`);
    }

    await Promise.all(
      KEYS.map(async (key) => {
        for (let i = 0; i < PER_KEY; i++) {
          const hook = signedWebhook(payloadFor(key, i), { id: `msg_${key}_${i}` });
          const id = await deliver(hook);
          acked.set(hook.id, id);
          ackOrder.set(key, [...(ackOrder.get(key) ?? []), id]);
          if (++acks === KILL_AFTER_ACKS && !killed) {
            killed = true;
            await cluster.kill(victim);
            restarted = new Promise((r) => setTimeout(r, 300)).then(() => cluster.start(victim));
          }
        }
      }),
    );
    await restarted;
    assert.ok(killed, 'the victim was killed mid-stream');

    await until('every signal settled', async () => (await cluster.unsettled()) === 0, 60_000);

    const ids = new Set(acked.values());
    assert.equal(ids.size, KEYS.length * PER_KEY, 'one signal per delivery, whatever the resends');
    const signals = await sql<{ id: string; state: string; partition_key: string; seq: string }>(cluster.schema, 'SELECT id, state, partition_key, seq FROM signals ORDER BY seq');
    assert.equal(signals.length, ids.size, 'nothing but the acknowledged signals');
    for (const s of signals) {
      assert.ok(ids.has(s.id), `unacknowledged signal ${s.id}`);
      assert.equal(s.state, 'hedged', `${s.id} is ${s.state}`);
    }

    // Hedged exactly once: one leg per signal, and the leg ids are unique by construction.
    const legs = await sql<{ signal_id: string; n: number }>(cluster.schema, 'SELECT signal_id, count(*)::int AS n FROM order_legs GROUP BY signal_id');
    assert.equal(legs.length, ids.size);
    assert.ok(legs.every((l) => l.n === 1));

    // Per key, the first run of each signal follows the acknowledgement order.
    const runs = await sql<{ signal_id: string; partition_key: string; pid: number }>(cluster.schema, 'SELECT signal_id, partition_key, pid FROM test_runs ORDER BY run');
    const firstRuns = new Map<string, string[]>();
    const seen = new Set<string>();
    for (const r of runs) {
      if (seen.has(r.signal_id)) continue;
      seen.add(r.signal_id);
      const key = r.partition_key.split('|')[1]!.split('/')[0]!;
      firstRuns.set(key, [...(firstRuns.get(key) ?? []), r.signal_id]);
    }
    for (const key of KEYS) assert.deepEqual(firstRuns.get(key), ackOrder.get(key), `order of ${key}`);
    const pids = new Set(runs.map((r) => r.pid));
    assert.ok(pids.size >= PROCESSES, `work ran in ${pids.size} processes`);
    const rerun = runs.length - seen.size;
    t.diagnostic(`runs: ${runs.length} for ${seen.size} signals in ${pids.size} processes (${rerun} redelivered after the kill)`);
    // Runs beyond one per signal are the killed process's unfinished ones, redelivered.
    assert.ok(rerun <= 8 * 2, `at most the killed process's in-flight work ran twice (${rerun})`);

    assert.equal((await sql<{ n: number }>(cluster.schema, 'SELECT count(*)::int AS n FROM outbox'))[0]!.n, 0, 'the outbox is drained');
  } finally {
    await cluster.done();
  }
});

test('scale-out: a failing signal is dead-lettered while its key moves on; listed and replayed from a process that consumes nothing, in original order', { skip, timeout: 60_000 }, async () => {
  const cluster = new Cluster({ partitions: 4, ackWaitMs: 2_000 });
  try {
    await cluster.prepare();
    await cluster.start(0);
    await cluster.start(1);
    // p1 ok, p2 and p3 poisoned, p4 ok — one key, sent in order over both processes.
    const hooks = [1, 2, 3, 4].map((i) => signedWebhook(payloadFor('TRX', i), { id: `msg_p${i}` }));
    const poisonIds = [signalId('default', 'msg_p2'), signalId('default', 'msg_p3')];
    await sql(cluster.schema, 'INSERT INTO test_poison (signal_id) VALUES ($1), ($2)', poisonIds);
    const ids: string[] = [];
    for (const [i, hook] of hooks.entries()) {
      const res = await cluster.post(i % 2, hook);
      assert.equal(res?.status, 202);
      ids.push(res!.id!);
    }
    assert.deepEqual(ids.slice(1, 3), poisonIds);
    await until('the good ones hedged and the poisoned ones dead', async () => {
      const rows = await sql<{ state: string }>(cluster.schema, 'SELECT state FROM signals ORDER BY seq');
      return rows.map((r) => r.state).join() === 'hedged,dead,dead,hedged';
    }, 30_000);

    // The CLI: the stores only, no consumer, no NATS.
    const cli = await openStores(
      { journal: { kind: 'postgres', url: POSTGRES_URL, schema: cluster.schema, pool: { max: 2, idleTimeoutMs: 1_000, connectionTimeoutMs: 5_000, statementTimeoutMs: 5_000 }, leaseMs: 30_000 }, queue: { kind: 'nats', url: 'nats://127.0.0.1:4222', stream: cluster.stream, partitions: 4, ackWaitMs: 2_000, maxDeliver: 10, replicas: 1, maxAgeMs: 3600_000, duplicateWindowMs: 120_000, storage: 'file', consume: true } },
      { dataDir: '/nonexistent', logger: silentLogger, role: 'cli' },
    );
    try {
      const entries = await cli.dlq.list();
      assert.deepEqual(entries.map((e) => e.signalId), poisonIds);
      assert.match(entries[0]!.reason, /not retryable: HH_ERR_INVALID_PAYLOAD/);
      await sql(cluster.schema, 'DELETE FROM test_poison');
      const { replayed } = await cli.dlq.replay('all', Date.now());
      assert.deepEqual(replayed, poisonIds, 'in original order');
      await until('the replayed signals hedged', async () => (await cluster.unsettled()) === 0 && (await cli.dlq.size()) === 0, 30_000);
      const states = await sql<{ id: string; state: string }>(cluster.schema, 'SELECT id, state FROM signals ORDER BY seq');
      assert.deepEqual(states.map((s) => s.state), ['hedged', 'hedged', 'hedged', 'hedged']);
      // The replayed pair ran again in their original order (after p4, which had moved on).
      const runs = await sql<{ signal_id: string }>(cluster.schema, 'SELECT signal_id FROM test_runs ORDER BY run');
      const last = runs.map((r) => r.signal_id).slice(-2);
      assert.deepEqual(last, poisonIds);
      const legs = await sql<{ n: number }>(cluster.schema, 'SELECT count(*)::int AS n FROM order_legs');
      assert.equal(legs[0]!.n, 4);
    } finally {
      await cli.close();
    }
  } finally {
    await cluster.done();
  }
});
