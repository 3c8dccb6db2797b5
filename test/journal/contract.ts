/**
 * The journal contract: Journal, SignalQueue and DeadLetterQueue semantics every adapter
 * must have. Registered once per adapter (memory.test.ts, sqlite.test.ts, and PostgreSQL in
 * test/integration/scale-out-postgres.test.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HedgehookError } from '../../src/core/errors.ts';
import type { Delivery } from '../../src/core/ports.ts';
import type { JournalStore } from '../../src/journal/types.ts';
import { makeSignal, nextTurn, retryable, type Adapter, type Harness } from './fixtures.ts';

/** What breaking writes returns: the cure. A server-backed store may need to await both. */
export type Heal = () => void | Promise<void>;

/**
 * The adapter as the contract needs it: the in-process ones (fixtures.ts) fit; a store on a
 * real server (PostgreSQL, test/integration/) opens and breaks asynchronously.
 */
export interface ContractHarness extends Omit<Harness, 'breakWrites'> {
  breakWrites(): Heal | Promise<Heal>;
}

export interface ContractAdapter {
  name: string;
  open(): ContractHarness | Promise<ContractHarness>;
}

const T0 = 1_800_000_000_000;

function isUnavailable(err: unknown): boolean {
  return err instanceof HedgehookError && err.code === 'HH_ERR_JOURNAL_UNAVAILABLE';
}

async function withHarness(adapter: Adapter | ContractAdapter, fn: (h: ContractHarness, j: JournalStore) => Promise<void>): Promise<void> {
  const h = await adapter.open();
  try {
    await fn(h, h.journal);
  } finally {
    await h.cleanup();
  }
}

/** Appends specs in one turn (one batch); returns their results in order. */
async function appendAll(j: JournalStore, ns: Parameters<typeof makeSignal>[0][]) {
  return Promise.all(ns.map((n) => j.append(makeSignal(n))));
}

async function claimIds(j: JournalStore, max: number, now: number): Promise<Delivery[]> {
  return j.claim(max, now);
}

