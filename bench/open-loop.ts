/**
 * Latency below saturation, measured precisely: requests start at evenly spaced moments
 * (an open loop, so a slow answer does not delay the next request and hide itself) over a
 * keep-alive pool of N connections, each timed with performance.now() from the moment
 * its bytes are handed to the socket to the end of the answer.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface OpenLoopResult {
  rate: number;
  connections: number;
  sent: number;
  ok: number;
  failed: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export async function openLoop(opts: {
  url: string;
  rate: number;
  seconds: number;
  /** Not recorded: opens the pool's connections and warms both sides up. */
  warmupSeconds?: number;
  connections: number;
  makeRequest: () => { headers: Record<string, string>; body: string };
}): Promise<OpenLoopResult> {
  const target = new URL(opts.url);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const warmup = Math.round(opts.rate * (opts.warmupSeconds ?? 1));
  const total = warmup + Math.round(opts.rate * opts.seconds);
  const interval = 1000 / opts.rate;
  const latencies: number[] = [];
  let failed = 0;
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait - 0.5));
    while (performance.now() < due) await new Promise((r) => setImmediate(r));
    const { headers, body } = opts.makeRequest();
    inflight.push(
      new Promise<void>((resolve) => {
        const t0 = performance.now();
        const req = request({ agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          res.on('end', () => {
            const ms = performance.now() - t0;
            if (i < warmup) return resolve();
            if (res.statusCode && res.statusCode < 300) latencies.push(ms);
            else failed++;
            resolve();
          });
        });
        req.on('error', () => {
          if (i >= warmup) failed++;
          resolve();
        });
        req.end(body);
      }),
    );
  }
  await Promise.all(inflight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    rate: opts.rate,
    connections: opts.connections,
    sent: total - warmup,
    ok: latencies.length,
    failed,
    latencyMs: { p50: round(percentile(latencies, 50)), p90: round(percentile(latencies, 90)), p99: round(percentile(latencies, 99)), max: round(latencies.at(-1) ?? NaN) },
  };
}
