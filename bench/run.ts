/**
 * `npm run bench -- [--json FILE] [--seconds N]`: acknowledged-webhook throughput and ack
 * latency of `hedgehook serve` against a bare Fastify route, both child processes driven
 * by autocannon from this process with the same signed requests, in the same run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { signedWebhook, startServiceProcess, writeConfig } from '../test/helpers/service-process.ts';
import { openLoop, type OpenLoopResult } from './open-loop.ts';
import { benchDecision } from './decision.ts';
import { benchDiskSync } from './disk-sync.ts';
import { watchDashboard, type DashboardLoad } from './dashboard-load.ts';
import { benchSections, sectionLines } from './sections.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const SECONDS = Number(arg('seconds') ?? 10);
const JSON_OUT = arg('json');
const CONNECTIONS = 32;
const FIXED_RATE = Number(arg('rate') ?? 1000);
const SYNCHRONOUS = arg('synchronous') ?? 'full';

const PAYLOAD = { symbol: 'TRXUSDT.P', action: 'update', account: 'main', type: 'breakout', strength: 0.8, price: 0.2412, position: { side: 'long', size: 50000, leverage: 10 } };

async function startBare(): Promise<{ url: string; pid: number; kill: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./bare-server.ts', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error('bare server exited')));
  });
  return { url, pid: child.pid!, kill: () => child.kill('SIGKILL') };
}

interface Run {
  target: string;
  mode: 'saturation';
  connections: number;
  seconds: number;
  requestsPerSec: number;
  acknowledged: number;
  non2xx: number;
  errors: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** hedgehook: seconds its worker took afterwards to process the backlog (waited out before the next run). */
  drainSeconds?: number;
  /** The server process's CPU time (user + system, all threads) per acknowledged request during the round. */
  serverCpuMicrosPerAck: number;
  /** hedgehook: the same, counting the CPU its worker spent on the backlog afterwards: the full cost of one webhook. */
  serverCpuMicrosPerAckWithDrain?: number;
  /** CPU of this process (autocannon, signing requests) per request answered; 1000 ms/s is one whole core. */
  loadGeneratorCpuMsPerSecond: number;
}

async function load(target: string, url: string, pid: number, mode: Run['mode'], seconds: number, connections = CONNECTIONS): Promise<Run> {
  const server0 = cpuTicks(pid);
  const self0 = process.cpuUsage();
  const result = await autocannon({
    url: `${url}/webhooks/default`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        // Every request is a new delivery with its own id and signature, so nothing is a duplicate.
        setupRequest: (req: autocannon.Request) => {
          const hook = signedWebhook(PAYLOAD);
          return { ...req, headers: hook.headers, body: hook.body };
        },
      },
    ],
  });
  const ok = result['2xx'];
  const serverTicks = cpuTicks(pid) - server0;
  const self = process.cpuUsage(self0);
  return {
    target,
    mode,
    connections,
    seconds,
    requestsPerSec: Math.round(ok / seconds),
    acknowledged: ok,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    serverCpuMicrosPerAck: ok > 0 ? Math.round((serverTicks * TICK_MICROS) / ok) : NaN,
    loadGeneratorCpuMsPerSecond: Math.round((self.user + self.system) / 1000 / seconds),
  };
}

function rssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

/** Linux's USER_HZ: /proc reports CPU time in 1/100 s. */
const TICK_MICROS = 10_000;

/** User + system CPU time of a process so far, in clock ticks (1/100 s). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * Waits until the service is idle again: acknowledging outruns processing at saturation,
 * and the backlog its worker then drains must not run during the next measurement (it
 * would slow the bare server's round, flattering the ratio, or the next hedgehook round).
 * Returns how long the drain took, in seconds.
 */
async function drained(pid: number, limitMs = 120_000): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < limitMs) {
    const before = cpuTicks(pid);
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (cpuTicks(pid) - before <= 1) break;
  }
  return Math.round((performance.now() - start) / 100) / 10;
}

/** Signals the service has processed so far, from its /metrics. */
async function processedTotal(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^hedgehook_signals_processed_total\{[^}]*\} (\d+)$/gm)) sum += Number(m[1]);
  return sum;
}

