/**
 * The worker over both journal adapters, driven by a ManualClock: ordering per key,
 * parallelism across keys, retries with backoff, the DLQ, replay, draining, recovery.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.ts';
import { HedgehookError } from '../../src/core/errors.ts';
import type { Delivery, SignalProcessor } from '../../src/core/ports.ts';
import type { ProcessingOutcome, SignalState } from '../../src/core/signal.ts';
import { Worker, type WorkerOptions } from '../../src/engine/worker.ts';
import { ADAPTERS, deferred, makeSignal, nextTurn, sqliteAdapter, type Adapter, type Harness } from '../journal/fixtures.ts';

const T0 = 1_800_000_000_000;
/** Hang guard only: a broken worker would otherwise wait forever. No assertion depends on time. */
const GUARD = { timeout: 20_000 };

const skipped: ProcessingOutcome = { state: 'skipped', reason: 'test' };

interface Rig {
  h: Harness;
  clock: ManualClock;
  worker: Worker;
  settled: [SignalState, string][];
  retries: number[];
  done(): Promise<void>;
}

function rig(adapter: Adapter, process: SignalProcessor, options: Partial<WorkerOptions> = {}): Rig {
  const h = adapter.open();
  const clock = new ManualClock(T0);
  const settled: [SignalState, string][] = [];
  const retries: number[] = [];
  const worker = new Worker({
    queue: h.journal,
    process,
    clock,
    random: () => 0.5,
    onSettled: (state, d) => settled.push([state, d.id]),
    onRetry: (_d, _e, delay) => retries.push(delay),
    ...options,
  });
  return {
    h,
    clock,
    worker,
    settled,
    retries,
    async done() {
      await worker.stop();
      await h.cleanup();
    },
  };
}

