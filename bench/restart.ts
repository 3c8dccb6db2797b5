/**
 * In process: how long a restart spends rebuilding the decision state from the journal
 * (`restoreDecisionState`: one pass over every signal, before the service listens), on a
 * SQLite journal of N settled signals whose outcomes are as large as the service's own
 * (~1.3 KB: decision, features, contributions, reasons). Beside it, in the same run, the
 * same pass over the journal reading each signal's outcome too: what the fold cost before
 * it asked for listings without them.
 * Alone: `node --import tsx bench/restart.ts [--signals N]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { ProcessingOutcome } from '../src/core/signal.ts';
import { DecisionState, restoreDecisionState } from '../src/engine/decision-state.ts';
import { signalId } from '../src/ingest/signal-id.ts';
import { openSqliteJournal } from '../src/journal/sqlite/index.ts';

export interface RestartBench {
  signals: number;
  /** restoreDecisionState on a fresh state, ms: median of 3 and each run. */
  restoreMs: { median: number; runs: number[] };
  /** Every page of the journal read as the fold reads it, and read with the outcomes, ms (median of 3 each). */
  readAllMs: { withoutOutcomes: number; withOutcomes: number };
}

const KEYS = 50;
const PAGE = 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function outcomeOf(n: number): ProcessingOutcome {
  const features = { volatility: 0.42, strength: 0.8, trend: -0.13, funding: 0.01, drawdown: 0.2 };
  return {
    state: 'skipped',
    reason: 'the hedge held is the target: nothing to send',
    decision: {
      outcome: 'skipped',
      model: 'default-v1',
      ratio: 0.41 + (n % 7) / 100,
      targetHedge: -20_500,
      currentHedge: -20_500,
      decidedAt: 1_800_000_000_000 + n,
      features,
      contributions: { bias: 0.1, volatility: 0.12, strength: 0.09, trend: -0.02, funding: 0.004, drawdown: 0.03 },
      inputs: { price: 0.2412, leverage: 10, mainSize: 50_000, mainSide: 'long', marketPrice: 0.2413, volatility: 0.0123, equity: 100_000 },
      reasons: [
        { code: 'HH_RISK_NO_CHANGE', message: 'target equals the hedge held within the minimum order size' },
        { code: 'HH_MODEL_RATIO', message: 'ratio 0.41 from 5 features, clamped to [0, 1]' },
      ],
      limits: { maxHedgeRatio: 1, maxNotional: 1_000_000, maxOrdersPerMinute: 30, maxPriceDeviation: 0.02 },
    },
    orders: [],
  } as ProcessingOutcome;
}

export async function benchRestart(signals = 30_000): Promise<RestartBench> {
  const dir = mkdtempSync(join(tmpdir(), 'hh-bench-restart-'));
  const journal = openSqliteJournal({ path: join(dir, 'journal.db') });
  try {
    for (let start = 0; start < signals; start += PAGE) {
      const batch = [];
      for (let n = start; n < Math.min(signals, start + PAGE); n++) {
        const payload = { account: 'main', symbol: `K${n % KEYS}/USDT:USDT`, action: 'update' as const, type: 'breakout', strength: 0.8, price: 0.2412, time: 1_800_000_000_000 + n, position: { side: 'long' as const, size: 50_000, leverage: 10 } };
        const dedupKey = `msg_${n}`;
        batch.push(journal.append({ id: signalId('default', dedupKey), source: 'default', dedupKey, receivedAt: 1_800_000_000_000 + n, remoteAddr: '127.0.0.1', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload), payload, partitionKey: `main|${payload.symbol}` }));
      }
      await Promise.all(batch);
    }
    for (let settled = 0; settled < signals; ) {
      const ds = await journal.claim(KEYS, 1_800_000_000_000 + signals);
      if (ds.length === 0) throw new Error(`only ${settled} of ${signals} signals could be claimed`);
      await Promise.all(ds.map((d) => journal.settle(d, outcomeOf(d.seq), 1_800_000_000_000 + signals + d.seq)));
      settled += ds.length;
    }
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await restoreDecisionState(journal, new DecisionState());
      runs.push(Math.round(performance.now() - t0));
    }
    const readAll = async (outcome: boolean) => {
      const t0 = performance.now();
      let before: number | undefined;
      for (;;) {
        const page = await journal.listSignals({ limit: PAGE, outcome, ...(before !== undefined ? { beforeSeq: before } : {}) });
        if (page.length < PAGE) break;
        before = page[page.length - 1]!.seq;
      }
      return performance.now() - t0;
    };
    const without: number[] = [];
    const withOutcomes: number[] = [];
    for (let i = 0; i < 3; i++) {
      without.push(await readAll(false));
      withOutcomes.push(await readAll(true));
    }
    return {
      signals,
      restoreMs: { median: median(runs), runs },
      readAllMs: { withoutOutcomes: Math.round(median(without)), withOutcomes: Math.round(median(withOutcomes)) },
    };
  } finally {
    await journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const i = process.argv.indexOf('--signals');
  console.log(JSON.stringify(await benchRestart(i >= 0 ? Number(process.argv[i + 1]) : undefined), null, 2));
}
