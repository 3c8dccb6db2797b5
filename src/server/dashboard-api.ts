/**
 * The dashboard: the page at `/` with its assets (served from memory, no CDN, so it works
 * offline), the live event stream `GET /api/events`, and the read-only JSON it needs under
 * `/api/dashboard/…`. The API parts take the same bearer token as the rest of the API; the
 * page and its scripts hold no data and are open, so the page can ask for the token.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, RouteOptions } from 'fastify';
import { z } from 'zod';
import type { ControlStore } from '../core/controls.ts';
import type { ModelStore } from '../core/model.ts';
import type { OrderStore, OrderTotals } from '../core/orders.ts';
import type { DeadLetterQueue, Journal, SignalQueue } from '../core/ports.ts';
import type { SignalFact } from '../core/signal.ts';
import { killSwitchDto } from './api.ts';
import { bearerGuard } from './bearer.ts';
import type { Metrics } from './metrics.ts';

interface DashboardDeps {
  journal: Journal;
  queue: SignalQueue;
  dlq: DeadLetterQueue;
  models: ModelStore;
  controls: ControlStore;
  metrics: Metrics;
  /** The order legs, once the execution stage is wired. */
  orders?: OrderStore;
  apiToken?: string;
}

const ASSETS: Record<string, { file: URL | string; type: string }> = {
  '/': { file: new URL('./dashboard/index.html', import.meta.url), type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: new URL('./dashboard/app.js', import.meta.url), type: 'text/javascript; charset=utf-8' },
  '/dashboard/charts.js': { file: new URL('./dashboard/charts.js', import.meta.url), type: 'text/javascript; charset=utf-8' },
  '/dashboard/style.css': { file: new URL('./dashboard/style.css', import.meta.url), type: 'text/css; charset=utf-8' },
  '/dashboard/uplot.js': { file: createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/dashboard/uplot.css': { file: createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** The page runs only our own scripts; uPlot sets inline styles on its elements. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Operator actions that the live stream announces, whoever (page, script) made them. */
const CONTROL_ROUTES: Record<string, string> = {
  '/api/halt': 'halt',
  '/api/resume': 'resume',
  '/api/dlq/replay': 'dlq-replay',
};

const windowQuery = z.object({
  minutes: z.coerce.number().int().min(1).max(1440).default(60),
});

const HEARTBEAT_MS = 15_000;
/** How many journaled signals the per-type table covers: enough for a day of a busy strategy. */
const PERFORMANCE_WINDOW = 1000;

interface TypeRow {
  type: string;
  count: number;
  states: Record<string, number>;
  ratioSum: number;
  ratioCount: number;
  cost: number;
  filledNotional: number;
  orders: number;
}

/**
 * Per signal type: count, states, average ratio, and over the signals' order legs their
 * number, cost (fees) and the notional filled.
 */
export function performanceByType(facts: readonly SignalFact[], totalsOf: ReadonlyMap<string, OrderTotals>) {
  const rows = new Map<string, TypeRow>();
  for (const f of facts) {
    const type = f.type ?? '(none)';
    let row = rows.get(type);
    if (!row) rows.set(type, (row = { type, count: 0, states: {}, ratioSum: 0, ratioCount: 0, cost: 0, filledNotional: 0, orders: 0 }));
    row.count++;
    row.states[f.state] = (row.states[f.state] ?? 0) + 1;
    if (f.ratio !== undefined) {
      row.ratioSum += f.ratio;
      row.ratioCount++;
    }
    const totals = totalsOf.get(f.id);
    if (totals) {
      row.orders += totals.legs;
      row.cost += totals.fees;
      row.filledNotional += totals.filledNotional;
    }
  }
  return [...rows.values()]
    .map((r) => ({
      type: r.type,
      count: r.count,
      states: r.states,
      averageRatio: r.ratioCount === 0 ? null : r.ratioSum / r.ratioCount,
      decided: r.ratioCount,
      orders: r.orders,
      cost: r.cost,
      filledNotional: r.filledNotional,
    }))
    .sort((a, b) => b.count - a.count || a.type.localeCompare(b.type));
}

function loadAssets(): Map<string, { body: Buffer; type: string }> {
  const out = new Map<string, { body: Buffer; type: string }>();
  for (const [path, a] of Object.entries(ASSETS)) out.set(path, { body: readFileSync(a.file), type: a.type });
  return out;
}

export function registerDashboard(app: FastifyInstance, deps: DashboardDeps): void {
  const { metrics } = deps;
  const assets = loadAssets();

  // Attached per route at registration: no hook runs on any other route (the webhook path).
  app.addHook('onRoute', (route: RouteOptions) => {
    const action = route.method === 'POST' ? CONTROL_ROUTES[route.url] : undefined;
    if (!action) return;
    const announce = async (_req: unknown, reply: FastifyReply) => {
      if (reply.statusCode < 300) metrics.publish('control', { action });
    };
    const existing = route.onResponse;
    route.onResponse = existing === undefined ? [announce] : Array.isArray(existing) ? [...existing, announce] : [existing, announce];
  });

  for (const [path, asset] of assets) {
    app.get(path, async (_req, reply) => {
      reply
        .header('content-type', asset.type)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff');
      if (path === '/') reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer');
      return asset.body;
    });
  }

  const heartbeat = setInterval(() => metrics.live.heartbeat(), HEARTBEAT_MS);
  heartbeat.unref();
  // Open streams would keep the listener from closing; end them before it does.
  app.addHook('preClose', async () => {
    clearInterval(heartbeat);
    metrics.live.closeAll();
  });

  app.register(async (api) => {
    const guard = bearerGuard(deps.apiToken);
    if (guard) api.addHook('onRequest', guard);

    api.get('/api/events', (req, reply) => {
      const last = Number(req.headers['last-event-id']);
      reply.hijack();
      metrics.live.attach(reply.raw, Number.isInteger(last) && last >= 0 ? last : undefined);
    });

    api.get('/api/dashboard/summary', async (req, reply) => {
      const q = windowQuery.safeParse(req.query);
      if (!q.success) return reply.code(400).send({ error: 'HH_ERR_BAD_REQUEST', message: 'minutes must be a whole number from 1 to 1440' });
      const windowMs = q.data.minutes * 60_000;
      const a = metrics.activity;
      const [queueDepth, dlqSize, killSwitch, model] = await Promise.all([
        deps.queue.depth(),
        deps.dlq.size(),
        deps.controls.killSwitch(),
        deps.models.active(),
      ]);
      const sources = a.sources();
      const sum = (k: 'accepted' | 'duplicate' | 'rejected') => sources.reduce((n, s) => n + s[k], 0);
      return {
        now: new Date(a.now()).toISOString(),
        since: new Date(a.startedAt).toISOString(),
        windowMinutes: q.data.minutes,
        webhooks: {
          accepted: sum('accepted'),
          duplicate: sum('duplicate'),
          rejected: sum('rejected'),
          sources: sources.map((s) => ({ ...s, lastSeenAt: s.lastSeenAt === null ? null : new Date(s.lastSeenAt).toISOString() })),
          reasons: a.rejectionReasons(),
        },
        queueDepth,
        dlqSize,
        killSwitch: killSwitchDto(killSwitch),
        model: model.version,
        latency: {
          ack: a.latency('ack', windowMs),
          decision: a.latency('decision', windowMs),
          hedge: a.latency('hedge', windowMs),
        },
        venues: a.venues(),
        alerts: a.alerts().map((x) => ({ ...x, since: new Date(x.since).toISOString() })),
        margins: a.margins(),
        liveClients: metrics.live.clients,
        // The page asks for orders only where the execution stage serves them.
        features: { orders: deps.orders !== undefined && app.hasRoute({ method: 'GET', url: '/api/orders' }) },
      };
    });

    api.get('/api/dashboard/series', async (req, reply) => {
      const q = windowQuery.safeParse(req.query);
      if (!q.success) return reply.code(400).send({ error: 'HH_ERR_BAD_REQUEST', message: 'minutes must be a whole number from 1 to 1440' });
      return metrics.activity.series(q.data.minutes * 60_000);
    });

    api.get('/api/dashboard/equity', async () => ({ accounts: metrics.activity.equity() }));

    api.get('/api/dashboard/performance', async () => {
      // Both reads are the stores' own aggregates: the journal extracts type, state and
      // ratio, the order store sums the legs (a fraction of parsing the outcomes here).
      const facts = await deps.journal.listSignalFacts({ limit: PERFORMANCE_WINDOW });
      const totals = deps.orders && facts.length > 0 ? await deps.orders.totalsBySignal(facts.map((f) => f.id)) : [];
      return { signals: facts.length, window: PERFORMANCE_WINDOW, types: performanceByType(facts, new Map(totals.map((t) => [t.signalId, t]))) };
    });
  });
}