for (const adapter of ADAPTERS) {
  describe(`worker over the ${adapter.name} journal`, () => {
    test('processes appended signals and settles each with its outcome', GUARD, async () => {
      const r = rig(adapter, async (d) => ({ state: 'hedged', decision: { seq: d.seq } }));
      try {
        r.worker.start();
        await Promise.all([1, 2, 3].map((n) => r.h.journal.append(makeSignal({ n, key: `K${n}` }))));
        await r.worker.idle();
        for (const n of [1, 2, 3]) {
          const view = await r.h.journal.getSignal(makeSignal(n).id);
          assert.equal(view?.state, 'hedged');
          assert.equal(view?.attempts, 1);
          assert.deepEqual(view?.outcome?.decision, { seq: n });
        }
        assert.deepEqual(r.worker.counters, { processed: 3, retried: 0, deadLettered: 0, queueErrors: 0 });
        assert.equal(r.settled.length, 3);
        assert.equal(await r.h.journal.depth(), 0);
      } finally {
        await r.done();
      }
    });

    test('signals of one key run strictly in sequence order while other keys run in parallel', GUARD, async () => {
      const started: number[] = [];
      const active = new Map<string, number>();
      let maxPerKey = 0;
      let maxTotal = 0;
      let total = 0;
      const bDone = deferred();
      let bCount = 0;
      const r = rig(
        adapter,
        async (d) => {
          started.push(d.seq);
          active.set(d.partitionKey, (active.get(d.partitionKey) ?? 0) + 1);
          total++;
          maxPerKey = Math.max(maxPerKey, active.get(d.partitionKey)!);
          maxTotal = Math.max(maxTotal, total);
          try {
            // A's first signal cannot finish until every B signal has been processed: with
            // serial processing this would never happen; with per-key ordering broken, A's
            // later signals would overtake it.
            if (d.partitionKey === 'main|A' && d.seq === 1) await bDone.promise;
            else await nextTurn();
            if (d.partitionKey === 'main|B' && ++bCount === 5) bDone.resolve();
            return skipped;
          } finally {
            active.set(d.partitionKey, active.get(d.partitionKey)! - 1);
            total--;
          }
        },
        { concurrency: 8 },
      );
      try {
        r.worker.start();
        // Interleaved: A1 B2 A3 B4 … A9 B10
        await Promise.all(Array.from({ length: 10 }, (_, i) => r.h.journal.append(makeSignal({ n: i + 1, key: i % 2 === 0 ? 'A' : 'B' }))));
        await r.worker.idle();
        const aOrder = started.filter((s) => s % 2 === 1);
        const bOrder = started.filter((s) => s % 2 === 0);
        assert.deepEqual(aOrder, [1, 3, 5, 7, 9]);
        assert.deepEqual(bOrder, [2, 4, 6, 8, 10]);
        assert.equal(maxPerKey, 1, 'never two deliveries of one key at once');
        assert.equal(maxTotal, 2, 'A and B were in flight together');
        assert.ok(started.indexOf(10) < started.indexOf(3), 'all of B ran while A#1 was still in flight');
        assert.equal(r.worker.counters.processed, 10);
      } finally {
        await r.done();
      }
    });

    test('never more deliveries in flight than the concurrency', GUARD, async () => {
      let active = 0;
      let max = 0;
      const r = rig(
        adapter,
        async () => {
          max = Math.max(max, ++active);
          await nextTurn();
          await nextTurn();
          active--;
          return skipped;
        },
        { concurrency: 3 },
      );
      try {
        r.worker.start();
        await Promise.all(Array.from({ length: 12 }, (_, i) => r.h.journal.append(makeSignal({ n: i + 1, key: `K${i}` }))));
        await r.worker.idle();
        assert.equal(max, 3);
        assert.equal(r.worker.counters.processed, 12);
      } finally {
        await r.done();
      }
    });

    test('a retryable failure is retried with exponential backoff on the clock, then dead-lettered after 5 attempts', GUARD, async () => {
      const attempts: number[] = [];
      const r = rig(adapter, async (d) => {
        attempts.push(d.attempt);
        throw new Error('venue down\nstack noise');
      });
      try {
        r.worker.start();
        const signal = makeSignal(1);
        await r.h.journal.append(signal);
        await r.worker.idle();
        assert.deepEqual(attempts, [1]);
        // random = 0.5, full jitter: 0.5 × 200 × 2^(n−1)
        for (const [i, delay] of [100, 200, 400, 800].entries()) {
          assert.equal(await r.h.journal.nextDueAt(), r.clock.now() + delay);
          r.clock.advance(delay - 1);
          await r.worker.idle();
          assert.equal(attempts.length, i + 1, `not retried before its time (attempt ${i + 2})`);
          r.clock.advance(1);
          await r.worker.idle();
          assert.equal(attempts.length, i + 2, `retried when due (attempt ${i + 2})`);
        }
        assert.deepEqual(attempts, [1, 2, 3, 4, 5]);
        assert.deepEqual(r.retries, [100, 200, 400, 800]);
        const view = await r.h.journal.getSignal(signal.id);
        assert.equal(view?.state, 'dead');
        assert.equal(view?.attempts, 5);
        const [entry] = await r.h.journal.list();
        assert.equal(entry?.signalId, signal.id);
        assert.equal(entry?.attempts, 5);
        assert.equal(entry?.reason, 'gave up after 5 attempts: HH_ERR_PROCESSING_FAILED: venue down');
        assert.deepEqual(entry?.lastError, { code: 'HH_ERR_PROCESSING_FAILED', message: 'venue down', retryable: true });
        assert.equal(entry?.deadAt, r.clock.now());
        assert.deepEqual(r.worker.counters, { processed: 0, retried: 4, deadLettered: 1, queueErrors: 0 });
        assert.deepEqual(r.settled, [['dead', signal.id]]);
        assert.equal(await r.h.journal.depth(), 0);
        // Nothing more happens, however long we wait.
        r.clock.advance(10 * 60_000);
        await r.worker.idle();
        assert.equal(attempts.length, 5);
      } finally {
        await r.done();
      }
    });

    test('a non-retryable error dead-letters at once', GUARD, async () => {
      const r = rig(adapter, async (d) => {
        if (d.seq === 1) throw new HedgehookError('HH_ERR_INVALID_PAYLOAD', 'unknown symbol');
        throw new HedgehookError('HH_ERR_PROCESSING_FAILED', 'venue rejected the order for good', { retryable: false });
      });
      try {
        r.worker.start();
        await Promise.all([r.h.journal.append(makeSignal({ n: 1, key: 'A' })), r.h.journal.append(makeSignal({ n: 2, key: 'B' }))]);
        await r.worker.idle();
        const entries = await r.h.journal.list();
        assert.deepEqual(
          entries.map((e) => [e.seq, e.attempts, e.reason]),
          [
            [1, 1, 'not retryable: HH_ERR_INVALID_PAYLOAD: unknown symbol'],
            [2, 1, 'not retryable: HH_ERR_PROCESSING_FAILED: venue rejected the order for good'],
          ],
        );
        assert.equal(entries[0]!.lastError.retryable, false);
        assert.equal((await r.h.journal.getSignal(makeSignal(1).id))?.state, 'dead');
        assert.deepEqual(r.worker.counters, { processed: 0, retried: 0, deadLettered: 2, queueErrors: 0 });
      } finally {
        await r.done();
      }
    });

    test('a signal that fails then succeeds holds back the later signals of its key until it is done', GUARD, async () => {
      const log: string[] = [];
      const r = rig(adapter, async (d) => {
        log.push(`${d.seq}#${d.attempt}`);
        if (d.seq === 1 && d.attempt < 3) throw new Error('blip');
        return { state: 'hedged' };
      });
      try {
        r.worker.start();
        await Promise.all([1, 2].map((n) => r.h.journal.append(makeSignal({ n, key: 'A' }))));
        await r.worker.idle();
        r.clock.advance(100);
        await r.worker.idle();
        r.clock.advance(200);
        await r.worker.idle();
        assert.deepEqual(log, ['1#1', '1#2', '1#3', '2#1']);
        const first = await r.h.journal.getSignal(makeSignal(1).id);
        assert.equal(first?.state, 'hedged');
        assert.equal(first?.attempts, 3);
        assert.equal(first?.lastError?.message, 'blip');
        assert.deepEqual(r.worker.counters, { processed: 2, retried: 2, deadLettered: 0, queueErrors: 0 });
      } finally {
        await r.done();
      }
    });

    test('replay from the DLQ runs the signals again in their original order; a second replay does nothing', GUARD, async () => {
      let failing = true;
      const order: number[] = [];
      const r = rig(
        adapter,
        async (d) => {
          if (failing) throw new HedgehookError('HH_ERR_INVALID_PAYLOAD', 'not yet');
          order.push(d.seq);
          return skipped;
        },
        { concurrency: 1 },
      );
      try {
        r.worker.start();
        await Promise.all([1, 2, 3, 4, 5].map((n) => r.h.journal.append(makeSignal({ n, key: n % 2 ? 'A' : 'B' }))));
        await r.worker.idle();
        assert.equal(await r.h.journal.size(), 5);
        failing = false;
        const first = await r.h.journal.replay('all', r.clock.now());
        assert.equal(first.replayed.length, 5);
        await r.worker.idle();
        assert.deepEqual(order, [1, 2, 3, 4, 5]);
        assert.deepEqual(await r.h.journal.replay('all', r.clock.now()), { replayed: [] });
        await r.worker.idle();
        assert.deepEqual(order, [1, 2, 3, 4, 5]);
        assert.equal(r.worker.counters.processed, 5);
        assert.equal(await r.h.journal.size(), 0);
      } finally {
        await r.done();
      }
    });

    test('a processor that returns no valid outcome, or throws synchronously, is a failure of that signal', GUARD, async () => {
      const r = rig(adapter, ((d: Delivery) => {
        if (d.seq === 1) return Promise.resolve({ state: 'dead' } as unknown as ProcessingOutcome);
        if (d.seq === 2) return Promise.resolve(undefined as unknown as ProcessingOutcome);
        throw new HedgehookError('HH_ERR_INVALID_PAYLOAD', 'sync throw');
      }) as SignalProcessor);
      try {
        r.worker.start();
        await Promise.all([1, 2, 3].map((n) => r.h.journal.append(makeSignal({ n, key: `K${n}` }))));
        await r.worker.idle();
        const entries = await r.h.journal.list();
        assert.deepEqual(entries.map((e) => e.lastError.code), ['HH_ERR_INTERNAL', 'HH_ERR_INTERNAL', 'HH_ERR_INVALID_PAYLOAD']);
      } finally {
        await r.done();
      }
    });

    test('an outcome the journal cannot store dead-letters the signal instead of looping', GUARD, async () => {
      const r = rig(adapter, async () => ({ state: 'hedged', decision: { size: 10n } }));
      try {
        r.worker.start();
        await r.h.journal.append(makeSignal(1));
        await r.worker.idle();
        const [entry] = await r.h.journal.list();
        assert.equal(entry?.lastError.code, 'HH_ERR_INTERNAL');
        assert.equal(entry?.attempts, 1);
      } finally {
        await r.done();
      }
    });

    test('hooks that throw do not disturb processing', GUARD, async () => {
      const r = rig(adapter, async () => skipped, {
        onSettled: () => {
          throw new Error('metrics broke');
        },
      });
      try {
        r.worker.start();
        await r.h.journal.append(makeSignal(1));
        await r.worker.idle();
        assert.equal((await r.h.journal.getSignal(makeSignal(1).id))?.state, 'skipped');
        assert.equal(r.worker.counters.processed, 1);
      } finally {
        await r.done();
      }
    });

    test('stop() stops claiming and resolves only after in-flight work has settled; it leaves no timers', GUARD, async () => {
      const release = deferred();
      const started = deferred();
      const seen: number[] = [];
      const r = rig(
        adapter,
        async (d) => {
          seen.push(d.seq);
          started.resolve();
          await release.promise;
          return skipped;
        },
        { concurrency: 1 },
      );
      try {
        r.worker.start();
        assert.equal(r.clock.pendingTimers(), 1, 'the poll timer, on the clock');
        await Promise.all([1, 2].map((n) => r.h.journal.append(makeSignal({ n, key: `K${n}` }))));
        await started.promise;
        let stopped = false;
        const stopping = r.worker.stop().then(() => (stopped = true));
        await nextTurn();
        assert.equal(stopped, false, 'waits for the delivery in flight');
        release.resolve();
        await stopping;
        assert.equal((await r.h.journal.getSignal(makeSignal(1).id))?.state, 'skipped');
        assert.equal((await r.h.journal.getSignal(makeSignal(2).id))?.state, 'received', 'not claimed after stop');
        await r.h.journal.append(makeSignal(3));
        r.clock.advance(60_000);
        await r.worker.idle();
        assert.deepEqual(seen, [1]);
        assert.equal(r.clock.pendingTimers(), 0);
        assert.equal(r.worker.isRunning, false);
      } finally {
        await r.done();
      }
    });

    test('when the journal cannot be written the worker backs off, then recovers at the next poll', GUARD, async () => {
      const release = deferred();
      const attempts: number[] = [];
      const r = rig(adapter, async (d) => {
        attempts.push(d.attempt);
        if (d.attempt === 1) await release.promise;
        return skipped;
      });
      try {
        r.worker.start();
        await r.h.journal.append(makeSignal(1));
        await nextTurn();
        const heal = r.h.breakWrites();
        release.resolve();
        await r.worker.idle();
        heal();
        assert.equal(r.worker.counters.queueErrors, 1);
        assert.equal((await r.h.journal.getSignal(makeSignal(1).id))?.state, 'processing', 'nothing was written');
        assert.deepEqual(attempts, [1]);
        r.clock.advance(500);
        await r.worker.idle();
        assert.deepEqual(attempts, [1, 2], 'processed again: at-least-once');
        assert.equal((await r.h.journal.getSignal(makeSignal(1).id))?.state, 'skipped');
        const processed = (await r.h.journal.listEvents(makeSignal(1).id)).filter((e) => e.type === 'processed');
        assert.equal(processed.length, 1);
      } finally {
        await r.done();
      }
    });
  });
}

