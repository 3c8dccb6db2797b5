/**
 * The ScheduledRuns contract (which process runs an occurrence of a scheduled job): every
 * implementation — in memory, SQLite, PostgreSQL — must behave the same. Each test gets a
 * fresh store from `open`; `second`, when given, opens another handle on the same store (a
 * connection of another process), for claims that race across handles.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ScheduledRuns } from '../../src/core/scheduled-runs.ts';

export interface ScheduledRunsFixture {
  runs: ScheduledRuns;
  /** The same store through another connection, when the store has connections. */
  second?: ScheduledRuns;
  cleanup(): void | Promise<void>;
}

const JOB = 'weekly-refit';
const SLOT = Date.UTC(2026, 10, 30);
const HOUR = 3_600_000;
const T = SLOT + 1_000;

export function scheduledRunsContract(name: string, open: () => ScheduledRunsFixture | Promise<ScheduledRunsFixture>): void {
  describe(`${name} (the ScheduledRuns contract)`, () => {
    const withRuns = (fn: (f: ScheduledRunsFixture) => Promise<void>) => async () => {
      const f = await open();
      try {
        await fn(f);
      } finally {
        await f.cleanup();
      }
    };

    it('the first claim of an occurrence wins; the others, and claims after it finished, lose', withRuns(async ({ runs }) => {
      assert.equal(await runs.get(JOB, SLOT), undefined);
      assert.equal(await runs.claim(JOB, SLOT, 'host-a:1', T, HOUR), true);
      assert.equal(await runs.claim(JOB, SLOT, 'host-b:2', T + 5, HOUR), false);
      assert.deepEqual(await runs.get(JOB, SLOT), { job: JOB, slot: SLOT, holder: 'host-a:1', claimedAt: T });
      await runs.finish(JOB, SLOT, 'host-a:1', T + 60_000, 'insufficient');
      assert.deepEqual(await runs.get(JOB, SLOT), { job: JOB, slot: SLOT, holder: 'host-a:1', claimedAt: T, finishedAt: T + 60_000, outcome: 'insufficient' });
      // Finished is final, however old.
      assert.equal(await runs.claim(JOB, SLOT, 'host-b:2', T + 10 * HOUR, HOUR), false);
      // Other slots and other jobs are occurrences of their own.
      assert.equal(await runs.claim(JOB, SLOT + 7 * 24 * HOUR, 'host-b:2', T, HOUR), true);
      assert.equal(await runs.claim('other-job', SLOT, 'host-b:2', T, HOUR), true);
    }));

    it('a claim left unfinished is taken over once it is older than staleMs, and then only its new holder finishes it', withRuns(async ({ runs }) => {
      assert.equal(await runs.claim(JOB, SLOT, 'host-a:1', T, HOUR), true);
      assert.equal(await runs.claim(JOB, SLOT, 'host-b:2', T + HOUR, HOUR), false, 'exactly staleMs old is not stale yet');
      assert.equal(await runs.claim(JOB, SLOT, 'host-b:2', T + HOUR + 1, HOUR), true);
      // The dead holder's late finish changes nothing.
      await runs.finish(JOB, SLOT, 'host-a:1', T + HOUR + 2, 'proposed');
      assert.deepEqual(await runs.get(JOB, SLOT), { job: JOB, slot: SLOT, holder: 'host-b:2', claimedAt: T + HOUR + 1 });
      await runs.finish(JOB, SLOT, 'host-b:2', T + HOUR + 3, 'proposed');
      assert.equal((await runs.get(JOB, SLOT))?.outcome, 'proposed');
    }));

    it('a released claim is taken at once; only its holder can release it, and not once finished', withRuns(async ({ runs }) => {
      assert.equal(await runs.claim(JOB, SLOT, 'host-a:1', T, HOUR), true);
      await runs.release(JOB, SLOT, 'host-b:2');
      assert.equal(await runs.claim(JOB, SLOT, 'host-c:3', T + 1, HOUR), false, 'a release by another holder is ignored');
      await runs.release(JOB, SLOT, 'host-a:1');
      assert.equal(await runs.claim(JOB, SLOT, 'host-c:3', T + 1, HOUR), true);
      await runs.finish(JOB, SLOT, 'host-c:3', T + 2, 'proposed');
      await runs.release(JOB, SLOT, 'host-c:3');
      assert.equal(await runs.claim(JOB, SLOT, 'host-a:1', T + 3, HOUR), false);
    }));

    it('of claims made at once, through one handle or two, exactly one wins', withRuns(async ({ runs, second }) => {
      const handles = second ? [runs, second] : [runs];
      const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => handles[i % handles.length]!.claim(JOB, SLOT, `host-${i}:${i}`, T, HOUR)));
      assert.equal(claims.filter(Boolean).length, 1);
      const winner = claims.indexOf(true);
      assert.equal((await (second ?? runs).get(JOB, SLOT))?.holder, `host-${winner}:${winner}`);
    }));
  });
}
