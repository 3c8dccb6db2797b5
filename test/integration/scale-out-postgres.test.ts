/**
 * The PostgreSQL journal against a real server: the same contracts as SQLite and memory
 * (journal, model registry, kill switch), then what only a shared database shows —
 * migrations run once by concurrent processes, de-duplication and per-key order across
 * two journal instances (two processes), leases that let another process finish a killed
 * one's work, order legs unique by client order id.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStores } from '../../src/cli/stores.ts';
import { storesConfigOf } from '../../src/cli/stores-config.ts';
import { isHedgehookError } from '../../src/core/errors.ts';
import { silentLogger } from '../../src/journal/types.ts';
import type { OrderLeg } from '../../src/core/orders.ts';
import {
  POSTGRES_MIGRATIONS,
  PostgresControlStore,
  PostgresJournal,
  PostgresModelStore,
  PostgresOrderStore,
  PostgresOutbox,
  PostgresScheduledRuns,
  latestPostgresVersion,
  migratePostgres,
  openPostgres,
  type PostgresDatabase,
} from '../../src/journal/postgres/index.ts';
import { DEFAULT_MODEL, parseModelVersion } from '../../src/model/registry.ts';
import { controlContract } from '../journal/control-store-contract.ts';
import { scheduledRunsContract } from '../journal/scheduled-runs-contract.ts';
import { journalContract, type ContractAdapter } from '../journal/contract.ts';
import { assertTotalsBySignal } from '../journal/order-totals.ts';
import { makeSignal, retryable } from '../journal/fixtures.ts';
import { modelStoreContract } from '../model/model-store-contract.ts';
import { POSTGRES_URL, freshSchema, postgresMissing, sql } from './scale-out-env.ts';

const skip = await postgresMissing();
const T0 = 1_800_000_000_000;
const MODEL_OPTIONS = { defaultModel: DEFAULT_MODEL, validate: parseModelVersion };

/** A migrated database in a schema of its own; `done()` closes it and drops the schema. */
async function fresh(pool = 4): Promise<{ db: PostgresDatabase; schema: string; open(): Promise<PostgresDatabase>; done(): Promise<void> }> {
  const s = freshSchema();
  const dbs: PostgresDatabase[] = [];
  const open = async () => {
    const db = await openPostgres({ url: POSTGRES_URL, schema: s.schema, pool: { max: pool } });
    dbs.push(db);
    return db;
  };
  const db = await open();
  return {
    db,
    schema: s.schema,
    open,
    async done() {
      for (const d of dbs) await d.close();
      await s.drop();
    },
  };
}

/**
 * Makes every write to the journal fail as a broken disk would, from another connection:
 * a trigger raising on every table. The cure first lets the journal finish what it was
 * committing, so its counters are final when the test reads them.
 */
async function breakWrites(schema: string, journal: PostgresJournal) {
  const tables = ['signals', 'queue', 'outbox', 'signal_events', 'dead_letters', 'rejections', 'meta', 'partition_keys'];
  await sql(schema, `CREATE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated disk failure'; END $$`);
  for (const t of tables) await sql(schema, `CREATE TRIGGER test_fail BEFORE INSERT OR UPDATE OR DELETE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION test_fail()`);
  return async () => {
    await journal.flushWrites();
    await sql(schema, 'DROP FUNCTION test_fail() CASCADE');
  };
}

const postgresAdapter: ContractAdapter = {
  name: 'postgres',
  async open() {
    const f = await fresh();
    const journal = new PostgresJournal(f.db);
    return {
      journal,
      breakWrites: () => breakWrites(f.schema, journal),
      async cleanup() {
        await journal.close();
        await f.done();
      },
    };
  },
};