describe('worker over the sqlite journal, across processes', () => {
  test('start-up is recovery: a signal a crashed run left processing is processed again', GUARD, async () => {
    const h = sqliteAdapter.open();
    try {
      await h.journal.append(makeSignal(1));
      const [lost] = await h.journal.claim(1, T0); // the "crashed" run
      const restarted = h.reopen!();
      const clock = new ManualClock(T0);
      const seen: Delivery[] = [];
      const worker = new Worker({ queue: restarted, clock, random: () => 0.5, process: async (d) => (seen.push(d), skipped) });
      worker.start();
      await worker.idle();
      await worker.stop();
      assert.deepEqual(seen.map((d) => [d.id, d.attempt]), [[lost!.id, 2]]);
      assert.deepEqual((await restarted.listEvents(lost!.id)).filter((e) => e.type === 'processed').length, 1);
    } finally {
      await h.cleanup();
    }
  });

  test('work another process puts in the queue (a CLI replay) is picked up by polling', GUARD, async () => {
    let failing = true;
    const processed: string[] = [];
    const r = rig(
      sqliteAdapter,
      async (d) => {
        if (failing) throw new HedgehookError('HH_ERR_INVALID_PAYLOAD', 'not yet');
        processed.push(d.id);
        return skipped;
      },
      { pollMs: 500 },
    );
    try {
      r.worker.start();
      await r.h.journal.append(makeSignal(1));
      await r.worker.idle();
      assert.equal(await r.h.journal.size(), 1);
      failing = false;

      const cli = r.h.reopen!();
      assert.deepEqual((await cli.replay('all', T0)).replayed, [makeSignal(1).id]);
      await cli.close();

      // The running service was not told: it finds the work at its next poll.
      await r.worker.idle();
      assert.deepEqual(processed, []);
      r.clock.advance(499);
      await r.worker.idle();
      assert.deepEqual(processed, []);
      r.clock.advance(1);
      await r.worker.idle();
      assert.deepEqual(processed, [makeSignal(1).id]);
      assert.equal((await r.h.journal.getSignal(makeSignal(1).id))?.state, 'skipped');
    } finally {
      await r.done();
    }
  });
});
