import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { OrderLeg, OrderStore } from '../../src/core/orders.ts';
import { MemoryOrderStore } from '../../src/journal/memory-orders.ts';
import { openSqliteState } from '../../src/journal/sqlite/index.ts';
import { DEFAULT_MODEL, parseModelVersion } from '../../src/model/registry.ts';
import { assertTotalsBySignal } from './order-totals.ts';
import { turnsDuring } from '../support/turns.ts';

const SIG = 'sig_abcdefghijklmnopqrst';

function leg(n: number, over: Partial<OrderLeg> = {}): OrderLeg {
  return {
    clientOrderId: `hhabcdefghijklmnopqrst0${n}`, signalId: SIG, account: 'main', leg: n, venue: n % 2 ? 'backup' : 'primary',
    purpose: 'hedge', symbol: 'TRX/USDT:USDT', side: 'sell', amount: 12345, type: 'market', reduceOnly: false,
    status: 'pending', filled: 0, fee: 0, createdAt: 1000 + n, updatedAt: 1000 + n, ...over,
  };
}

const stores: [string, () => { store: OrderStore; reopen?: () => OrderStore; close(): void }][] = [
  ['memory', () => ({ store: new MemoryOrderStore(), close() {} })],
  ['sqlite', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hh-orders-'));
    const path = join(dir, 'journal.db');
    const open = () => openSqliteState({ path, defaultModel: DEFAULT_MODEL, validate: parseModelVersion });
    const states = [open()];
    return {
      store: states[0]!.orders,
      reopen: () => {
        const s = open();
        states.push(s);
        return s.orders;
      },
      close() {
        for (const s of states) s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }],
];

for (const [name, make] of stores) {
  describe(`order store: ${name}`, () => {
    it('upserts by client order id: the venue view changes, the identity does not', async () => {
      const { store, close } = make();
      try {
        await store.save(leg(0));
        await store.save(leg(0, { status: 'filled', filled: 12345, averagePrice: 0.24117, fee: 1.48860665, exchangeOrderId: 'X1', latencyMs: 7, updatedAt: 2000, amount: 1 }));
        const [got] = await store.legsOf(SIG);
        assert.equal(got!.status, 'filled');
        assert.equal(got!.filled, 12345);
        assert.equal(got!.averagePrice, 0.24117);
        assert.equal(got!.fee, 1.48860665, 'decimals round-trip exactly');
        assert.equal(got!.exchangeOrderId, 'X1');
        assert.equal(got!.latencyMs, 7);
        assert.equal(got!.amount, 12345, 'the amount is fixed at creation');
        assert.equal(got!.updatedAt, 2000);
      } finally {
        close();
      }
    });

    it('refuses a second leg with the same number for a signal', async () => {
      const { store, close } = make();
      try {
        await store.save(leg(0));
        await assert.rejects(store.save(leg(0, { clientOrderId: 'hhother' })));
        assert.equal((await store.legsOf(SIG)).length, 1);
      } finally {
        close();
      }
    });

    it('lists newest first with paging and filters, and finds the unsettled legs', async () => {
      const { store, close } = make();
      try {
        for (let n = 0; n < 5; n++) await store.save(leg(n, { status: n === 1 ? 'unknown' : n === 3 ? 'open' : 'filled', error: n === 1 ? { code: 'HH_ERR_VENUE_TIMEOUT', message: 'x', retryable: true } : undefined }));
        const page1 = await store.list({ limit: 2 });
        assert.deepEqual(page1.map((l) => l.leg), [4, 3]);
        const page2 = await store.list({ limit: 2, beforeId: page1[1]!.id });
        assert.deepEqual(page2.map((l) => l.leg), [2, 1]);
        assert.deepEqual((await store.list({ venue: 'backup' })).map((l) => l.leg), [3, 1]);
        // By account and symbol (the ledger's reload of one key), paging and combined with the venue.
        await store.save(leg(5, { account: 'other', status: 'filled', signalId: 'sig_other' }));
        await store.save(leg(6, { symbol: 'BTC/USDT:USDT', status: 'filled', signalId: 'sig_other' }));
        assert.deepEqual((await store.list({ account: 'main', symbol: 'TRX/USDT:USDT' })).map((l) => l.leg), [4, 3, 2, 1, 0]);
        assert.deepEqual((await store.list({ account: 'main', symbol: 'TRX/USDT:USDT', limit: 2, beforeId: page1[1]!.id })).map((l) => l.leg), [2, 1]);
        assert.deepEqual((await store.list({ account: 'main' })).map((l) => l.leg), [6, 4, 3, 2, 1, 0]);
        assert.deepEqual((await store.list({ account: 'other' })).map((l) => l.leg), [5]);
        assert.deepEqual((await store.list({ account: 'main', venue: 'backup' })).map((l) => l.leg), [3, 1]);
        assert.deepEqual((await store.unsettled()).map((l) => l.leg), [1, 3]);
        assert.deepEqual((await store.unsettled())[0]!.error, { code: 'HH_ERR_VENUE_TIMEOUT', message: 'x', retryable: true });
        assert.deepEqual((await store.legsOf(SIG)).map((l) => l.leg), [0, 1, 2, 3, 4]);
      } finally {
        close();
      }
    });

    it('sums the legs of the signals asked for, in the store', async () => {
      const { store, close } = make();
      try {
        await assertTotalsBySignal(store, leg);
      } finally {
        close();
      }
    });

    if (name === 'sqlite') {
      it('sums the legs of 600 signals 250 at a time, the event loop free between reads', async () => {
        const { store, close } = make();
        try {
          const ids = Array.from({ length: 600 }, (_, n) => `sig_${String(n).padStart(20, '0')}`);
          for (const [n, signalId] of ids.entries()) await store.save(leg(0, { signalId, clientOrderId: `hh-many-${n}`, status: 'filled', filled: 4, averagePrice: 0.5, fee: 0.25 }));
          const { result: totals, turns } = await turnsDuring(() => store.totalsBySignal([...ids, 'sig_without_legs']));
          assert.ok(turns >= 2, `turns of the event loop during the read: ${turns}`);
          assert.equal(totals.length, 600);
          assert.deepEqual(new Set(totals.map((t) => t.signalId)), new Set(ids));
          assert.ok(totals.every((t) => t.legs === 1 && t.fees === 0.25 && t.filledNotional === 2));
        } finally {
          close();
        }
      });

      it('survives a reopen (what start-up reconciliation reads)', async () => {
        const { store, reopen, close } = make();
        try {
          await store.save(leg(0));
          const again = reopen!();
          assert.deepEqual((await again.unsettled()).map((l) => l.clientOrderId), [leg(0).clientOrderId]);
        } finally {
          close();
        }
      });
    }
  });
}

it('the SQLite table enforces unique client order ids itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-orders-'));
  try {
    const state = openSqliteState({ path: join(dir, 'j.db'), defaultModel: DEFAULT_MODEL, validate: parseModelVersion });
    state.close();
    const db = new Database(join(dir, 'j.db'));
    const insert = db.prepare(`INSERT INTO order_legs (client_order_id, signal_id, account, leg, venue, purpose, symbol, side, amount, type,
      reduce_only, status, filled, fee, created_at, updated_at) VALUES (?, ?, 'a', ?, 'v', 'hedge', 'S', 'buy', '1', 'market', 0, 'pending', '0', '0', 0, 0)`);
    insert.run('hh1', 'sig_a', 0);
    assert.throws(() => insert.run('hh1', 'sig_b', 0), /UNIQUE/);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
