/**
 * The JetStream queue over the PostgreSQL journal, against the real servers: the SignalQueue
 * port as the worker uses it, with two or three "processes" (nodes with their own
 * connections, scale-out-node.ts) sharing one stream and one schema.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import { systemClock } from '../../src/core/clock.ts';
import type { Delivery } from '../../src/core/ports.ts';
import { Worker } from '../../src/engine/worker.ts';
import { isHedgehookError } from '../../src/core/errors.ts';
import { ensureTopology, partitionOf, resolveJetStreamSettings } from '../../src/journal/nats/index.ts';
import { makeSignal, retryable } from '../journal/fixtures.ts';
import { NATS_URL, bothMissing, sql } from './scale-out-env.ts';
import { deployment, until, type Node } from './scale-out-node.ts';

const skip = await bothMissing();

async function streamMessages(stream: string): Promise<number> {
  const nc = await connect({ servers: NATS_URL });
  try {
    return (await (await nc.jetstreamManager()).streams.info(stream)).state.messages;
  } finally {
    await nc.close();
  }
}

/** Claims on `node` until something comes (the message travels outbox → relay → JetStream). */
async function claimOne(node: Node, now = Date.now()): Promise<Delivery> {
  let got: Delivery[] = [];
  await until('a delivery', async () => (got = await node.jsq.queue.claim(1, now)).length > 0);
  return got[0]!;
}