/** The fixed-rate rounds' warm-up: its requests are sent (and processed) but not timed. */
const WARMUP_SECONDS = 1;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dataDir = mkdtempSync(join(tmpdir(), 'hedgehook-bench-'));
const config = writeConfig(dataDir, {
  sources: { default: { scheme: 'standard', rateLimit: { burst: 1_000_000, perSecond: 1_000_000 } } },
  journal: { synchronous: SYNCHRONOUS },
  // The weekly refit's catch-up run, a minute after start, would read the whole journal
  // during the measured rounds: a weekly job, not the receiver's cost.
  model: { refit: { enabled: false } },
  logLevel: 'warn',
});
const bare = await startBare();
const barePid = bare.pid;
const hh = await startServiceProcess({ dataDir, config });
const runs: Run[] = [];
try {
  process.stderr.write('decision stage (features + model + target + risk), in process…\n');
  const decision = benchDecision();
  process.stderr.write('warming up…\n');
  await load('bare', bare.url, barePid, 'saturation', 2);
  await load('hedgehook', hh.url, hh.pid, 'saturation', 2);
  await drained(hh.pid);
  // Interleaved rounds, so a noisy neighbour hurts both sides alike.
  for (let round = 0; round < 3; round++) {
    for (const [name, url, pid] of [['bare', bare.url, barePid], ['hedgehook', hh.url, hh.pid]] as const) {
      process.stderr.write(`round ${round + 1}: ${name} at saturation…\n`);
      const before = cpuTicks(pid);
      const run = await load(name, url, pid, 'saturation', SECONDS);
      if (name === 'hedgehook') {
        run.drainSeconds = await drained(hh.pid);
        run.serverCpuMicrosPerAckWithDrain = Math.round(((cpuTicks(pid) - before) * TICK_MICROS) / run.acknowledged);
      }
      runs.push(run);
    }
  }
  // The disk's own fsync tail, on the journal's filesystem, while nothing else runs.
  process.stderr.write('disk: fdatasync on the data directory…\n');
  const disk = benchDiskSync(dataDir);
  // Three interleaved rounds, as at saturation: one round's p99 rests on its fifty slowest
  // answers, and single rounds of the same build moved between 3 and 12 ms here.
  const fixedRounds: Record<'bare' | 'hedgehook', OpenLoopResult[]> = { bare: [], hedgehook: [] };
  const fixedProcessing: { requests: number; processedByEnd: number; backlogSeconds: number }[] = [];
  for (let round = 0; round < 3; round++) {
    for (const [name, url] of [['bare', bare.url], ['hedgehook', hh.url]] as const) {
      process.stderr.write(`round ${round + 1}: ${name} at ${FIXED_RATE} req/s over ${CONNECTIONS} connections…\n`);
      const processedBefore = name === 'hedgehook' ? await processedTotal(url) : 0;
      const result = await openLoop({ url: `${url}/webhooks/default`, rate: FIXED_RATE, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, makeRequest: () => signedWebhook(PAYLOAD) });
      fixedRounds[name].push(result);
      if (name === 'hedgehook') {
        // Whether the worker kept up: a backlog it is still working through keeps the event
        // loop busy, and the acknowledgements' tail with it.
        const processed = (await processedTotal(url)) - processedBefore;
        fixedProcessing.push({ requests: result.sent + FIXED_RATE * WARMUP_SECONDS, processedByEnd: processed, backlogSeconds: await drained(hh.pid) });
      }
    }
  }
  const memory = rssMb(hh.pid);
  // The same fixed rate while a dashboard watches (after the RSS reading, which stays
  // comparable with earlier runs): its reads share the event loop with the acknowledgements.
  const watchedRounds: { result: OpenLoopResult; dashboard: DashboardLoad }[] = [];
  for (let round = 0; round < 3; round++) {
    process.stderr.write(`round ${round + 1}: hedgehook at ${FIXED_RATE} req/s with a dashboard open…\n`);
    const watcher = watchDashboard(hh.url);
    const result = await openLoop({ url: `${hh.url}/webhooks/default`, rate: FIXED_RATE, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, makeRequest: () => signedWebhook(PAYLOAD) });
    watchedRounds.push({ result, dashboard: await watcher.stop() });
    await drained(hh.pid);
  }
  // Latency against the number of connections, closed loop (each connection sends its next
  // request when answered): 1 is a single sender, 256 a crowd.
  const byConnections: Record<string, Run> = {};
  for (const conns of [1, 32, 256]) {
    process.stderr.write(`hedgehook at saturation over ${conns} connection(s)…\n`);
    byConnections[String(conns)] = await load('hedgehook', hh.url, hh.pid, 'saturation', SECONDS, conns);
    await drained(hh.pid);
  }
  const sections = await benchSections({ scaleOut: !process.argv.includes('--skip-scale-out'), log: (line) => process.stderr.write(`${line}\n`) });

  const sat = (t: string) => runs.filter((r) => r.target === t && r.mode === 'saturation');
  /** The median of each latency figure over the rounds (each round's own figures are in `rounds`). */
  const fixed = (t: 'bare' | 'hedgehook') => {
    const rounds = fixedRounds[t];
    const of = (k: keyof OpenLoopResult['latencyMs']) => median(rounds.map((r) => r.latencyMs[k]));
    return { latencyMs: { p50: of('p50'), p90: of('p90'), p99: of('p99'), max: of('max') }, rounds };
  };
  const bareRps = median(sat('bare').map((r) => r.requestsPerSec));
  const hhRps = median(sat('hedgehook').map((r) => r.requestsPerSec));
  const summary = {
    bareRequestsPerSec: bareRps,
    hedgehookAcknowledgedPerSec: hhRps,
    throughputRatio: Number((hhRps / bareRps).toFixed(3)),
    // Each hedgehook round against the bare round just before it: the host's speed drifts
    // between rounds (the bare route moved 10–18k req/s within minutes on one host), and a
    // pair shares more of it than the medians of the two sides do.
    throughputRatioByRound: sat('hedgehook').map((r, i) => Number((r.requestsPerSec / sat('bare')[i]!.requestsPerSec).toFixed(3))),
    saturationLatencyMs: { p50: median(sat('hedgehook').map((r) => r.latencyMs.p50)), p99: median(sat('hedgehook').map((r) => r.latencyMs.p99)) },
    backlogDrainSeconds: median(sat('hedgehook').map((r) => r.drainSeconds ?? NaN)),
    cpuMicrosPerRequest: {
      bare: median(sat('bare').map((r) => r.serverCpuMicrosPerAck)),
      hedgehookAck: median(sat('hedgehook').map((r) => r.serverCpuMicrosPerAck)),
      hedgehookWithProcessing: median(sat('hedgehook').map((r) => r.serverCpuMicrosPerAckWithDrain ?? NaN)),
    },
    loadGeneratorCpuMsPerSecond: { bare: median(sat('bare').map((r) => r.loadGeneratorCpuMsPerSecond)), hedgehook: median(sat('hedgehook').map((r) => r.loadGeneratorCpuMsPerSecond)) },
    bareSaturationLatencyMs: { p50: median(sat('bare').map((r) => r.latencyMs.p50)), p99: median(sat('bare').map((r) => r.latencyMs.p99)) },
    fixedRate: { requestsPerSec: FIXED_RATE, connections: CONNECTIONS, hedgehook: fixed('hedgehook'), bare: fixed('bare'), hedgehookProcessing: fixedProcessing },
    fixedRateWithDashboard: {
      latencyMs: { p50: median(watchedRounds.map((w) => w.result.latencyMs.p50)), p99: median(watchedRounds.map((w) => w.result.latencyMs.p99)) },
      rounds: watchedRounds,
    },
    diskSync: disk,
    rssMb: memory.rss,
    peakRssMb: memory.peak,
    decisionMicroseconds: decision.microseconds,
    ackLatencyByConnections: Object.fromEntries(Object.entries(byConnections).map(([c, r]) => [c, { acknowledgedPerSec: r.requestsPerSec, p50: r.latencyMs.p50, p99: r.latencyMs.p99 }])),
    commitToWireMs: sections.execution.commitToWireMs,
    backtest: { barsPerSecond: sections.backtest.barsPerSecond, wallMs: sections.backtest.wallMs, bars: sections.backtest.bars, signals: sections.backtest.signals },
    restart: { signals: sections.restart.signals, restoreMs: sections.restart.restoreMs.median, readAllMs: sections.restart.readAllMs },
  };
  const report = {
    benchmark: 'webhook-ack',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
    journal: { synchronous: SYNCHRONOUS },
    summary,
    runs,
    sections,
  };
  if (JSON_OUT) writeFileSync(JSON_OUT, `${JSON.stringify(report, null, 2)}\n`);

  const rows: [string, string][] = [
    ['bare Fastify 202, req/s (median of 3)', String(bareRps)],
    ['hedgehook acknowledged, req/s (median of 3)', String(hhRps)],
    ['throughput ratio (round by round)', `${(summary.throughputRatio * 100).toFixed(1)}% (${summary.throughputRatioByRound.map((x) => (x * 100).toFixed(1)).join(' / ')}%)`],
    [`hedgehook ack p50 / p99 at saturation, ${CONNECTIONS} conns (autocannon, whole ms)`, `${summary.saturationLatencyMs.p50} / ${summary.saturationLatencyMs.p99} ms`],
    [`hedgehook backlog of a saturation round processed in (median)`, `${summary.backlogDrainSeconds} s`],
    [`bare p50 / p99 at saturation`, `${summary.bareSaturationLatencyMs.p50} / ${summary.bareSaturationLatencyMs.p99} ms`],
    ['server CPU per request at saturation: bare / hedgehook ack / hedgehook incl. processing', `${summary.cpuMicrosPerRequest.bare} / ${summary.cpuMicrosPerRequest.hedgehookAck} / ${summary.cpuMicrosPerRequest.hedgehookWithProcessing} µs`],
    ['load generator CPU during bare / hedgehook rounds (1000 = one core)', `${summary.loadGeneratorCpuMsPerSecond.bare} / ${summary.loadGeneratorCpuMsPerSecond.hedgehook} ms/s`],
    [`hedgehook ack p50 / p99 at ${FIXED_RATE} req/s, ${CONNECTIONS} conns (median of 3; rounds' p99)`, `${fixed('hedgehook').latencyMs.p50} / ${fixed('hedgehook').latencyMs.p99} ms (${fixedRounds.hedgehook.map((r) => r.latencyMs.p99).join(', ')})`],
    [`hedgehook signals processed by the end of each ${FIXED_RATE} req/s round, of those sent; backlog left`, fixedProcessing.map((f) => `${f.processedByEnd}/${f.requests}, ${f.backlogSeconds} s`).join('; ')],
    [`hedgehook ack p50 / p99 at ${FIXED_RATE} req/s with a dashboard refreshing every second (median of 3; rounds' p99)`, `${summary.fixedRateWithDashboard.latencyMs.p50} / ${summary.fixedRateWithDashboard.latencyMs.p99} ms (${watchedRounds.map((w) => w.result.latencyMs.p99).join(', ')}); a refresh p50 ${median(watchedRounds.map((w) => w.dashboard.refreshMs.p50))} ms`],
    [`bare p50 / p99 at ${FIXED_RATE} req/s, ${CONNECTIONS} conns (median of 3; rounds' p99)`, `${fixed('bare').latencyMs.p50} / ${fixed('bare').latencyMs.p99} ms (${fixedRounds.bare.map((r) => r.latencyMs.p99).join(', ')})`],
    [`disk: fdatasync of ${disk.bytesPerSync / 1024} KiB on the data directory, p50 / p99 / max (${disk.samples} syncs)`, `${disk.fdatasyncMs.p50} / ${disk.fdatasyncMs.p99} / ${disk.fdatasyncMs.max} ms`],
    ['hedgehook RSS after the runs (peak)', `${memory.rss} MB (${memory.peak} MB)`],
    [`decision stage p50 / p99, one signal (${decision.iterations} calls; goal p99 < 50 µs)`, `${decision.microseconds.p50} / ${decision.microseconds.p99} µs`],
  ];
  for (const [c, r] of Object.entries(byConnections)) {
    rows.push([`hedgehook acknowledged/s and ack p50 / p99 at saturation, ${c} connection(s)`, `${r.requestsPerSec}/s, ${r.latencyMs.p50} / ${r.latencyMs.p99} ms`]);
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')}\n\n`);
  process.stdout.write(`${sectionLines(sections).join('\n')}\n`);
} finally {
  bare.kill();
  hh.child.kill('SIGTERM');
  await hh.exited;
}
