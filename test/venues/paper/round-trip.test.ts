/**
 * The paper venue's round trip when timers fire out of order. Node does not order timers
 * of different durations against each other: under load the answer's timer (latency L)
 * can run before the arrival's (L/2). The soak run found it: the service died with
 * "Cannot read properties of undefined (reading 'ok')" from round-trip.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../../../src/core/clock.ts';
import { roundTrip } from '../../../src/venues/paper/round-trip.ts';

/** A clock whose timers the test fires by hand, in any order it likes. */
function handClock() {
  const timers: { ms: number; fn: () => void; cancelled: boolean }[] = [];
  const clock: Clock = {
    now: () => 0,
    setTimer(ms, fn) {
      const t = { ms, fn, cancelled: false };
      timers.push(t);
      return () => {
        t.cancelled = true;
      };
    },
  };
  const fire = (ms: number) => {
    for (const t of timers) if (t.ms === ms && !t.cancelled) t.fn();
  };
  return { clock, fire };
}

test('an answer timer that fires before the arrival timer still applies the request once, then answers', async () => {
  const { clock, fire } = handClock();
  let applied = 0;
  const answer = roundTrip({ clock, latencyMs: 40, dropAborted: false, abortError: () => new Error('aborted') }, () => ++applied, undefined);
  fire(40); // the answer first
  fire(20); // the arrival, late
  assert.equal(await answer, 1);
  assert.equal(applied, 1);
});

test('out of order, a request the venue refuses still rejects with the venue error', async () => {
  const { clock, fire } = handClock();
  const answer = roundTrip({ clock, latencyMs: 40, dropAborted: false, abortError: () => new Error('aborted') }, () => {
    throw new Error('refused by the venue');
  }, undefined);
  fire(40);
  await assert.rejects(answer, /refused by the venue/);
});

test('in order, the request is applied at arrival and answered once', async () => {
  const { clock, fire } = handClock();
  let applied = 0;
  const answer = roundTrip({ clock, latencyMs: 40, dropAborted: false, abortError: () => new Error('aborted') }, () => ++applied, undefined);
  fire(20);
  assert.equal(applied, 1);
  fire(40);
  assert.equal(await answer, 1);
  assert.equal(applied, 1);
});