describe('scale-out: JetStream queue', { skip }, () => {
  it('partitionOf is stable and spreads keys', () => {
    assert.equal(partitionOf('main|TRX/USDT:USDT', 16), partitionOf('main|TRX/USDT:USDT', 16));
    const used = new Set(Array.from({ length: 64 }, (_, i) => partitionOf(`acct${i}|TRX/USDT:USDT`, 8)));
    assert.equal(used.size, 8);
  });

  it('a different partition count is refused while messages are queued, accepted once the stream is empty', async () => {
    const d = await deployment({ partitions: 2 });
    try {
      const receiver = await d.start({ consume: false });
      await receiver.journal.append(makeSignal(1));
      await until('the message in the stream', async () => (await streamMessages(d.stream)) === 1);
      const nc = await connect({ servers: NATS_URL });
      try {
        const jsm = await nc.jetstreamManager();
        const grown = resolveJetStreamSettings({ ...d.settings, partitions: 4 });
        await assert.rejects(ensureTopology(jsm, grown), (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_CONFIG_INVALID' && /drain/.test(e.message));
        const worker = await d.start();
        const x = await claimOne(worker);
        await worker.jsq.queue.settle(x, { state: 'skipped' }, Date.now());
        await until('the stream to empty', async () => (await streamMessages(d.stream)) === 0);
        await ensureTopology(jsm, grown);
        const names: string[] = [];
        for await (const c of jsm.consumers.list(d.stream)) names.push(c.name);
        assert.ok(names.includes(`${d.stream}_p3`));
      } finally {
        await nc.close();
      }
    } finally {
      await d.done();
    }
  });

  it('append → outbox → JetStream → claim → settle: journaled once, acked, nothing left in the outbox or the stream', async () => {
    const d = await deployment();
    try {
      const node = await d.start();
      const signal = makeSignal(1);
      const appended = await node.journal.append(signal);
      assert.equal(appended.status, 'accepted');
      const delivery = await claimOne(node);
      assert.equal(delivery.id, signal.id);
      assert.equal(delivery.attempt, 1);
      assert.deepEqual(delivery.payload, signal.payload);
      assert.equal(await node.jsq.queue.depth(), 1);
      await node.jsq.queue.settle(delivery, { state: 'skipped', reason: 'test' }, Date.now());
      assert.equal((await node.journal.getSignal(signal.id))?.state, 'skipped');
      assert.equal(await node.jsq.queue.depth(), 0);
      await until('the stream to empty (work queue: gone on ack)', async () => (await streamMessages(d.stream)) === 0);
      assert.deepEqual(await node.outbox.pending(10), []);
      assert.equal(await node.jsq.queue.nextDueAt(), undefined);
    } finally {
      await d.done();
    }
  });

  it('an outbox row left by a receiver that died before relaying is published by another process', async () => {
    const d = await deployment();
    try {
      // The receiver commits the signal, then dies before its relay ran.
      const receiver = await d.start({ consume: false });
      await receiver.jsq.relay.stop();
      await receiver.journal.append(makeSignal(1));
      await receiver.kill();
      assert.equal((await sql(d.schema, 'SELECT count(*)::int AS n FROM outbox'))[0]!.n, 1);
      const survivor = await d.start();
      const delivery = await claimOne(survivor);
      assert.equal(delivery.id, makeSignal(1).id);
      await survivor.jsq.queue.settle(delivery, { state: 'skipped' }, Date.now());
      assert.equal((await sql(d.schema, 'SELECT count(*)::int AS n FROM outbox'))[0]!.n, 0);
    } finally {
      await d.done();
    }
  });

  it('a retry holds its partition: the key\'s next signal does not overtake it; the redelivery is attempt 2', async () => {
    const d = await deployment({ partitions: 1 });
    try {
      const node = await d.start();
      await node.journal.append(makeSignal({ n: 1, key: 'A' }));
      await node.journal.append(makeSignal({ n: 2, key: 'A' }));
      const first = await claimOne(node);
      assert.equal(first.seq, 1);
      const t = Date.now();
      await node.jsq.queue.retry(first, t + 400, retryable, t);
      assert.equal((await node.journal.getSignal(first.id))?.state, 'received');
      await new Promise((r) => setTimeout(r, 250));
      assert.deepEqual(await node.jsq.queue.claim(8, Date.now()), [], 'A#2 waits behind A#1');
      const again = await claimOne(node);
      assert.deepEqual([again.seq, again.attempt], [1, 2]);
      assert.ok(Date.now() - t >= 350, 'not before its back-off');
      await node.jsq.queue.settle(again, { state: 'skipped' }, Date.now());
      const second = await claimOne(node);
      assert.equal(second.seq, 2);
      await node.jsq.queue.settle(second, { state: 'skipped' }, Date.now());
      const events = await node.journal.listEvents(first.id);
      assert.deepEqual(events.map((e) => e.type), ['received', 'retry', 'processed']);
    } finally {
      await d.done();
    }
  });

  it('a process killed mid-delivery: ack wait runs out, another process finishes the signal; the late settle is fenced off', async () => {
    const d = await deployment({ ackWaitMs: 700, partitions: 1 });
    try {
      const a = await d.start();
      const b = await d.start();
      await a.journal.append(makeSignal({ n: 1, key: 'A' }));
      await a.journal.append(makeSignal({ n: 2, key: 'A' }));
      // Whoever gets the head first "dies" holding it.
      let holder: Node | undefined;
      let held: Delivery | undefined;
      await until('one process to hold A#1', async () => {
        for (const n of [a, b]) {
          const [x] = await n.jsq.queue.claim(1, Date.now());
          if (x) [holder, held] = [n, x];
        }
        return held !== undefined;
      });
      const other = holder === a ? b : a;
      const journalOfDead = holder!.journal;
      await holder!.jsq.connection.close(); // the socket closes; nothing is acked or handed back
      const redelivered = await claimOne(other);
      assert.deepEqual([redelivered.seq, redelivered.attempt], [1, 2]);
      assert.equal(await journalOfDead.settleDelivery(held!, { state: 'hedged' }, Date.now()), false, 'fenced');
      await other.jsq.queue.settle(redelivered, { state: 'skipped' }, Date.now());
      const next = await claimOne(other);
      assert.equal(next.seq, 2);
      await other.jsq.queue.settle(next, { state: 'skipped' }, Date.now());
      const view = await other.journal.getSignal(held!.id);
      assert.equal(view?.state, 'skipped');
      assert.equal(view?.attempts, 2);
    } finally {
      await d.done();
    }
  });

  it('two processes running real workers: every signal settled once, per key in order, never two of a key at once', async () => {
    const d = await deployment({ partitions: 4 });
    const workers: Worker[] = [];
    try {
      const nodes = [await d.start(), await d.start()];
      const order = new Map<string, number[]>();
      const active = new Set<string>();
      let overlaps = 0;
      let runs = 0;
      for (const node of nodes) {
        const worker = new Worker({
          queue: node.jsq.queue,
          clock: systemClock,
          random: () => 0.5,
          concurrency: 4,
          pollMs: 50,
          process: async (delivery) => {
            runs++;
            if (active.has(delivery.partitionKey)) overlaps++;
            active.add(delivery.partitionKey);
            await new Promise((r) => setTimeout(r, 1));
            const list = order.get(delivery.partitionKey) ?? [];
            list.push(delivery.seq);
            order.set(delivery.partitionKey, list);
            active.delete(delivery.partitionKey);
            return { state: 'skipped' };
          },
        });
        worker.start();
        workers.push(worker);
      }
      const keys = ['A', 'B', 'C', 'D', 'E', 'F'];
      // Appends spread over both processes, each key's in order.
      for (let n = 0; n < 120; n++) await nodes[n % 2]!.journal.append(makeSignal({ n, key: keys[n % keys.length]! }));
      await until('every signal settled', async () => (await nodes[0]!.jsq.queue.depth()) === 0, 20_000);
      assert.equal(runs, 120, 'each signal ran exactly once');
      assert.equal(overlaps, 0);
      for (const [key, seqs] of order) assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), `order of ${key}`);
      const states = await sql<{ state: string; n: number }>(d.schema, 'SELECT state, count(*)::int AS n FROM signals GROUP BY state');
      assert.deepEqual(states, [{ state: 'skipped', n: 120 }]);
      assert.ok(nodes.every((n) => n.jsq.queue.counters.claimed > 0), 'both processes took work');
    } finally {
      for (const w of workers) await w.stop();
      await d.done();
    }
  });

  it('max deliveries reached (its processes keep dying): dead-lettered from the advisory, the partition moves on, replay from another process runs it again', async () => {
    const d = await deployment({ ackWaitMs: 500, maxDeliver: 2, partitions: 1 });
    try {
      const first = await d.start();
      await first.journal.append(makeSignal({ n: 1, key: 'A' }));
      await first.journal.append(makeSignal({ n: 2, key: 'A' }));
      const d1 = await claimOne(first);
      assert.equal(d1.seq, 1);
      await first.kill();
      const second = await d.start();
      const d2 = await claimOne(second);
      assert.deepEqual([d2.seq, d2.attempt], [1, 2]);
      await second.kill();
      // The third process sees neither delivery again; JetStream gave up on seq 1.
      const third = await d.start();
      await until('the DLQ entry', async () => (await third.journal.size()) === 1);
      const [entry] = await third.journal.list();
      assert.equal(entry?.signalId, d1.id);
      assert.match(entry!.reason, /gave up after 2 deliveries/);
      assert.equal((await third.journal.getSignal(d1.id))?.state, 'dead');
      const next = await claimOne(third);
      assert.equal(next.seq, 2, 'the partition moved on');
      await third.jsq.queue.settle(next, { state: 'skipped' }, Date.now());
      await until('the abandoned message removed from the stream', async () => (await streamMessages(d.stream)) === 0);
      // Replay from a process that does not consume (the CLI would be one).
      const cli = await d.start({ consume: false });
      assert.deepEqual((await cli.journal.replay('all', Date.now())).replayed, [d1.id]);
      const replayed = await claimOne(third);
      assert.deepEqual([replayed.seq, replayed.attempt], [1, 1]);
      await third.jsq.queue.settle(replayed, { state: 'skipped' }, Date.now());
      assert.equal((await third.journal.getSignal(d1.id))?.state, 'skipped');
      assert.deepEqual((await third.journal.listEvents(d1.id)).map((e) => e.type), ['received', 'dead', 'replayed', 'processed']);
      assert.equal(await third.journal.size(), 0);
    } finally {
      await d.done();
    }
  });

  it('dead-letter, then replay of several signals in original order, across processes', async () => {
    const d = await deployment({ partitions: 2 });
    try {
      const a = await d.start();
      const b = await d.start({ consume: false });
      for (let n = 1; n <= 4; n++) await a.journal.append(makeSignal({ n, key: n % 2 ? 'X' : 'Y' }));
      const dead: string[] = [];
      while (dead.length < 4) {
        const x = await claimOne(a);
        await a.jsq.queue.deadLetter(x, 'not retryable: test', { ...retryable, retryable: false }, Date.now());
        dead.push(x.id);
      }
      assert.deepEqual((await b.journal.list()).map((e) => e.seq), [1, 2, 3, 4]);
      const { replayed } = await b.journal.replay('all', Date.now());
      assert.deepEqual(replayed, [1, 2, 3, 4].map((n) => makeSignal({ n, key: n % 2 ? 'X' : 'Y' }).id));
      const perKey = new Map<string, number[]>();
      for (let i = 0; i < 4; i++) {
        const x = await claimOne(a);
        perKey.set(x.partitionKey, [...(perKey.get(x.partitionKey) ?? []), x.seq]);
        await a.jsq.queue.settle(x, { state: 'skipped' }, Date.now());
      }
      assert.deepEqual(perKey.get('main|X'), [1, 3]);
      assert.deepEqual(perKey.get('main|Y'), [2, 4]);
    } finally {
      await d.done();
    }
  });

  it('a graceful stop hands held messages back at once: the other process gets them without waiting for ack wait', async () => {
    const d = await deployment({ ackWaitMs: 30_000, partitions: 2 });
    try {
      const a = await d.start();
      for (let n = 1; n <= 2; n++) await a.journal.append(makeSignal({ n, key: `K${n}` }));
      await until('both messages buffered in the first process', () => a.jsq.queue.held === 2);
      const b = await d.start();
      const t = Date.now();
      await a.stop();
      const got = [await claimOne(b), await claimOne(b)].map((x) => x.seq).sort();
      assert.deepEqual(got, [1, 2]);
      assert.ok(Date.now() - t < 10_000, 'well before ack wait');
    } finally {
      await d.done();
    }
  });
});
