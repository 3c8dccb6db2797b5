import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryJournal, createMemoryJournal } from '../../src/journal/memory.ts';
import { journalContract } from './contract.ts';
import { makeSignal, memoryAdapter } from './fixtures.ts';

journalContract(memoryAdapter);

test('memory: createMemoryJournal gives an empty journal', async () => {
  const j = createMemoryJournal();
  assert.ok(j instanceof MemoryJournal);
  assert.deepEqual(await j.listSignals(), []);
  assert.equal(await j.depth(), 0);
  assert.equal(await j.size(), 0);
  await j.close();
});

test('memory: reads hand out copies, never the stored objects', async () => {
  const j = createMemoryJournal();
  const signal = makeSignal(1);
  await j.append(signal);
  const view = await j.getSignal(signal.id);
  view!.payload.symbol = 'HACKED';
  const [d] = await j.claim(1, 0);
  d!.payload.account = 'HACKED';
  const again = await j.getSignal(signal.id);
  assert.equal(again?.payload.symbol, 'TRX/USDT:USDT');
  assert.equal(again?.payload.account, 'main');
  await j.close();
});

test('memory: rejections beyond maxRejections drop the oldest', async () => {
  const j = createMemoryJournal({ maxRejections: 3 });
  for (let i = 0; i < 5; i++) j.recordRejection({ at: i, source: 's', remoteAddr: 'x', status: 401, code: 'HH_ERR_SIGNATURE_INVALID', reason: `r${i}` });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual((await j.listRejections()).map((r) => r.reason), ['r4', 'r3', 'r2']);
  await j.close();
});