describe('scale-out: PostgreSQL journal', { skip }, () => {
  journalContract(postgresAdapter);

  modelStoreContract('PostgresModelStore', async () => {
    const f = await fresh(2);
    return { store: await PostgresModelStore.open(f.db, MODEL_OPTIONS), cleanup: () => f.done() };
  });

  controlContract('PostgresControlStore', async () => {
    const f = await fresh(2);
    return { store: new PostgresControlStore(f.db), cleanup: () => f.done() };
  });

  scheduledRunsContract('PostgresScheduledRuns (two pools, as two processes)', async () => {
    const f = await fresh(4);
    return { runs: new PostgresScheduledRuns(f.db), second: new PostgresScheduledRuns(await f.open()), cleanup: () => f.done() };
  });

  describe('migrations', () => {
    it('several processes starting at once migrate the schema exactly once', async () => {
      const s = freshSchema();
      const dbs: PostgresDatabase[] = [];
      try {
        const opened = await Promise.all([1, 2, 3].map(() => openPostgres({ url: POSTGRES_URL, schema: s.schema, pool: { max: 1 } })));
        dbs.push(...opened);
        const rows = await sql<{ version: number; name: string }>(s.schema, 'SELECT version, name FROM schema_migrations ORDER BY version');
        assert.deepEqual(rows.map((r) => r.version), POSTGRES_MIGRATIONS.map((m) => m.version));
        assert.equal(rows.length, latestPostgresVersion(POSTGRES_MIGRATIONS));
        // A later run has nothing to do.
        const again = await migratePostgres(opened[0]!, POSTGRES_MIGRATIONS);
        assert.deepEqual(again.applied, []);
        assert.equal(again.from, again.to);
      } finally {
        for (const d of dbs) await d.close();
        await s.drop();
      }
    });

    it('an older schema is brought forward; a newer one than this hedgehook knows is refused', async () => {
      const f = await fresh(1);
      try {
        await sql(f.schema, 'DROP TABLE order_legs, scheduled_runs; DROP INDEX signals_by_partition; DROP FUNCTION append_signals; DELETE FROM schema_migrations WHERE version >= 3');
        const report = await migratePostgres(f.db, POSTGRES_MIGRATIONS);
        assert.deepEqual(report.applied, [{ version: 3, name: 'order legs' }, { version: 4, name: 'key reads' }, { version: 5, name: 'scheduled runs' }, { version: 6, name: 'append function' }]);
        assert.equal((await sql(f.schema, 'SELECT count(*)::int AS n FROM order_legs'))[0]!.n, 0);
        await sql(f.schema, `INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')`);
        await assert.rejects(migratePostgres(f.db, POSTGRES_MIGRATIONS), (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_JOURNAL_UNAVAILABLE' && !e.retryable && /newer/.test(e.message));
      } finally {
        await f.done();
      }
    });

    it('refuses a schema name that is not a plain identifier', async () => {
      await assert.rejects(openPostgres({ url: POSTGRES_URL, schema: 'x; DROP TABLE y' }), (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_CONFIG_INVALID');
    });
  });

  describe('two processes on one database', () => {
    it('the same delivery appended by both at once is one signal', async () => {
      const f = await fresh();
      const a = new PostgresJournal(f.db);
      const b = new PostgresJournal(await f.open());
      try {
        const results = await Promise.all([1, 2, 3, 4, 5].flatMap((n) => [a.append(makeSignal(n)), b.append(makeSignal(n))]));
        for (let n = 0; n < 5; n++) {
          const [x, y] = [results[2 * n]!, results[2 * n + 1]!];
          assert.deepEqual([x.status, y.status].sort(), ['accepted', 'duplicate']);
          assert.equal(x.seq, y.seq);
        }
        assert.equal((await a.listSignals()).length, 5);
        assert.equal(await b.depth(), 5);
      } finally {
        await a.close();
        await b.close();
        await f.done();
      }
    });

    it('per key, sequence order is commit order, even with two writers racing on one key', async () => {
      const f = await fresh(8);
      const writers = [new PostgresJournal(f.db, { delivery: 'outbox' }), new PostgresJournal(await f.open(), { delivery: 'outbox' })];
      try {
        // Each writer appends its own signals of one key one after another (a sender that
        // waits for each 202); the two interleave freely.
        await Promise.all(
          writers.map(async (w, i) => {
            for (let n = 0; n < 40; n++) await w.append(makeSignal({ n: i * 1000 + n, key: 'HOT' }));
          }),
        );
        const rows = await sql<{ seq: number; dedup_key: string; id: number }>(f.schema, 'SELECT o.id, o.seq, s.dedup_key FROM outbox o JOIN signals s USING (seq) ORDER BY o.id');
        assert.equal(rows.length, 80);
        // Outbox order (publication order) is sequence order, and each sender's own order is kept.
        assert.deepEqual(rows.map((r) => Number(r.seq)), rows.map((r) => Number(r.seq)).sort((x, y) => x - y));
        for (const prefix of ['msg_', 'msg_1']) {
          const mine = rows.filter((r) => (prefix === 'msg_1' ? Number(r.dedup_key.slice(4)) >= 1000 : Number(r.dedup_key.slice(4)) < 1000));
          const ns = mine.map((r) => Number(r.dedup_key.slice(4)));
          assert.deepEqual(ns, [...ns].sort((x, y) => x - y));
        }
      } finally {
        for (const w of writers) await w.close();
        await f.done();
      }
    });

    it('claims never hand one key to both; a dead process\'s lease runs out and the other finishes its signal', async () => {
      const f = await fresh();
      const a = new PostgresJournal(f.db, { leaseMs: 300 });
      const b = new PostgresJournal(await f.open(), { leaseMs: 300 });
      try {
        await Promise.all([
          a.append(makeSignal({ n: 1, key: 'A' })),
          a.append(makeSignal({ n: 2, key: 'A' })),
          a.append(makeSignal({ n: 3, key: 'B' })),
        ]);
        const [fromA, fromB] = await Promise.all([a.claim(8, T0), b.claim(8, T0)]);
        const all = [...fromA!, ...fromB!];
        assert.deepEqual(all.map((d) => d.seq).sort(), [1, 3], 'each head once, A#2 waits behind A#1');
        // The holder of A#1 "dies": it stops renewing (closed) without settling.
        const holderOfA = fromA!.some((d) => d.seq === 1) ? a : b;
        const other = holderOfA === a ? b : a;
        const stuck = all.find((d) => d.seq === 1)!;
        await holderOfA.close();
        assert.deepEqual((await other.claim(8, T0)).map((d) => d.seq).filter((s) => s !== 3), [], 'A is still leased');
        await new Promise((r) => setTimeout(r, 350));
        const [again] = (await other.claim(8, T0)).filter((d) => d.seq === 1);
        assert.equal(again?.attempt, 2);
        // The late holder's settle is fenced off; the new one's counts.
        assert.equal(await other.settleDelivery(stuck, { state: 'hedged' }, T0), false);
        assert.equal(await other.settleDelivery(again!, { state: 'skipped' }, T0), true);
        assert.equal((await other.getSignal(again!.id))?.state, 'skipped');
        assert.deepEqual((await other.claim(8, T0)).map((d) => d.seq), [2]);
      } finally {
        await a.close();
        await b.close();
        await f.done();
      }
    });

    it('a running delivery keeps its lease past leaseMs: the other process does not take it', async () => {
      const f = await fresh();
      const a = new PostgresJournal(f.db, { leaseMs: 200 });
      const b = new PostgresJournal(await f.open(), { leaseMs: 200 });
      try {
        await a.append(makeSignal(1));
        const [d] = await a.claim(1, T0);
        await new Promise((r) => setTimeout(r, 500));
        assert.deepEqual(await b.claim(8, T0), [], 'renewed while running');
        await a.settle(d!, { state: 'skipped' }, T0);
        assert.equal(await b.depth(), 0);
      } finally {
        await a.close();
        await b.close();
        await f.done();
      }
    });

    it('a replay from another process is queued once, in original order', async () => {
      const f = await fresh();
      const a = new PostgresJournal(f.db, { delivery: 'outbox' });
      const cli = new PostgresJournal(await f.open(), { delivery: 'outbox' });
      try {
        await Promise.all([1, 2, 3].map((n) => a.append(makeSignal({ n, key: 'K' }))));
        for (const n of [3, 1, 2]) {
          const [d] = await a.claimSignals([{ seq: n, id: makeSignal({ n, key: 'K' }).id }], T0);
          assert.equal(await a.deadLetterDelivery(d!, 'gave up', retryable, T0 + n), true);
        }
        await sql(f.schema, 'DELETE FROM outbox');
        const [r1, r2] = await Promise.all([cli.replay('all', T0 + 10), a.replay('all', T0 + 10)]);
        const replayed = [...r1!.replayed, ...r2!.replayed];
        assert.deepEqual(replayed, [1, 2, 3].map((n) => makeSignal({ n, key: 'K' }).id), 'one of them replayed all three, in order');
        const outbox = await sql<{ seq: number; msg_id: string }>(f.schema, 'SELECT seq, msg_id FROM outbox ORDER BY id');
        assert.deepEqual(outbox.map((o) => Number(o.seq)), [1, 2, 3]);
        for (const o of outbox) assert.match(o.msg_id, /:replay:\d+$/, 'a replay is a new message, not a broker duplicate');
      } finally {
        await a.close();
        await cli.close();
        await f.done();
      }
    });
  });

  describe('outbox', () => {
    it('lists rows in publication order and wakes listeners of any process on commit; one relay leader at a time', async () => {
      const f = await fresh();
      const journal = new PostgresJournal(f.db, { delivery: 'outbox' });
      const other = await f.open();
      const outboxes = [new PostgresOutbox(f.db, 'S'), new PostgresOutbox(other, 'S')];
      try {
        let woken = 0;
        const wake = new Promise<void>((resolve) => outboxes[1]!.onPending(() => ++woken >= 2 && resolve()));
        await new Promise((r) => setTimeout(r, 100)); // the listener's session is up
        await Promise.all([1, 2].map((n) => journal.append(makeSignal(n))));
        await wake;
        const rows = await outboxes[0]!.pending(10);
        assert.deepEqual(rows.map((r) => [r.seq, r.msgId]), [[1, makeSignal(1).id], [2, makeSignal(2).id]]);
        const leaders = await Promise.all(outboxes.map((o) => o.lead()));
        assert.deepEqual(leaders.filter(Boolean).length, 1);
        const leader = outboxes[leaders.indexOf(true)]!;
        const follower = outboxes[leaders.indexOf(false)]!;
        assert.equal(await leader.lead(), true, 'the leader keeps the role');
        await leader.close(); // its session ends: PostgreSQL releases the lock
        assert.equal(await follower.lead(), true);
        await follower.remove(rows.map((r) => r.id));
        assert.deepEqual(await follower.pending(10), []);
      } finally {
        for (const o of outboxes) await o.close();
        await journal.close();
        await f.done();
      }
    });
  });

  describe('openStores', () => {
    it('journal postgres with the local queue: the journal is the queue, and the state stores share the database', async () => {
      const s = freshSchema();
      try {
        const stores = await openStores(
          storesConfigOf({ journal: { kind: 'postgres', url: POSTGRES_URL, schema: s.schema, pool: { max: 2 } } }),
          { dataDir: '/nonexistent', logger: silentLogger },
        );
        try {
          assert.equal(stores.kind, 'postgres');
          assert.equal(stores.queue, stores.journal);
          await stores.journal.append(makeSignal(1));
          const [d] = await stores.queue.claim(1, T0);
          await stores.queue.settle(d!, { state: 'skipped' }, T0);
          assert.equal((await stores.journal.getSignal(d!.id))?.state, 'skipped');
          assert.equal((await stores.models.active()).version, DEFAULT_MODEL.version);
          assert.equal((await stores.controls.halt({ by: 'ops', at: 1 })).halted, true);
        } finally {
          await stores.close();
        }
      } finally {
        await s.drop();
      }
    });
  });

  it('statements with parameters are prepared on the connection, each under a name of its own', async () => {
    const s = freshSchema();
    // One connection, so that its pg_prepared_statements holds everything the journal ran.
    const db = await openPostgres({ url: POSTGRES_URL, schema: s.schema, pool: { max: 1 } });
    const journal = new PostgresJournal(db);
    try {
      for (const n of [1, 2]) {
        await journal.append(makeSignal(n));
        const [d] = await journal.claim(1, T0 + n);
        await journal.settle(d!, { state: 'skipped' }, T0 + n);
        assert.equal((await journal.getSignal(d!.id))?.state, 'skipped');
      }
      const prepared = await db.query<{ name: string; statement: string }>('test', 'SELECT name, statement FROM pg_prepared_statements');
      const texts = prepared.map((r) => r.statement);
      assert.ok(texts.some((t) => t.includes('append_signals(')), 'the append is prepared');
      assert.ok(texts.some((t) => t.includes("SET state = 'processing'")), 'the claim is prepared');
      assert.ok(prepared.every((r) => /^hh_[0-9a-f]{24}$/.test(r.name)), prepared.map((r) => r.name).join(', '));
      assert.equal(new Set(texts).size, texts.length, 'one name per text');
    } finally {
      await journal.close();
      await db.close();
      await s.drop();
    }
  });

  describe('order legs', () => {
    const SIG = 'sig_abcdefghijklmnopqrst';
    const leg = (n: number, over: Partial<OrderLeg> = {}): OrderLeg => ({
      clientOrderId: `hhabcdefghijklmnopqrst0${n}`,
      signalId: SIG,
      account: 'main',
      leg: n,
      venue: n % 2 ? 'backup' : 'primary',
      purpose: 'hedge',
      symbol: 'TRX/USDT:USDT',
      side: 'sell',
      amount: 12345,
      type: 'market',
      reduceOnly: false,
      status: 'pending',
      filled: 0,
      fee: 0,
      createdAt: 1000 + n,
      updatedAt: 1000 + n,
      ...over,
    });

    it('upsert by client order id from two processes: one leg, the venue view updated, the identity fixed', async () => {
      const f = await fresh();
      const a = new PostgresOrderStore(f.db);
      const b = new PostgresOrderStore(await f.open());
      try {
        await Promise.all([a.save(leg(0)), b.save(leg(0))]);
        await b.save(leg(0, { status: 'filled', filled: 12345, averagePrice: 0.24117, fee: 1.48860665, exchangeOrderId: 'X1', latencyMs: 7, updatedAt: 2000, amount: 1 }));
        const legs = await a.legsOf(SIG);
        assert.equal(legs.length, 1);
        assert.equal(legs[0]!.status, 'filled');
        assert.equal(legs[0]!.fee, 1.48860665, 'decimals round-trip exactly');
        assert.equal(legs[0]!.amount, 12345, 'the amount is fixed at creation');
        assert.equal(legs[0]!.exchangeOrderId, 'X1');
        assert.deepEqual(await a.unsettled(), []);
        await a.save(leg(1));
        assert.deepEqual((await b.unsettled()).map((l) => l.leg), [1]);
        assert.deepEqual((await b.list({ venue: 'backup' })).map((l) => l.leg), [1]);
        assert.deepEqual((await b.list({ limit: 1 })).map((l) => l.leg), [1]);
        await a.save(leg(2, { account: 'other' }));
        await a.save(leg(3, { symbol: 'BTC/USDT:USDT' }));
        assert.deepEqual((await b.list({ account: 'main', symbol: 'TRX/USDT:USDT' })).map((l) => l.leg), [1, 0]);
        assert.deepEqual((await b.list({ account: 'main' })).map((l) => l.leg), [3, 1, 0]);
        assert.deepEqual((await b.list({ account: 'main', symbol: 'TRX/USDT:USDT', beforeId: (await b.legsOf(SIG))[1]!.id })).map((l) => l.leg), [0]);
        await assert.rejects(a.save(leg(1, { clientOrderId: 'another-id' })), (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_INTERNAL');
      } finally {
        await f.done();
      }
    });

    it('sums the legs of the signals asked for, in PostgreSQL', async () => {
      const f = await fresh();
      try {
        await assertTotalsBySignal(new PostgresOrderStore(f.db), leg);
      } finally {
        await f.done();
      }
    });
  });
});
