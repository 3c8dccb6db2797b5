/**
 * The reference strategy: what the backtest replays when no `--signals` file is given.
 * A deterministic, seeded momentum bot on the bars' closes, sending the webhooks a real
 * bot would (DESIGN.md payload), one position at a time:
 *
 *   momentum m = close / close(lookback ago) − 1            (lookback 2 h of bars)
 *   σ = the typical |m|: an EWMA of m² (a day's half-life), so thresholds adapt to the file
 *   flat, |m| ≥ `entrySigmas` × σ, cooldown over, and a seeded draw < `takeRate`:
 *       open in the direction of m; type `breakout` when |m| ≥ 2 × that, else `trend`;
 *       notional = equity × leverage × a seeded fraction in [0.25, 0.75]
 *   in profit by `addAt` and fewer than 2 adds:   add half the size         (type `pyramid`)
 *   in profit by `reduceAt`, not reduced yet:     reduce by half            (type `take-profit`)
 *   m turned against the position by `exitSigmas` × σ, or held `maxHoldMs`:  close (type `exit`)
 *   every `heartbeatMs` while open:               update (same position)    (type `heartbeat`)
 *
 * Every signal is stamped at its bar's close (open time + interval) with the close as its
 * price, and carries the position as the bot then holds it (side, size, entry, leverage).
 * The bot does not know about liquidations: the replay drops what it sends for a position
 * that was liquidated (replay.ts). Sizes are whole TRX (the step of TRXUSDT).
 *
 * Same bars + same settings + same seed → the same signals, on every machine.
 */
import type { Bar } from '../core/market.ts';
import { seededRandom } from '../core/random.ts';
import type { SignalPayload } from '../core/signal.ts';

const HOUR_MS = 3_600_000;

export interface ReferenceSettings {
  symbol: string;
  account: string;
  seed: number;
  leverage: number;
  /** USDT the bot sizes its positions from. */
  equity: number;
  lookbackMs: number;
  /** |momentum| that opens a position, in units of its typical size σ. */
  entrySigmas: number;
  /** Momentum against the position that closes it, in units of σ. */
  exitSigmas: number;
  addAt: number;
  reduceAt: number;
  maxHoldMs: number;
  heartbeatMs: number;
  cooldownMs: number;
  /** Probability that an entry condition is taken (thins the trades out). */
  takeRate: number;
}

export const DEFAULT_REFERENCE: Readonly<Omit<ReferenceSettings, 'equity' | 'leverage'>> = Object.freeze({
  symbol: 'TRX/USDT:USDT',
  account: 'main',
  seed: 1,
  lookbackMs: 2 * HOUR_MS,
  entrySigmas: 2.5,
  exitSigmas: 2,
  addAt: 0.01,
  reduceAt: 0.025,
  maxHoldMs: 72 * HOUR_MS,
  heartbeatMs: HOUR_MS,
  cooldownMs: 4 * HOUR_MS,
  takeRate: 0.5,
});

/** A signal of the replay: the payload (with `time`) and its webhook id. */
export interface TimedSignal {
  id: string;
  time: number;
  payload: SignalPayload;
}

interface Open {
  side: 'long' | 'short';
  size: number;
  /** Volume-weighted entry, as the bot's exchange reports it. */
  entry: number;
  openedAt: number;
  adds: number;
  reduced: boolean;
  lastReport: number;
}

export function referenceSignals(bars: readonly Bar[], intervalMs: number, settings: ReferenceSettings): TimedSignal[] {
  const s = settings;
  const random = seededRandom(s.seed);
  const lookback = Math.max(1, Math.round(s.lookbackMs / intervalMs));
  const out: TimedSignal[] = [];
  let open: Open | undefined;
  let flatSince = -Infinity;
  let n = 0;

  const emit = (time: number, price: number, action: SignalPayload['action'], type: string, strength: number, pos: Open | undefined): void => {
    const payload: SignalPayload = {
      account: s.account,
      symbol: s.symbol,
      action,
      type,
      strength: Math.round(strength * 1000) / 1000,
      price,
      time,
      position: pos
        ? { side: pos.side, size: pos.size, entryPrice: roundPrice(pos.entry), leverage: s.leverage }
        : { side: 'flat', size: 0, leverage: s.leverage },
    };
    const id = `ref-${s.seed}-${++n}`;
    payload.id = id;
    out.push({ id, time, payload });
  };

  // EWMA weight per bar for a one-day half-life, whatever the bar interval.
  const alpha = 1 - Math.pow(0.5, intervalMs / (24 * HOUR_MS));
  let variance = 0;
  for (let i = lookback; i < bars.length; i++) {
    const bar = bars[i]!;
    const price = bar.close;
    const time = bar.time + intervalMs;
    const m = price / bars[i - lookback]!.close - 1;
    // The threshold uses σ as it stood before this bar: the bot cannot know the future.
    const sigma = Math.sqrt(variance);
    variance = i === lookback ? m * m : variance + alpha * (m * m - variance);
    if (i < 2 * lookback) continue;
    const threshold = s.entrySigmas * sigma;
    const strength = threshold > 0 ? Math.min(1, Math.abs(m) / (3 * threshold)) : 0;

    if (!open) {
      if (!(threshold > 0) || Math.abs(m) < threshold || time - flatSince < s.cooldownMs) continue;
      if (random() >= s.takeRate) continue;
      const fraction = 0.25 + 0.5 * random();
      const size = Math.floor((s.equity * s.leverage * fraction) / price);
      if (size <= 0) continue;
      open = { side: m > 0 ? 'long' : 'short', size, entry: price, openedAt: time, adds: 0, reduced: false, lastReport: time };
      emit(time, price, 'open', Math.abs(m) >= 2 * threshold ? 'breakout' : 'trend', strength, open);
      continue;
    }

    const dir = open.side === 'long' ? 1 : -1;
    const profit = dir * (price / open.entry - 1);
    if (dir * m <= -s.exitSigmas * sigma || time - open.openedAt >= s.maxHoldMs) {
      open = undefined;
      flatSince = time;
      emit(time, price, 'close', 'exit', strength, undefined);
    } else if (open.adds < 2 && profit >= s.addAt * (open.adds + 1)) {
      const more = Math.floor(open.size / 2);
      open.entry = (open.entry * open.size + price * more) / (open.size + more);
      open.size += more;
      open.adds++;
      open.lastReport = time;
      emit(time, price, 'add', 'pyramid', strength, open);
    } else if (!open.reduced && profit >= s.reduceAt) {
      open.size -= Math.floor(open.size / 2);
      open.reduced = true;
      open.lastReport = time;
      emit(time, price, 'reduce', 'take-profit', strength, open);
    } else if (time - open.lastReport >= s.heartbeatMs) {
      open.lastReport = time;
      emit(time, price, 'update', 'heartbeat', strength, open);
    }
  }
  return out;
}

/** The entry the bot reports, on the TRXUSDT tick grid (0.00001). */
function roundPrice(p: number): number {
  return Math.round(p * 100_000) / 100_000;
}
