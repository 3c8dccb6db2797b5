import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryOrderStore } from '../../src/journal/memory-orders.ts';
import type { OrderLeg } from '../../src/core/orders.ts';
import { makeSignal } from '../journal/fixtures.ts';
import { testServer } from '../helpers/server.ts';

const T0 = 1_800_000_000_000;

/** Signals n = 1…count, each its own key, typed by n; the even ones settled with a ratio. */
async function journalOf(s: ReturnType<typeof testServer>, count: number, typeOf: (n: number) => string) {
  for (let n = 1; n <= count; n++) {
    const base = makeSignal({ n, key: `K${n}/USDT:USDT` });
    const payload = { ...base.payload, type: typeOf(n) };
    await s.journal.append({ ...base, payload, body: JSON.stringify(payload) });
  }
  for (const d of await s.journal.claim(count, T0)) {
    if (d.seq % 2 === 0) await s.journal.settle(d, { state: 'hedged', decision: { ratio: 0.5 } }, T0);
    else await s.journal.settle(d, { state: 'skipped', decision: { ratio: 0.25 } }, T0);
  }
}

function leg(signalId: string, n: number, fee: number): OrderLeg {
  return {
    clientOrderId: `${signalId}-${n}`, signalId, account: 'main', leg: n, venue: 'paper', purpose: 'hedge', symbol: 'TRX/USDT:USDT',
    side: 'sell', amount: 100, type: 'market', reduceOnly: false, status: 'filled', filled: 100, averagePrice: 0.25, fee, createdAt: T0, updatedAt: T0,
  };
}

test('performance by type covers the newest 1,000 signals, read page by page, with their legs summed', async () => {
  const orders = new MemoryOrderStore();
  const s = testServer({ orders });
  // 1,050 signals: the oldest 50 are outside the window, typed so that any of them counted shows.
  await journalOf(s, 1050, (n) => (n <= 50 ? 'too-old' : n % 3 === 0 ? 'breakout' : 'news'));
  const ids = (await s.journal.listSignals({ limit: 1000 })).map((v) => ({ seq: v.seq, id: v.id }));
  const newest = ids[0]!;
  const oldestInWindow = ids[ids.length - 1]!;
  await orders.save(leg(newest.id, 0, 0.5));
  await orders.save(leg(newest.id, 1, 0.25));
  await orders.save(leg(oldestInWindow.id, 0, 1));
  await orders.save(leg(makeSignal({ n: 1, key: 'K1/USDT:USDT' }).id, 0, 64)); // outside the window
  const res = await s.app.inject({ url: '/api/dashboard/performance' });
  assert.equal(res.statusCode, 200);
  const body = res.json() as { signals: number; window: number; types: { type: string; count: number; states: Record<string, number>; averageRatio: number; decided: number; orders: number; cost: number; filledNotional: number }[] };
  assert.equal(body.signals, 1000);
  assert.equal(body.window, 1000);
  assert.deepEqual(body.types.map((t) => t.type), ['news', 'breakout']);
  // Seqs 51…1050: 334 multiples of 3 (breakout), 666 others (news).
  const breakout = body.types.find((t) => t.type === 'breakout')!;
  const news = body.types.find((t) => t.type === 'news')!;
  assert.equal(breakout.count, 334);
  assert.equal(news.count, 666);
  assert.equal(breakout.decided + news.decided, 1000);
  assert.deepEqual({ ...breakout.states }, { hedged: 167, skipped: 167 });
  assert.equal(breakout.averageRatio, (167 * 0.5 + 167 * 0.25) / 334);
  // 1050 is a multiple of 3: the newest signal is a breakout; seq 51 (the oldest in the window) too.
  assert.equal(newest.seq % 3, 0);
  assert.equal(oldestInWindow.seq, 51);
  assert.deepEqual([breakout.orders, breakout.cost, breakout.filledNotional], [3, 1.75, 75]);
  assert.deepEqual([news.orders, news.cost], [0, 0]);
  s.app.close();
});
