import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import { RateLimiter } from '../../src/ingest/rate-limit.ts';

function drain(limiter: RateLimiter, source: string): number {
  let n = 0;
  while (limiter.take(source) && n < 10_000) n++;
  return n;
}

describe('rate limiter', () => {
  it('allows a burst, then refills at the configured rate from the clock', () => {
    const clock = new ManualClock(1_000_000);
    const limiter = new RateLimiter(clock);
    limiter.configure('tv', { burst: 5, perSecond: 2 });
    assert.equal(drain(limiter, 'tv'), 5);
    assert.equal(limiter.take('tv'), false);
    clock.advance(499);
    assert.equal(limiter.take('tv'), false);
    clock.advance(1);
    assert.equal(limiter.take('tv'), true);
    assert.equal(limiter.take('tv'), false);
    clock.advance(1500);
    assert.equal(drain(limiter, 'tv'), 3);
  });

  it('never refills above the burst', () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter(clock);
    limiter.configure('s', { burst: 3, perSecond: 100 });
    clock.advance(3_600_000);
    assert.equal(drain(limiter, 's'), 3);
  });

  it('keeps sources independent', () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter(clock);
    limiter.configure('a', { burst: 1, perSecond: 1 });
    limiter.configure('b', { burst: 1, perSecond: 1 });
    assert.equal(limiter.take('a'), true);
    assert.equal(limiter.take('a'), false);
    assert.equal(limiter.take('b'), true);
  });

  it('stays exact over many fractional refills', () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter(clock);
    // A burst of 2 so the cap never clips a fractional remainder: 3/s for 10 s is exactly 30.
    limiter.configure('s', { burst: 2, perSecond: 3 });
    assert.equal(drain(limiter, 's'), 2);
    let granted = 0;
    for (let ms = 0; ms < 10_000; ms++) {
      clock.advance(1);
      if (limiter.take('s')) granted++;
    }
    assert.equal(granted, 30);
  });

  it('configures an unknown source from the limit given to take', () => {
    const limiter = new RateLimiter(new ManualClock(0));
    assert.equal(limiter.take('x', { burst: 2, perSecond: 1 }), true);
    assert.equal(limiter.take('x', { burst: 2, perSecond: 1 }), true);
    assert.equal(limiter.take('x', { burst: 2, perSecond: 1 }), false);
    assert.equal(limiter.take('unlimited'), true);
  });

  it('keeps its tokens when reconfigured, capped at the new burst', () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter(clock);
    limiter.configure('s', { burst: 10, perSecond: 1 });
    assert.equal(drain(limiter, 's'), 10);
    limiter.configure('s', { burst: 3, perSecond: 1 });
    assert.equal(limiter.take('s'), false);
    limiter.configure('s', { burst: 20, perSecond: 1 });
    clock.advance(5000);
    assert.equal(drain(limiter, 's'), 5);
  });

  it('neither refills nor breaks when the clock steps backwards', () => {
    const clock = { t: 10_000, now() { return this.t; }, setTimer: () => () => {} };
    const limiter = new RateLimiter(clock);
    limiter.configure('s', { burst: 1, perSecond: 1 });
    assert.equal(limiter.take('s'), true);
    clock.t = 5_000;
    assert.equal(limiter.take('s'), false);
    clock.t = 6_000;
    assert.equal(limiter.take('s'), true);
  });
});
