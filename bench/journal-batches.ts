/**
 * A fixed journal workload, in process, for judging a change by numbers that a noisy
 * machine does not move: CPU time per operation (process.cpuUsage) and, under
 * `valgrind --tool=callgrind`, instruction counts (run it with `--count 0` as well and
 * subtract, to leave start-up out).
 *
 *   node --import tsx bench/journal-batches.ts [--count N] [--batch B] [--prefill P] [--synchronous full|normal]
 *     [--phase appends|worker|both] [--checkpoint-thread on|off]
 *
 * - appends: N webhooks appended in group commits of B (one event-loop turn each, as
 *   B concurrent connections give), every one a new delivery on one partition key.
 * - worker: the N queued signals claimed and settled one at a time, as the worker does
 *   for one key (claim, then settle, each its own batch: worker-only batches commit NORMAL).
 * Prints one JSON line per phase.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import type { IncomingSignal } from '../src/core/signal.ts';
import { signalId } from '../src/ingest/signal-id.ts';
import { openSqliteJournal } from '../src/journal/sqlite/index.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const COUNT = Number(arg('count', '20000'));
/** Signals already in the journal before measuring: the indexes' size decides how many pages an append touches. */
const PREFILL = Number(arg('prefill', '0'));
const BATCH = Number(arg('batch', '32'));
const SYNCHRONOUS = arg('synchronous', 'full') as 'full' | 'normal';
const PHASE = arg('phase', 'both');
/** `off` for instruction counts: the checkpoint thread's share of the work depends on timing. */
const CHECKPOINT_THREAD = arg('checkpoint-thread', 'on') !== 'off';

/**
 * The bench's webhook, as ingest hands it to the journal. The delivery id looks random,
 * like a sender's UUID, and so does the signal id (a hash): both land at random places
 * of their indexes, which is what makes an append touch more pages than the row's own.
 * Derived from n, so every run writes the same bytes.
 */
function signal(n: number): IncomingSignal {
  const payload = { symbol: 'TRX/USDT:USDT', action: 'update' as const, account: 'main', type: 'breakout', strength: 0.8, price: 0.2412, position: { side: 'long' as const, size: 50000, leverage: 10 } };
  const h = createHash('sha256').update(String(n)).digest('hex');
  const dedupKey = `msg_${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  return {
    id: signalId('default', dedupKey),
    source: 'default',
    dedupKey,
    receivedAt: 1_700_000_000_000 + n,
    remoteAddr: '127.0.0.1',
    headers: { 'content-type': 'application/json', 'webhook-id': dedupKey, 'webhook-timestamp': '1700000000' },
    body: '{"symbol":"TRXUSDT.P","action":"update","account":"main","type":"breakout","strength":0.8,"price":0.2412,"position":{"side":"long","size":50000,"leverage":10}}',
    payload,
    partitionKey: 'main|TRX/USDT:USDT',
  };
}

interface PhaseResult {
  phase: string;
  ops: number;
  cpuMicrosPerOp: { user: number; system: number; total: number };
  wallMicrosPerOp: number;
  /** Wall time of one group commit (appends: a batch of B), ms: checkpoints show in the tail. */
  commitMs?: { p50: number; p99: number; max: number };
}

const commitTimes: number[] = [];
function commitPercentiles(): PhaseResult['commitMs'] {
  const xs = commitTimes.splice(0).sort((a, b) => a - b);
  const at = (p: number) => Math.round((xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? NaN) * 1000) / 1000;
  return { p50: at(50), p99: at(99), max: at(100) };
}

async function measure(phase: string, ops: number, run: () => Promise<void>): Promise<PhaseResult> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const wall = (performance.now() - t0) * 1000;
  const cpu = process.cpuUsage(cpu0);
  const per = (us: number) => (ops > 0 ? Math.round((us / ops) * 10) / 10 : 0);
  return { phase, ops, cpuMicrosPerOp: { user: per(cpu.user), system: per(cpu.system), total: per(cpu.user + cpu.system) }, wallMicrosPerOp: per(wall) };
}

const dir = mkdtempSync(join(tmpdir(), 'hedgehook-journal-bench-'));
const journal = openSqliteJournal({ path: join(dir, 'journal.db'), synchronous: SYNCHRONOUS, checkpointThread: CHECKPOINT_THREAD });
try {
  for (let n = 0; n < PREFILL; n += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, PREFILL - n) }, (_, j) => journal.append(signal(-1_000_000 - n - j))));
  }
  if (PREFILL > 0) {
    // Settled, as a running service's would be: only the new signals are queued.
    for (;;) {
      const [d] = await journal.claim(1, 1_800_000_000_000);
      if (!d) break;
      await journal.settle(d, { state: 'skipped', reason: 'bench' }, 1_800_000_000_000);
    }
  }
  // Warm-up, not measured: statement caches, JIT.
  for (let i = 0; i < 4; i++) await Promise.all(Array.from({ length: BATCH }, (_, j) => journal.append(signal(-1000 - i * BATCH - j))));
  for (let i = 0; i < 4 * BATCH; i++) {
    const [d] = await journal.claim(1, 1_800_000_000_000);
    if (d) await journal.settle(d, { state: 'skipped', reason: 'bench' }, 1_800_000_000_000);
  }
  const results: PhaseResult[] = [];
  if (PHASE === 'appends' || PHASE === 'both') {
    results.push(
      await measure('appends', COUNT, async () => {
        for (let n = 0; n < COUNT; n += BATCH) {
          const size = Math.min(BATCH, COUNT - n);
          const t0 = performance.now();
          await Promise.all(Array.from({ length: size }, (_, j) => journal.append(signal(n + j))));
          commitTimes.push(performance.now() - t0);
        }
      }),
    );
    results.at(-1)!.commitMs = commitPercentiles();
  }
  if (PHASE === 'worker' || PHASE === 'both') {
    const queued = await journal.depth();
    results.push(
      await measure('worker', queued, async () => {
        for (;;) {
          const [d] = await journal.claim(1, 1_800_000_000_000);
          if (!d) break;
          await journal.settle(d, { state: 'skipped', reason: 'bench' }, 1_800_000_000_000);
        }
      }),
    );
  }
  for (const r of results) process.stdout.write(`${JSON.stringify({ ...r, batch: BATCH, prefill: PREFILL, synchronous: SYNCHRONOUS })}\n`);
} finally {
  await journal.close();
  rmSync(dir, { recursive: true, force: true });
}
