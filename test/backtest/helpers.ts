/** A replay over synthetic bars with the real engine and paper venues, for the backtest tests. */
import { TRX_USDT_PERP } from '../../src/core/instrument.ts';
import type { Bar } from '../../src/core/market.ts';
import type { SignalPayload } from '../../src/core/signal.ts';
import { constantSchedule, type FundingSchedule } from '../../src/backtest/funding.ts';
import { TRXUSDT_BRACKETS } from '../../src/backtest/margin.ts';
import type { ReplayInput } from '../../src/backtest/replay.ts';
import type { TimedSignal } from '../../src/backtest/reference-signals.ts';
import { paperVenueFactory } from '../../src/cli/commands/backtest.ts';
import { DEFAULT_ROUTING } from '../../src/execution/router.ts';
import { DEFAULT_FEATURE_SETTINGS } from '../../src/model/features.ts';
import { DEFAULT_EWMA_SETTINGS } from '../../src/model/volatility.ts';
import { DEFAULT_RISK_LIMITS } from '../../src/risk/guard.ts';

export const MINUTE = 60_000;
/** 2024-01-01T00:00Z, a Monday. */
export const T0 = Date.UTC(2024, 0, 1);

/** One bar a minute from T0: each entry is [low, high, close] (open = the previous close). */
export function bars(points: readonly [number, number, number][], start = T0): Bar[] {
  let open = points[0]![2];
  return points.map(([low, high, close], i) => {
    const bar = { time: start + i * MINUTE, open, high: Math.max(high, open, close), low: Math.min(low, open, close), close, volume: 1 };
    open = close;
    return bar;
  });
}

export function flat(n: number, price: number): [number, number, number][] {
  return Array.from({ length: n }, () => [price, price, price] as [number, number, number]);
}

export function signal(id: string, time: number, action: SignalPayload['action'], side: 'long' | 'short' | 'flat', size: number, extra: Partial<SignalPayload> = {}): TimedSignal {
  const payload: SignalPayload = { id, account: 'main', symbol: TRX_USDT_PERP.symbol, action, time, position: { side, size, leverage: 10 }, ...extra };
  return { id, time, payload };
}

export function replayInput(b: Bar[], signals: TimedSignal[], overrides: Partial<ReplayInput> = {}, funding: FundingSchedule = constantSchedule(0)): ReplayInput {
  return {
    symbol: TRX_USDT_PERP.symbol,
    instrument: TRX_USDT_PERP,
    bars: b,
    intervalMs: MINUTE,
    source: 'synthetic',
    signals,
    funding,
    placement: 'same-account',
    margin: { mode: 'cross', brackets: TRXUSDT_BRACKETS, liquidationFeeRate: 0.01 },
    wallet: 1000,
    leverage: 10,
    account: { equity: 1000, riskTolerance: 0.5 },
    // Signals are replayed at their own time, so no staleness; the price check stays on.
    limits: DEFAULT_RISK_LIMITS,
    features: DEFAULT_FEATURE_SETTINGS,
    ewma: DEFAULT_EWMA_SETTINGS,
    routing: DEFAULT_ROUTING,
    venue: paperVenueFactory({ wallet: 1000, funding, instrument: TRX_USDT_PERP }),
    ...overrides,
  };
}
