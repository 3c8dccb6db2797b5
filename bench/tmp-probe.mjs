import { PerformanceObserver, performance } from 'node:perf_hooks';
import { appendFileSync } from 'node:fs';
const out = process.env.PROBE_OUT;
if (out) {
  const kinds = { 1: 'major', 2: 'minor', 4: 'incremental', 8: 'weakcb' };
  new PerformanceObserver((list) => {
    let s = '';
    for (const e of list.getEntries()) s += JSON.stringify({ t: 'gc', at: performance.timeOrigin + e.startTime, d: e.duration, k: kinds[e.detail?.kind] ?? e.detail?.kind }) + '\n';
    appendFileSync(out, s);
  }).observe({ entryTypes: ['gc'] });
  let last = performance.now();
  const tick = () => {
    const now = performance.now();
    if (now - last > 4) appendFileSync(out, JSON.stringify({ t: 'stall', at: performance.timeOrigin + last, d: now - last }) + '\n');
    last = now;
    setTimeout(tick, 1).unref();
  };
  setTimeout(tick, 1).unref();
}
