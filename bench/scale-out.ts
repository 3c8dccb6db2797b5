/**
 * `node --import tsx bench/scale-out.ts [--json FILE] [--count N] [--processes 1,2,3]`:
 * throughput of a scale-out deployment (PostgreSQL journal + JetStream queue) with 1, 2 and
 * 3 hedgehook processes behind a round-robin sender, each on a fresh schema and stream.
 *
 * Per run: `acceptedPerSec` — webhooks answered 2xx per second (the journal path: verify,
 * commit signal + outbox row); `processedPerSec` — signals settled per second, from the
 * first request until the last signal is hedged (relay → JetStream → worker → journal);
 * the ack latency percentiles. A last run has one process and one sender that waits for
 * each answer: the latency a single strategy sees. The processes, PostgreSQL, NATS and this
 * sender share the machine's cores, so on a small machine more processes mostly means more
 * contention: the figures say what this machine does, not what N machines would.
 *
 * `benchScaleOut()` is exported for bench/run.ts to merge into `npm run bench`.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { signedWebhook } from '../test/helpers/service-process.ts';
import { Cluster, payloadFor, type Hook } from '../test/integration/scale-out-cluster.ts';
import { bothMissing } from '../test/integration/scale-out-env.ts';

export interface ScaleOutRun {
  processes: number;
  webhooks: number;
  keys: number;
  partitions: number;
  connections: number;
  acceptedPerSec: number;
  processedPerSec: number;
  ackLatencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Answers other than 2xx (should be 0). */
  failed: number;
}

export interface ScaleOutReport {
  kind: 'scale-out';
  at: string;
  machine: { cpus: number; model: string; memoryGb: number };
  runs: ScaleOutRun[];
  skipped?: string;
}

const KEYS = ['TRX', 'BTC', 'ETH', 'SOL', 'DOGE', 'XRP', 'ADA', 'LTC', 'BNB', 'DOT', 'AVAX', 'LINK', 'ATOM', 'NEAR', 'APT', 'ARB'];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(2));
}

async function runOnce(processes: number, count: number, connections: number, partitions: number): Promise<ScaleOutRun> {
  const cluster = new Cluster({ partitions, ackWaitMs: 30_000 });
  try {
    await cluster.prepare();
    for (let i = 0; i < processes; i++) await cluster.start(i);
    const hooks: Hook[] = Array.from({ length: count }, (_, i) => signedWebhook(payloadFor(KEYS[i % KEYS.length]!, i), { id: `bench_${i}` }));
    // Warm-up: one request per process (JIT, pools, the relay role).
    for (let i = 0; i < processes; i++) await cluster.post(i, signedWebhook(payloadFor('WARM', i), { id: `warm_${i}` }));
    while ((await cluster.unsettled()) > 0) await new Promise((r) => setTimeout(r, 20));

    const latencies: number[] = [];
    let failed = 0;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < hooks.length) {
          const i = next++;
          const start = performance.now();
          const res = await cluster.post(i % processes, hooks[i]!);
          latencies.push(performance.now() - start);
          if (!res || res.status >= 300) failed++;
        }
      }),
    );
    const acceptedAt = performance.now();
    while ((await cluster.unsettled()) > 0) await new Promise((r) => setTimeout(r, 10));
    const processedAt = performance.now();
    latencies.sort((a, b) => a - b);
    return {
      processes,
      webhooks: count,
      keys: KEYS.length,
      partitions,
      connections,
      acceptedPerSec: Math.round(count / ((acceptedAt - t0) / 1000)),
      processedPerSec: Math.round(count / ((processedAt - t0) / 1000)),
      ackLatencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: percentile(latencies, 100) },
      failed,
    };
  } finally {
    await cluster.done();
  }
}

export async function benchScaleOut(options: { count?: number; processes?: number[]; connections?: number; partitions?: number; singleSenderCount?: number } = {}): Promise<ScaleOutReport> {
  const cpu = cpus();
  const report: ScaleOutReport = {
    kind: 'scale-out',
    at: new Date().toISOString(),
    machine: { cpus: cpu.length, model: cpu[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30) },
    runs: [],
  };
  const missing = await bothMissing();
  if (missing) {
    report.skipped = missing;
    return report;
  }
  for (const n of options.processes ?? [1, 2, 3]) {
    report.runs.push(await runOnce(n, options.count ?? 2000, options.connections ?? 32, options.partitions ?? 16));
  }
  // What one sender feels: each webhook sent when the last was answered, one process.
  report.runs.push(await runOnce(1, options.singleSenderCount ?? 500, 1, options.partitions ?? 16));
  return report;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await benchScaleOut({
    count: Number(arg('count') ?? 2000),
    processes: (arg('processes') ?? '1,2,3').split(',').map(Number),
  });
  const text = JSON.stringify(report, null, 2);
  const out = arg('json');
  if (out) writeFileSync(out, `${text}\n`);
  process.stdout.write(`${text}\n`);
}
