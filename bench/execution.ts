/**
 * In-process latency from "the signal is committed to the journal" to "the order request
 * leaves for the venue", with paper venues at zero latency (issue 4; goal p99 < 2 ms).
 *
 * The real live stack, in one process: the SQLite journal (FULL fsync on append) and the
 * order-leg store in a temp dir, the worker, the decision stage and the execution stage
 * with the router over two paper venues priced from a static feed. t0 is taken when
 * `journal.append` resolves (the commit is done), t1 when the router calls the venue's
 * `submit` (for a real exchange, where the request is written to the socket). In between:
 * wake-up, claim, model, risk, the leg journaled, the router.
 *
 * Signals are sent one at a time (each waits for its order) so the figure is the latency
 * of one signal, not of a queue. Each signal changes the position so each needs an order.
 * Alone: `node --import tsx bench/execution.ts [--signals N]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { systemClock } from '../src/core/clock.ts';
import { InMemoryControlStore } from '../src/core/controls.ts';
import { seededRandom } from '../src/core/random.ts';
import { partitionKey, type IncomingSignal, type SignalPayload } from '../src/core/signal.ts';
import type { Venue } from '../src/core/venue.ts';
import { createDecisionStage } from '../src/engine/decision-stage.ts';
import { DecisionState } from '../src/engine/decision-state.ts';
import { createExecutionStage } from '../src/engine/execution-stage.ts';
import { Worker } from '../src/engine/worker.ts';
import { DEFAULT_ROUTING } from '../src/execution/router.ts';
import { signalId } from '../src/ingest/signal-id.ts';
import { openSqliteJournal, openSqliteState } from '../src/journal/sqlite/index.ts';
import { createStaticFeed } from '../src/marketdata/static.ts';
import { DEFAULT_MODEL, parseModelVersion } from '../src/model/registry.ts';
import { DEFAULT_RISK_LIMITS } from '../src/risk/guard.ts';
import { createPaperVenue } from '../src/venues/paper/index.ts';

export interface ExecutionBench {
  signals: number;
  orders: number;
  /** Journal commit → venue submit, ms. */
  commitToWireMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

export async function benchExecution(signals = 1000): Promise<ExecutionBench> {
  const dir = mkdtempSync(join(tmpdir(), 'hh-bench-exec-'));
  const path = join(dir, 'journal.db');
  const journal = openSqliteJournal({ path });
  const state = openSqliteState({ path, defaultModel: DEFAULT_MODEL, validate: parseModelVersion });
  const clock = systemClock;
  const market = createStaticFeed({ 'TRX/USDT:USDT': 0.2412 }, { clock });
  const venues = new Map<string, Venue>();
  const sentAt = new Map<string, number>();
  for (const id of ['primary', 'backup']) {
    const venue = createPaperVenue({ id, kind: 'paper', latencyMs: 0, balance: 1e12 }, { clock, market, random: seededRandom(1) });
    await venue.start();
    const submit = venue.submit.bind(venue);
    // The moment the request would be written to the exchange's socket.
    venue.submit = (req, signal) => {
      sentAt.set(req.clientOrderId.slice(2, 22), performance.now());
      return submit(req, signal);
    };
    venues.set(id, venue);
  }
  const decisionState = new DecisionState();
  const decision = createDecisionStage({
    clock,
    models: state.models,
    controls: new InMemoryControlStore(),
    state: decisionState,
    account: { equity: 10_000, riskTolerance: 0.5 },
    limits: { ...DEFAULT_RISK_LIMITS, maxOrdersPerMinute: 1_000_000, maxHedgeNotional: 1e12 },
    market,
  });
  const stage = createExecutionStage({ clock, decision, orders: state.orders, venues, routing: { ...DEFAULT_ROUTING, order: ['primary', 'backup'] } });
  const worker = new Worker({ queue: journal, process: stage.process, clock, random: Math.random });
  worker.start();

  const latencies: number[] = [];
  try {
    for (let i = 0; i < signals + 50; i++) {
      const payload: SignalPayload = {
        account: 'main',
        symbol: 'TRX/USDT:USDT',
        action: 'update',
        strength: 0.8,
        price: 0.2412,
        position: { side: 'long', size: i % 2 ? 100_000 : 50_000, leverage: 10 },
      };
      const id = signalId('bench', `exec_${i}`);
      const signal: IncomingSignal = {
        id, source: 'bench', dedupKey: `exec_${i}`, receivedAt: clock.now(), remoteAddr: '127.0.0.1', headers: {},
        body: JSON.stringify(payload), payload, partitionKey: partitionKey(payload),
      };
      await journal.append(signal);
      const t0 = performance.now();
      const key = id.slice(4);
      while (!sentAt.has(key)) await new Promise((r) => setImmediate(r));
      // The first 50 warm the JIT and the statement caches.
      if (i >= 50) latencies.push(sentAt.get(key)! - t0);
      await worker.idle();
    }
  } finally {
    await worker.stop();
    for (const v of venues.values()) await v.close();
    state.close();
    await journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    signals,
    orders: latencies.length,
    commitToWireMs: {
      p50: round(q(sorted, 0.5)),
      p90: round(q(sorted, 0.9)),
      p99: round(q(sorted, 0.99)),
      max: round(sorted.at(-1)!),
      mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--signals');
  const n = i > 0 ? Number(process.argv[i + 1]) : 1000;
  console.log(JSON.stringify(await benchExecution(n), null, 2));
}
