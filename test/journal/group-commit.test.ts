import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit } from '../../src/journal/group-commit.ts';

function recorder(fail?: (items: readonly number[]) => boolean) {
  const commits: number[][] = [];
  const gc = new GroupCommit<number, string>({
    commit(items) {
      if (fail?.(items)) throw new Error('disk full');
      commits.push([...items]);
      return items.map((i) => (i < 0 ? new Error(`bad ${i}`) : `ok ${i}`));
    },
    failure: (cause, size) => new Error(`batch of ${size} failed: ${(cause as Error).message}`),
  });
  return { gc, commits };
}

test('items of one turn are committed together, once, on the next setImmediate', async () => {
  const { gc, commits } = recorder();
  const results = [gc.submit(1), gc.submit(2), gc.submit(3)];
  assert.equal(gc.size, 3);
  assert.deepEqual(commits, []);
  assert.deepEqual(await Promise.all(results), ['ok 1', 'ok 2', 'ok 3']);
  assert.deepEqual(commits, [[1, 2, 3]]);
  assert.deepEqual(await Promise.all([gc.submit(4)]), ['ok 4']);
  assert.deepEqual(commits, [[1, 2, 3], [4]]);
});

test('a throwing commit rejects every item of the batch, and only that batch', async () => {
  const { gc, commits } = recorder((items) => items.includes(2));
  const batch = await Promise.allSettled([gc.submit(1), gc.submit(2)]);
  assert.deepEqual(batch.map((r) => r.status), ['rejected', 'rejected']);
  assert.match(String((batch[0] as PromiseRejectedResult).reason), /batch of 2 failed: disk full/);
  assert.equal(await gc.submit(3), 'ok 3');
  assert.deepEqual(commits, [[3]]);
});

test('a per-item error rejects that item alone', async () => {
  const { gc } = recorder();
  const r = await Promise.allSettled([gc.submit(1), gc.submit(-1), gc.submit(2)]);
  assert.deepEqual(r.map((x) => x.status), ['fulfilled', 'rejected', 'fulfilled']);
});

test('flush commits synchronously and cancels the scheduled commit', async () => {
  const { gc, commits } = recorder();
  const p = gc.submit(1);
  gc.flush();
  assert.deepEqual(commits, [[1]]);
  assert.equal(await p, 'ok 1');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(commits, [[1]]);
  gc.flush(); // nothing pending: no empty commit
  assert.deepEqual(commits, [[1]]);
});