export function journalContract(adapter: Adapter | ContractAdapter): void {
  describe(`journal contract: ${adapter.name}`, () => {
    describe('append', () => {
      test('append then get: the stored signal, received, with its payload', () =>
        withHarness(adapter, async (_h, j) => {
          const signal = makeSignal({ n: 1, key: 'TRX/USDT:USDT' });
          const result = await j.append(signal);
          assert.deepEqual(result, { status: 'accepted', id: signal.id, seq: 1 });
          const view = await j.getSignal(signal.id);
          assert.ok(view);
          assert.equal(view.id, signal.id);
          assert.equal(view.seq, 1);
          assert.equal(view.state, 'received');
          assert.equal(view.source, 'default');
          assert.equal(view.account, 'main');
          assert.equal(view.symbol, 'TRX/USDT:USDT');
          assert.equal(view.attempts, 0);
          assert.equal(view.receivedAt, signal.receivedAt);
          assert.deepEqual(view.payload, signal.payload);
          assert.equal(view.outcome, undefined);
          assert.equal(await j.getSignal('sig_nope'), undefined);
          assert.equal(await j.depth(), 1);
        }));

      test('the stored copy does not change when the caller mutates its object later', () =>
        withHarness(adapter, async (_h, j) => {
          const signal = makeSignal(1);
          const pending = j.append(signal);
          signal.payload.action = 'close';
          await pending;
          assert.equal((await j.getSignal(signal.id))?.payload.action, 'open');
        }));

      test('sequence numbers follow append order; duplicates do not consume one', () =>
        withHarness(adapter, async (_h, j) => {
          const results = await appendAll(j, [1, 2, 1, 3]);
          assert.deepEqual(
            results.map((r) => [r.status, r.seq]),
            [
              ['accepted', 1],
              ['accepted', 2],
              ['duplicate', 1],
              ['accepted', 3],
            ],
          );
          assert.equal((await j.append(makeSignal(4))).seq, 4);
        }));

      test('concurrent identical appends make one signal: one accepted, one duplicate of it', () =>
        withHarness(adapter, async (_h, j) => {
          const [a, b] = await Promise.all([j.append(makeSignal(7)), j.append(makeSignal(7))]);
          assert.deepEqual([a!.status, b!.status].sort(), ['accepted', 'duplicate']);
          assert.equal(a!.id, b!.id);
          assert.equal(a!.seq, b!.seq);
          assert.equal((await j.listSignals()).length, 1);
          assert.equal(await j.depth(), 1);
          const stats = j.stats();
          assert.equal(stats.accepted, 1);
          assert.equal(stats.duplicates, 1);
        }));

      test('a repeat in a later turn is a duplicate of the stored signal, whatever its state', () =>
        withHarness(adapter, async (_h, j) => {
          const first = await j.append(makeSignal(1));
          const [d] = await j.claim(1, T0);
          await j.settle(d!, { state: 'skipped' }, T0);
          const again = await j.append(makeSignal(1));
          assert.deepEqual(again, { status: 'duplicate', id: first.id, seq: first.seq });
          assert.equal(await j.depth(), 0, 'a duplicate is not queued again');
        }));

      // Ids are a hash of (source, dedup key), and the SQLite journal de-duplicates by id
      // alone: a clash must be refused, never mistaken for a duplicate of the stored signal.
      test('an id already used by another delivery is refused alone; the stored signal stays as it was', () =>
        withHarness(adapter, async (_h, j) => {
          const first = makeSignal(1);
          await j.append(first);
          const clash = { ...makeSignal(2), id: first.id };
          const [refused, other] = await Promise.allSettled([j.append(clash), j.append(makeSignal(3))]);
          assert.equal(refused.status, 'rejected');
          const err = (refused as PromiseRejectedResult).reason as { code?: string; message?: string };
          assert.equal(err.code, 'HH_ERR_INTERNAL');
          assert.match(String(err.message), /already used by another delivery/);
          assert.equal(other.status === 'fulfilled' && other.value.status, 'accepted', 'the rest of the batch is committed');
          const stored = await j.getSignal(first.id);
          assert.equal(stored?.seq, 1);
          assert.deepEqual(stored?.payload, first.payload);
          assert.equal((await j.listSignals()).length, 2);
          assert.equal(await j.depth(), 2, 'the clash is not queued');
        }));

      test('the same dedup key from two sources is two signals', () =>
        withHarness(adapter, async (_h, j) => {
          const [a, b] = await Promise.all([
            j.append(makeSignal({ n: 1, source: 'default', dedupKey: 'same' })),
            j.append(makeSignal({ n: 2, source: 'tv', dedupKey: 'same' })),
          ]);
          assert.equal(a!.status, 'accepted');
          assert.equal(b!.status, 'accepted');
          assert.notEqual(a!.id, b!.id);
        }));

      test('appends of one turn are one batch; each promise resolves only after it is committed', () =>
        withHarness(adapter, async (_h, j) => {
          const order: string[] = [];
          const pending = [1, 2, 3].map((n) => j.append(makeSignal(n)).then(() => order.push(`resolved ${n}`)));
          // Nothing is resolved in the turn of the call: the commit happens on setImmediate.
          await Promise.resolve();
          assert.deepEqual(order, []);
          await Promise.all(pending);
          assert.deepEqual(order, ['resolved 1', 'resolved 2', 'resolved 3']);
          assert.equal(j.stats().batches, 1);
        }));

      test('a failing batch rejects every append with HH_ERR_JOURNAL_UNAVAILABLE and keeps none of them', () =>
        withHarness(adapter, async (h, j) => {
          await j.append(makeSignal(1));
          const heal = await h.breakWrites();
          const results = await Promise.allSettled([2, 3, 4].map((n) => j.append(makeSignal(n))));
          await heal();
          assert.equal(results.length, 3);
          for (const r of results) {
            assert.equal(r.status, 'rejected');
            assert.ok(isUnavailable(r.reason), String(r.status === 'rejected' ? r.reason : ''));
            assert.equal((r.reason as HedgehookError).retryable, true);
          }
          assert.deepEqual((await j.listSignals()).map((s) => s.seq), [1]);
          for (const n of [2, 3, 4]) assert.equal(await j.getSignal(makeSignal(n).id), undefined);
          assert.equal(await j.depth(), 1);
          assert.equal(j.stats().failedBatches, 1);
          // The store works again once healed, and the sender's retry is accepted.
          assert.equal((await j.append(makeSignal(2))).status, 'accepted');
        }));

      test('close commits pending appends first; appends after close are refused', () =>
        withHarness(adapter, async (_h, j) => {
          const pending = j.append(makeSignal(1));
          await j.close();
          assert.equal((await pending).status, 'accepted');
          await assert.rejects(j.append(makeSignal(2)), isUnavailable);
          assert.equal(await j.isWritable(), false);
          await j.close(); // idempotent
        }));
    });

    describe('rejections', () => {
      test('recorded rejections are listed newest first with their details', () =>
        withHarness(adapter, async (_h, j) => {
          j.recordRejection({ at: T0, source: 'default', remoteAddr: '198.51.100.1', status: 401, code: 'HH_ERR_SIGNATURE_INVALID', reason: 'signature does not match', bodyExcerpt: '{"a"', headers: { 'user-agent': 'x' } });
          j.recordRejection({ at: T0 + 1, source: 'nope', remoteAddr: '198.51.100.2', status: 404, code: 'HH_ERR_UNKNOWN_SOURCE', reason: 'unknown webhook source' });
          await nextTurn();
          const list = await j.listRejections();
          assert.equal(list.length, 2);
          assert.equal(list[0]!.code, 'HH_ERR_UNKNOWN_SOURCE');
          assert.equal(list[0]!.bodyExcerpt, undefined);
          assert.equal(list[1]!.status, 401);
          assert.equal(list[1]!.bodyExcerpt, '{"a"');
          assert.deepEqual(list[1]!.headers, { 'user-agent': 'x' });
          assert.ok(list[0]!.seq > list[1]!.seq);
          assert.equal((await j.listRejections(1)).length, 1);
        }));

      test('a rejection that cannot be stored never throws; it is counted as lost', () =>
        withHarness(adapter, async (h, j) => {
          const heal = await h.breakWrites();
          assert.doesNotThrow(() => j.recordRejection({ at: T0, source: 'default', remoteAddr: 'x', status: 401, code: 'HH_ERR_SIGNATURE_INVALID', reason: 'r' }));
          await nextTurn();
          await nextTurn();
          await heal();
          assert.equal(j.stats().rejectionsLost, 1);
          assert.deepEqual(await j.listRejections(), []);
        }));
    });

    describe('reads', () => {
      test('listSignals: newest first, paging with beforeSeq, filters by state and source, limit', () =>
        withHarness(adapter, async (_h, j) => {
          await appendAll(j, [
            { n: 1, key: 'A' },
            { n: 2, key: 'B', source: 'tv' },
            { n: 3, key: 'C' },
            { n: 4, key: 'D', source: 'tv' },
            { n: 5, key: 'E' },
          ]);
          const [d] = await j.claim(1, T0);
          await j.settle(d!, { state: 'hedged', reason: 'ok', decision: { ratio: 0.5 }, orders: [{ venue: 'paper' }] }, T0 + 5);
          assert.deepEqual((await j.listSignals()).map((s) => s.seq), [5, 4, 3, 2, 1]);
          assert.deepEqual((await j.listSignals({ limit: 2 })).map((s) => s.seq), [5, 4]);
          assert.deepEqual((await j.listSignals({ limit: 2, beforeSeq: 4 })).map((s) => s.seq), [3, 2]);
          assert.deepEqual((await j.listSignals({ source: 'tv' })).map((s) => s.seq), [4, 2]);
          assert.deepEqual((await j.listSignals({ state: 'hedged' })).map((s) => s.seq), [1]);
          assert.deepEqual((await j.listSignals({ state: 'received', source: 'default', beforeSeq: 5 })).map((s) => s.seq), [3]);
          // One (account, symbol) key: what a process reloads before deciding it.
          await appendAll(j, [{ n: 6, key: 'C' }, { n: 7, key: 'C', account: 'other' }]);
          const c = makeSignal({ n: 3, key: 'C' }).partitionKey;
          assert.deepEqual((await j.listSignals({ partitionKey: c })).map((s) => s.seq), [6, 3]);
          assert.deepEqual((await j.listSignals({ partitionKey: c, beforeSeq: 6 })).map((s) => s.seq), [3]);
          assert.deepEqual((await j.listSignals({ partitionKey: makeSignal({ n: 7, key: 'C', account: 'other' }).partitionKey })).map((s) => s.seq), [7]);
          const hedged = await j.getSignal(makeSignal({ n: 1 }).id);
          assert.deepEqual(hedged?.outcome, { state: 'hedged', reason: 'ok', decision: { ratio: 0.5 }, orders: [{ venue: 'paper' }] });
          assert.equal(hedged?.updatedAt, T0 + 5);
        }));

      test('listSignals with outcome: false: the same signals, paged and filtered alike, each without its outcome', () =>
        withHarness(adapter, async (_h, j) => {
          await appendAll(j, [{ n: 1, key: 'A' }, { n: 2, key: 'A' }, { n: 3, key: 'B', source: 'tv' }]);
          const [d] = await j.claim(1, T0);
          await j.settle(d!, { state: 'hedged', reason: 'ok', decision: { ratio: 0.5 }, orders: [{ venue: 'paper' }] }, T0 + 5);
          const full = await j.listSignals();
          const lean = await j.listSignals({ outcome: false });
          assert.deepEqual(lean, full.map(({ outcome: _outcome, ...rest }) => rest));
          assert.ok(full.find((s) => s.seq === 1)?.outcome, 'the full listing holds the settled outcome');
          assert.deepEqual((await j.listSignals({ outcome: false, limit: 1, beforeSeq: 3 })).map((s) => [s.seq, s.outcome]), [[2, undefined]]);
          assert.deepEqual((await j.listSignals({ outcome: false, state: 'hedged' })).map((s) => [s.seq, s.state, s.updatedAt, s.outcome]), [[1, 'hedged', T0 + 5, undefined]]);
          const a = makeSignal({ n: 1, key: 'A' }).partitionKey;
          assert.deepEqual((await j.listSignals({ outcome: false, partitionKey: a })).map((s) => s.seq), [2, 1]);
          assert.deepEqual((await j.listSignals({ outcome: false, source: 'tv' })).map((s) => s.payload), [makeSignal({ n: 3, key: 'B', source: 'tv' }).payload]);
        }));

      test('listSignalFacts: newest first, paged, each signal\'s type, state and decided ratio as its full view has them', () =>
        withHarness(adapter, async (_h, j) => {
          const typed = (n: number, key: string, type?: unknown) => {
            const base = makeSignal({ n, key });
            const payload = { ...base.payload, ...(type === undefined ? {} : { type }) } as typeof base.payload;
            return { ...base, payload, body: JSON.stringify(payload) };
          };
          for (const s of [typed(1, 'A', 'breakout'), typed(2, 'B', 'news'), typed(3, 'C'), typed(4, 'D', 'breakout'), typed(5, 'E', 'news')]) await j.append(s);
          const [d1, d2, d3, d4] = await j.claim(4, T0);
          await j.settle(d1!, { state: 'hedged', decision: { ratio: 0.625 }, orders: [{ venue: 'paper' }] }, T0 + 1);
          await j.settle(d2!, { state: 'skipped', reason: 'flat', decision: { ratio: 0 } }, T0 + 1);
          await j.settle(d3!, { state: 'rejected', reason: 'a ratio that is not a number', decision: { ratio: 'high' } }, T0 + 1);
          await j.deadLetter(d4!, 'gave up', retryable, T0 + 1);
          const facts = await j.listSignalFacts();
          assert.deepEqual(facts, [
            { seq: 5, id: makeSignal({ n: 5, key: 'E' }).id, state: 'received', type: 'news' },
            { seq: 4, id: makeSignal({ n: 4, key: 'D' }).id, state: 'dead', type: 'breakout' },
            { seq: 3, id: makeSignal({ n: 3, key: 'C' }).id, state: 'rejected' },
            { seq: 2, id: makeSignal({ n: 2, key: 'B' }).id, state: 'skipped', type: 'news', ratio: 0 },
            { seq: 1, id: makeSignal({ n: 1, key: 'A' }).id, state: 'hedged', type: 'breakout', ratio: 0.625 },
          ]);
          // The same facts as the full listing gives, read without the outcomes.
          const full = await j.listSignals();
          assert.deepEqual(facts.map((f) => [f.seq, f.state, f.type]), full.map((v) => [v.seq, v.state, v.payload.type]));
          assert.deepEqual(
            facts.map((f) => f.ratio),
            full.map((v) => (v.outcome?.decision as { ratio?: unknown } | undefined)?.ratio).map((r) => (typeof r === 'number' ? r : undefined)),
          );
          assert.deepEqual((await j.listSignalFacts({ limit: 2 })).map((f) => f.seq), [5, 4]);
          assert.deepEqual((await j.listSignalFacts({ limit: 2, beforeSeq: 4 })).map((f) => f.seq), [3, 2]);
          assert.deepEqual((await j.listSignalFacts({ beforeSeq: 1 })), []);
        }));

      test('isWritable is true on a healthy store and false when writes fail', () =>
        withHarness(adapter, async (h, j) => {
          assert.equal(await j.isWritable(), true);
          const heal = await h.breakWrites();
          assert.equal(await j.isWritable(), false);
          await heal();
          assert.equal(await j.isWritable(), true);
        }));
    });

    describe('queue', () => {
      test('claim: at most one per key, the lowest seq of each key, lowest seqs first', () =>
        withHarness(adapter, async (_h, j) => {
          await appendAll(j, [
            { n: 1, key: 'A' },
            { n: 2, key: 'A' },
            { n: 3, key: 'B' },
            { n: 4, key: 'C' },
            { n: 5, key: 'B' },
          ]);
          const first = await claimIds(j, 2, T0);
          assert.deepEqual(first.map((d) => d.seq), [1, 3]);
          assert.deepEqual(first.map((d) => d.attempt), [1, 1]);
          assert.equal(first[0]!.partitionKey, 'main|A');
          assert.deepEqual(first[0]!.payload, makeSignal({ n: 1, key: 'A' }).payload);
          assert.equal((await j.getSignal(first[0]!.id))?.state, 'processing');
          assert.deepEqual((await claimIds(j, 8, T0)).map((d) => d.seq), [4], 'A and B are in flight');
          assert.deepEqual(await claimIds(j, 8, T0), []);
          assert.equal(await j.depth(), 5, 'in-flight signals are still unsettled');
          await j.settle(first[0]!, { state: 'skipped' }, T0);
          assert.deepEqual((await claimIds(j, 8, T0)).map((d) => d.seq), [2]);
          assert.equal(await j.depth(), 4);
          assert.deepEqual(await j.claim(0, T0), []);
        }));

      test('settle: final state and outcome, out of the queue, exactly one processed event, a stale settle is ignored', () =>
        withHarness(adapter, async (_h, j) => {
          await j.append(makeSignal(1));
          const [d] = await j.claim(1, T0);
          await j.settle(d!, { state: 'rejected', reason: 'over the limit' }, T0 + 1);
          await j.settle(d!, { state: 'hedged' }, T0 + 2);
          const view = await j.getSignal(d!.id);
          assert.equal(view?.state, 'rejected');
          assert.equal(view?.outcome?.reason, 'over the limit');
          assert.equal(await j.depth(), 0);
          const events = await j.listEvents(d!.id);
          assert.deepEqual(events.map((e) => e.type), ['received', 'processed']);
          assert.equal(events[1]!.at, T0 + 1);
          // The processed event carries what it recorded: the outcome, whole, as the signal shows it.
          assert.deepEqual(events[1]!.detail, { state: 'rejected', attempt: 1, outcome: { state: 'rejected', reason: 'over the limit' } });
          assert.deepEqual(view?.outcome, { state: 'rejected', reason: 'over the limit' });
        }));

      test('a replayed signal processed after its dead letter shows that outcome, however large, and its processed event keeps it', () =>
        withHarness(adapter, async (_h, j) => {
          await j.append(makeSignal(1));
          const [d1] = await j.claim(1, T0);
          await j.deadLetter(d1!, 'broken', { code: 'HH_ERR_INTERNAL', message: 'boom', retryable: false }, T0 + 1);
          assert.equal((await j.getSignal(d1!.id))?.outcome, undefined, 'dead: no outcome');
          await j.replay('all', T0 + 2);
          const [d2] = await j.claim(1, T0 + 3);
          const decision = { targetHedge: -30621, reasons: [{ code: 'HH_RISK_NO_CHANGE', detail: { big: 'x'.repeat(3000) } }] };
          await j.settle(d2!, { state: 'skipped', reason: 'at target', decision } as never, T0 + 4);
          const view = await j.getSignal(d2!.id);
          assert.equal(view?.state, 'skipped');
          assert.deepEqual(view?.outcome, { state: 'skipped', reason: 'at target', decision });
          assert.deepEqual((await j.listSignals({ limit: 5 }))[0]?.outcome, view?.outcome);
          const processed = (await j.listEvents(d2!.id)).filter((e) => e.type === 'processed');
          assert.deepEqual(processed.map((e) => e.detail), [{ state: 'skipped', attempt: 1, outcome: { state: 'skipped', reason: 'at target', decision } }]);
        }));

      test('settle refuses an outcome that is not final', () =>
        withHarness(adapter, async (_h, j) => {
          await j.append(makeSignal(1));
          const [d] = await j.claim(1, T0);
          await assert.rejects(j.settle(d!, { state: 'dead' as never }, T0), (err: unknown) => err instanceof HedgehookError && err.code === 'HH_ERR_INTERNAL');
          assert.equal((await j.getSignal(d!.id))?.state, 'processing');
        }));

      test('retry: released key, due again at notBefore, last error kept, attempts count on', () =>
        withHarness(adapter, async (_h, j) => {
          await appendAll(j, [
            { n: 1, key: 'A' },
            { n: 2, key: 'A' },
          ]);
          const [d1] = await j.claim(8, T0);
          await j.retry(d1!, T0 + 1000, retryable, T0);
          const view = await j.getSignal(d1!.id);
          assert.equal(view?.state, 'received');
          assert.deepEqual(view?.lastError, { code: retryable.code, message: retryable.message });
          assert.equal(view?.attempts, 1);
          assert.deepEqual(await j.claim(8, T0 + 999), [], 'the head of A waits; A#2 must not overtake it');
          assert.equal(await j.nextDueAt(), T0 + 1000);
          const [again] = await j.claim(8, T0 + 1000);
          assert.equal(again?.seq, 1);
          assert.equal(again?.attempt, 2);
          assert.equal(await j.nextDueAt(), undefined, 'A is in flight');
          const events = await j.listEvents(d1!.id);
          assert.deepEqual(events.map((e) => e.type), ['received', 'retry']);
          assert.deepEqual(events[1]!.detail, { attempt: 1, notBefore: T0 + 1000, error: retryable });
        }));

      test('nextDueAt: earliest waiting head not in flight; undefined when empty', () =>
        withHarness(adapter, async (_h, j) => {
          assert.equal(await j.nextDueAt(), undefined);
          await appendAll(j, [
            { n: 1, key: 'A' },
            { n: 2, key: 'B' },
          ]);
          const ds = await j.claim(8, T0);
          await j.retry(ds[0]!, T0 + 500, retryable, T0);
          assert.equal(await j.nextDueAt(), T0 + 500);
          await j.retry(ds[1]!, T0 + 200, retryable, T0);
          assert.equal(await j.nextDueAt(), T0 + 200);
        }));

      test('deadLetter: the DLQ entry exists and the signal is dead, out of the queue; the key moves on', () =>
        withHarness(adapter, async (_h, j) => {
          await appendAll(j, [
            { n: 1, key: 'A' },
            { n: 2, key: 'A' },
          ]);
          let [d] = await j.claim(8, T0);
          await j.retry(d!, T0, retryable, T0);
          [d] = await j.claim(8, T0);
          const error = { code: 'HH_ERR_INVALID_PAYLOAD', message: 'bad', retryable: false };
          await j.deadLetter(d!, 'not retryable: HH_ERR_INVALID_PAYLOAD: bad', error, T0 + 7);
          const view = await j.getSignal(d!.id);
          assert.equal(view?.state, 'dead');
          assert.equal(view?.attempts, 2);
          const entries = await j.list();
          assert.equal(entries.length, 1);
          assert.deepEqual(entries[0], {
            id: entries[0]!.id,
            signalId: d!.id,
            seq: 1,
            source: 'default',
            partitionKey: 'main|A',
            reason: 'not retryable: HH_ERR_INVALID_PAYLOAD: bad',
            attempts: 2,
            lastError: error,
            deadAt: T0 + 7,
          });
          assert.equal(await j.size(), 1);
          assert.equal(await j.depth(), 1);
          assert.deepEqual((await j.claim(8, T0 + 7)).map((x) => x.seq), [2]);
          assert.deepEqual((await j.listEvents(d!.id)).map((e) => e.type), ['received', 'retry', 'dead']);
          // A stale second dead-letter of the same delivery adds nothing.
          await j.deadLetter(d!, 'again', error, T0 + 8);
          assert.equal(await j.size(), 1);
        }));

      test('onWork is notified after an append commits and after a replay; unsubscribe stops it', () =>
        withHarness(adapter, async (_h, j) => {
          const seen: string[] = [];
          const off = j.onWork(() => seen.push('work'));
          const p = j.append(makeSignal(1));
          assert.deepEqual(seen, []);
          await p;
          assert.deepEqual(seen, ['work']);
          await j.append(makeSignal(1)); // a duplicate is no new work
          assert.deepEqual(seen, ['work']);
          const [d] = await j.claim(1, T0);
          await j.deadLetter(d!, 'r', retryable, T0);
          await j.replay('all', T0);
          assert.deepEqual(seen, ['work', 'work']);
          off();
          await j.append(makeSignal(2));
          assert.deepEqual(seen, ['work', 'work']);
        }));
    });

    describe('dead-letter queue', () => {
      async function killAll(j: JournalStore, now: number) {
        for (;;) {
          const ds = await j.claim(8, now);
          if (ds.length === 0) return;
          for (const d of ds) await j.deadLetter(d, `dead ${d.seq}`, retryable, now);
        }
      }

      test('list in original order; replay puts entries back in original order; a second replay does nothing', () =>
        withHarness(adapter, async (_h, j) => {
          await appendAll(j, [
            { n: 1, key: 'A' },
            { n: 2, key: 'B' },
            { n: 3, key: 'A' },
            { n: 4, key: 'B' },
            { n: 5, key: 'A' },
          ]);
          // Kill B's first, so that death order differs from sequence order.
          const first = await j.claim(8, T0);
          await j.deadLetter(first[1]!, 'dead', retryable, T0);
          await j.deadLetter(first[0]!, 'dead', retryable, T0 + 1);
          await killAll(j, T0 + 2);
          assert.deepEqual((await j.list()).map((e) => e.seq), [1, 2, 3, 4, 5]);

          const result = await j.replay('all', T0 + 10);
          assert.deepEqual(result.replayed, [1, 2, 3, 4, 5].map((n) => makeSignal(n).id));
          assert.equal(await j.size(), 0);
          assert.equal(await j.depth(), 5);
          const view = await j.getSignal(makeSignal(3).id);
          assert.equal(view?.state, 'received');
          assert.equal(view?.attempts, 0, 'attempts reset');

          assert.deepEqual(await j.replay('all', T0 + 11), { replayed: [] });
          assert.equal(await j.depth(), 5, 'the second replay queued nothing');

          // Claimed again strictly in original order per key, attempt 1.
          const order: number[] = [];
          for (;;) {
            const ds = await j.claim(8, T0 + 20);
            if (ds.length === 0) break;
            for (const d of ds) {
              assert.equal(d.attempt, 1);
              order.push(d.seq);
              await j.settle(d, { state: 'skipped' }, T0 + 20);
            }
          }
          assert.deepEqual(order, [1, 2, 3, 4, 5]);
          const events = (await j.listEvents(makeSignal(1).id)).map((e) => e.type);
          assert.deepEqual(events, ['received', 'dead', 'replayed', 'processed']);
        }));

      test('replay by id, in original order whatever the order asked; unknown or repeated ids are ignored', () =>
        withHarness(adapter, async (_h, j) => {
          await appendAll(j, [1, 2, 3].map((n) => ({ n, key: `K${n}` })));
          await killAll(j, T0);
          const ids = [3, 1].map((n) => makeSignal(n).id);
          const result = await j.replay({ ids: [...ids, 'sig_unknown', ids[0]!] }, T0 + 1);
          assert.deepEqual(result.replayed, [makeSignal(1).id, makeSignal(3).id]);
          assert.deepEqual((await j.list()).map((e) => e.seq), [2]);
          assert.deepEqual(await j.replay({ ids }, T0 + 2), { replayed: [] });
          assert.deepEqual(await j.replay({ ids: [] }, T0 + 2), { replayed: [] });
        }));

      test('a replayed signal that dies again is a new entry, replayable again', () =>
        withHarness(adapter, async (_h, j) => {
          await j.append(makeSignal(1));
          await killAll(j, T0);
          await j.replay('all', T0 + 1);
          await killAll(j, T0 + 2);
          const entries = await j.list();
          assert.equal(entries.length, 1);
          assert.equal(entries[0]!.deadAt, T0 + 2);
          assert.deepEqual((await j.replay('all', T0 + 3)).replayed, [makeSignal(1).id]);
        }));

      test('purge removes the entry; the signal stays dead in the journal; purge and replay after it do nothing', () =>
        withHarness(adapter, async (_h, j) => {
          await appendAll(j, [1, 2].map((n) => ({ n, key: `K${n}` })));
          await killAll(j, T0);
          const id = makeSignal(1).id;
          assert.equal(await j.purge(id, T0 + 1), true);
          assert.deepEqual((await j.list()).map((e) => e.seq), [2]);
          assert.equal((await j.getSignal(id))?.state, 'dead');
          assert.equal(await j.purge(id, T0 + 2), false);
          assert.equal(await j.purge('sig_unknown', T0 + 2), false);
          assert.deepEqual((await j.replay({ ids: [id] }, T0 + 3)).replayed, []);
          assert.deepEqual((await j.listEvents(id)).map((e) => e.type), ['received', 'dead', 'purged']);
        }));
    });
  });
}
