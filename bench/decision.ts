/**
 * The decision stage's pure core: features + model + target + risk guard for one signal
 * (`decideSignal`), timed one call at a time, in process. Part of `npm run bench`; alone:
 * `node --import tsx bench/decision.ts [--iterations N]`. Goal (issue 3): p99 under 50 µs.
 *
 * Signals vary (size, strength, price, hour, action) so no branch is always the same,
 * and the model, kill switch, ledger and volatility are what the live stage passes.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { SignalPayload } from '../src/core/signal.ts';
import { TRX_USDT_PERP } from '../src/core/instrument.ts';
import { decideSignal, type DecisionInput } from '../src/engine/decision-stage.ts';
import { DEFAULT_FEATURE_SETTINGS } from '../src/model/features.ts';
import { DEFAULT_MODEL } from '../src/model/linear-model.ts';
import { DEFAULT_RISK_LIMITS } from '../src/risk/guard.ts';
import { EMPTY_LEDGER, reportMainFromSignal } from '../src/portfolio/positions.ts';

export interface DecisionBench {
  iterations: number;
  microseconds: { p50: number; p90: number; p99: number; max: number; mean: number };
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function benchDecision(iterations = 200_000): DecisionBench {
  const T = Date.UTC(2026, 10, 24, 0, 0);
  const inputs: DecisionInput[] = [];
  for (let i = 0; i < 1024; i++) {
    const time = T + (i % 24) * 3_600_000 + i * 1_000;
    const payload: SignalPayload = {
      account: 'main',
      symbol: TRX_USDT_PERP.symbol,
      action: i % 17 === 0 ? 'close' : i % 3 === 0 ? 'update' : 'open',
      strength: (i % 10) / 10,
      price: 0.24 + (i % 50) / 10_000,
      time,
      position: { side: i % 2 ? 'long' : 'short', size: 1_000 + ((i * 7919) % 200_000), leverage: 1 + (i % 20) },
    };
    inputs.push({
      payload,
      receivedAt: time,
      now: time + 50,
      model: DEFAULT_MODEL,
      killSwitch: { halted: false },
      account: { equity: 10_000, riskTolerance: 0.5 },
      limits: DEFAULT_RISK_LIMITS,
      features: DEFAULT_FEATURE_SETTINGS,
      instrument: TRX_USDT_PERP,
      ledger: reportMainFromSignal(EMPTY_LEDGER, payload, time),
      volatility: i % 4 === 0 ? undefined : 0.2 + (i % 30) / 100,
      marketPrice: i % 5 === 0 ? undefined : 0.2405 + (i % 40) / 10_000,
      lastSignalPrice: 0.241,
      recentOrderTimes: [],
      marks: { [TRX_USDT_PERP.symbol]: 0.241 },
    });
  }
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += decideSignal(inputs[i % inputs.length]!).ratio ?? 0; // warm-up (JIT)
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const input = inputs[i % inputs.length]!;
    const t0 = performance.now();
    const d = decideSignal(input);
    samples[i] = (performance.now() - t0) * 1_000;
    sink += d.ratio ?? 0;
  }
  if (sink === -1) process.stdout.write(''); // keep the results alive
  const total = samples.reduce((a, b) => a + b, 0);
  samples.sort();
  const round = (x: number) => Number(x.toFixed(2));
  return {
    iterations,
    microseconds: {
      p50: round(quantile(samples, 0.5)),
      p90: round(quantile(samples, 0.9)),
      p99: round(quantile(samples, 0.99)),
      max: round(samples[samples.length - 1]!),
      mean: round(total / iterations),
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--iterations');
  const result = benchDecision(i >= 0 ? Number(process.argv[i + 1]) : undefined);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
