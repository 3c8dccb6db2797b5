/**
 * Paper venues keep their state in memory; the journal is the record. After a restart the
 * venues start with the hedges the journal says they hold, so shrinking a hedge (a
 * reduce-only order) still works — found by the soak test, where every restart left the
 * paper venues flat and each later reduction was refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { signedWebhook, startServiceProcess, writeConfig, type ServiceProcess } from '../helpers/service-process.ts';

type View = { state: string; reason: string | null; orders: { venue: string; side: string; amount: number; filled: number; reduceOnly: boolean; status: string }[] };

async function send(service: ServiceProcess, payload: object): Promise<View> {
  const hook = signedWebhook(payload);
  const res = await fetch(`${service.url}/webhooks/default`, { method: 'POST', headers: hook.headers, body: hook.body });
  assert.equal(res.status, 202);
  const { id } = (await res.json()) as { id: string };
  for (;;) {
    const view = (await (await fetch(`${service.url}/api/signals/${id}`)).json()) as View;
    if (!['received', 'processing'].includes(view.state)) return view;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('after a restart the paper venues hold the journal\'s hedges: a reduce-only close still fills', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-paper-restart-'));
  const config = writeConfig(dir, {
    logLevel: 'warn',
    venues: [{ id: 'primary', kind: 'paper' }, { id: 'backup', kind: 'paper' }],
  });
  try {
    let service = await startServiceProcess({ dataDir: dir, config });
    const open = await send(service, { symbol: 'TRXUSDT.P', action: 'open', strength: 0.8, price: 0.2412, position: { side: 'long', size: 50_000, leverage: 10 } });
    assert.equal(open.state, 'hedged', open.reason ?? '');
    const hedged = open.orders[0]!;
    assert.equal(hedged.side, 'sell');
    service.child.kill('SIGTERM');
    assert.equal(await service.exited, 0);

    service = await startServiceProcess({ dataDir: dir, config });
    try {
      const closed = await send(service, { symbol: 'TRXUSDT.P', action: 'close', price: 0.2412 });
      assert.equal(closed.state, 'hedged', closed.reason ?? '');
      assert.deepEqual(closed.orders.map((o) => [o.venue, o.side, o.amount, o.filled, o.reduceOnly, o.status]), [
        ['primary', 'buy', hedged.filled, hedged.filled, true, 'filled'],
      ]);
      const { positions } = (await (await fetch(`${service.url}/api/positions`)).json()) as { positions: { netHedge: number }[] };
      assert.equal(positions[0]!.netHedge, 0);
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
