import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepTrying } from '../../src/cli/keep-trying.ts';

test('keepTrying: a failure is told, waited for (1 s first), and tried again until it opens', async () => {
  const told: [string, number, number][] = [];
  let calls = 0;
  const value = await keepTrying(async () => {
    calls++;
    if (calls === 1) throw new Error('down');
    return 'open';
  }, { signal: new AbortController().signal, failed: (err, attempt, retryInMs) => told.push([(err as Error).message, attempt, retryInMs]) });
  assert.equal(value, 'open');
  assert.equal(calls, 2);
  assert.deepEqual(told, [['down', 1, 1000]]);
});

test('keepTrying: a failure given as `after` is told and waited for before the first try', async () => {
  const order: string[] = [];
  await keepTrying(async () => void order.push('try'), {
    signal: new AbortController().signal,
    after: new Error('first'),
    failed: (err, attempt, retryInMs) => order.push(`${(err as Error).message} ${attempt} ${retryInMs}`),
  });
  assert.deepEqual(order, ['first 1 1000', 'try']);
});

test('keepTrying: a final failure is thrown at once and untold; a stop ends the wait with the last failure', async () => {
  const told: unknown[] = [];
  const mistake = new Error('key not set');
  await assert.rejects(
    keepTrying(async () => { throw mistake; }, { signal: new AbortController().signal, final: (err) => err === mistake, failed: (err) => told.push(err) }),
    (err) => err === mistake,
  );
  assert.deepEqual(told, []);

  const stop = new AbortController();
  const down = new Error('down');
  const tries = keepTrying(async () => { throw down; }, { signal: stop.signal, failed: () => stop.abort() });
  await assert.rejects(tries, (err) => err === down);
});
