/**
 * The Clock port. Engine code takes time only from here, so the live service and the
 * backtest (a simulated clock that jumps to the next event) run the same code.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` after `ms` milliseconds of this clock's time; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    // A pending retry must not keep a process alive that is otherwise done.
    t.unref?.();
    return () => clearTimeout(t);
  },
};

/**
 * A clock that moves only when told to; for tests and the backtest's simulated time.
 * Timers due at the same instant fire in the order they were set (as setTimeout does).
 */
export class ManualClock implements Clock {
  private current: number;
  /** Kept sorted by (at, id); the engine has at most a handful pending at a time. */
  private timers: { at: number; id: number; fn: () => void }[] = [];
  private nextId = 0;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.current + Math.max(0, ms), id: this.nextId++, fn };
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.at > timer.at) i--;
    this.timers.splice(i, 0, timer);
    return () => {
      const k = this.timers.indexOf(timer);
      if (k >= 0) this.timers.splice(k, 1);
    };
  }

  /** When the next timer is due, if any. */
  nextTimerAt(): number | undefined {
    return this.timers[0]?.at;
  }

  /** Moves to `time` (never backwards), firing the timers due on the way, in order. */
  advanceTo(time: number): void {
    while (this.timers.length > 0 && this.timers[0]!.at <= time) {
      const timer = this.timers.shift()!;
      if (timer.at > this.current) this.current = timer.at;
      timer.fn();
    }
    if (time > this.current) this.current = time;
  }

  /** Moves time forward by `ms`, firing due timers in time order. */
  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  set(ms: number): void {
    this.advanceTo(ms);
  }

  pendingTimers(): number {
    return this.timers.length;
  }
}
