/**
 * An open dashboard, as its server sees it while signals stream in: each signal event makes
 * the page refetch its parts, batched to about once a second (src/server/dashboard/app.js,
 * `want`). This fetches the same parts once a second until stopped, one page's worth: the
 * load an operator watching a flood puts on the process that acknowledges the webhooks.
 */
import { performance } from 'node:perf_hooks';
import { percentile } from './open-loop.ts';

/** What a `signal` event has the page refetch (app.js HANDLERS.signal), with its query strings. */
export const DASHBOARD_PARTS = [
  '/api/signals?limit=50',
  '/api/dashboard/performance',
  '/api/dashboard/summary?minutes=60',
  '/api/positions',
  '/api/dashboard/series?minutes=60',
  '/api/orders?limit=500',
];

export interface DashboardLoad {
  refreshes: number;
  /** Wall time of one refresh, all parts fetched at once as the page does. */
  refreshMs: { p50: number; max: number };
}

export function watchDashboard(url: string, everyMs = 1000): { stop(): Promise<DashboardLoad> } {
  let running = true;
  const times: number[] = [];
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await Promise.all(
        DASHBOARD_PARTS.map(async (part) => {
          const res = await fetch(url + part);
          await res.arrayBuffer();
          if (!res.ok) throw new Error(`dashboard ${part}: HTTP ${res.status}`);
        }),
      );
      times.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      times.sort((a, b) => a - b);
      const r = (ms: number) => Math.round(ms * 10) / 10;
      return { refreshes: times.length, refreshMs: { p50: r(percentile(times, 50)), max: r(times[times.length - 1] ?? NaN) } };
    },
  };
}
