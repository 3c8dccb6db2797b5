/**
 * The read API and DLQ actions. Bound to loopback by default; the wiring passes a token
 * whenever the service listens on any other address.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import type { ControlStore, KillSwitchState } from '../core/controls.ts';
import type { ModelActivation, ModelStore } from '../core/model.ts';
import { orderView, type OrderStore } from '../core/orders.ts';
import type { DeadLetterEntry, DeadLetterQueue, Journal } from '../core/ports.ts';
import { SIGNAL_STATES, type SignalView } from '../core/signal.ts';
import type { PositionView } from '../portfolio/positions.ts';
import { bearerGuard } from './bearer.ts';

/** `GET /api/market`: the market-data feed and the venues. */
export interface MarketDescription {
  kind: string;
  description: string;
  venues: { id: string; kind: string }[];
}

/** Where `GET /api/positions` reads the ledger (the decision stage's, in the wiring). */
export type PositionsSource = () => PositionView[] | Promise<PositionView[]>;

interface ApiDeps {
  journal: Journal;
  dlq: DeadLetterQueue;
  clock: Clock;
  models: ModelStore;
  controls: ControlStore;
  positions: PositionsSource;
  /** The order legs; without it (no execution wired) orders come from the settled outcome only. */
  orders?: OrderStore;
  /** What the prices are and where they come from (a simulated feed must say so). */
  market?: () => MarketDescription;
  apiToken?: string;
}

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().positive().optional(),
  state: z.enum(SIGNAL_STATES).optional(),
  source: z.string().max(64).optional(),
});

const ordersQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().positive().optional(),
  venue: z.string().min(1).max(64).optional(),
  signal: z.string().min(1).max(64).optional(),
});

const haltBody = z.strictObject({
  reason: z.string().min(1).max(500).optional(),
  by: z.string().min(1).max(64).optional(),
});
const resumeBody = z.strictObject({ by: z.string().min(1).max(64).optional() });

const replayBody = z.union([
  z.strictObject({ all: z.literal(true) }),
  z.strictObject({ ids: z.array(z.string().min(1).max(64)).min(1).max(10_000) }),
]);

/** The public shape of a signal (DESIGN.md, "HTTP"). */
export function signalDto(view: SignalView) {
  const outcome = view.outcome;
  return {
    id: view.id,
    seq: view.seq,
    source: view.source,
    state: view.state,
    receivedAt: new Date(view.receivedAt).toISOString(),
    account: view.account,
    symbol: view.symbol,
    action: view.payload.action,
    type: view.payload.type ?? null,
    attempts: view.attempts,
    reason: outcome?.reason ?? null,
    lastError: view.lastError ?? null,
    decision: (outcome?.decision as object | undefined) ?? null,
    orders: (outcome?.orders as object[] | undefined) ?? [],
  };
}

export function dlqDto(entry: DeadLetterEntry) {
  return { ...entry, deadAt: new Date(entry.deadAt).toISOString() };
}

/** The kill switch as the API shows it: `{halted, reason, by, at}` (ISO time or null). */
export function killSwitchDto(state: KillSwitchState) {
  return {
    halted: state.halted,
    reason: state.reason ?? null,
    by: state.by ?? null,
    at: state.at === undefined ? null : new Date(state.at).toISOString(),
  };
}

function activationDto(a: ModelActivation) {
  return { version: a.version, at: new Date(a.at).toISOString(), by: a.by, reason: a.reason ?? null };
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
}

export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  app.register(async (api) => {
    const guard = bearerGuard(deps.apiToken);
    if (guard) api.addHook('onRequest', guard);

    api.setErrorHandler(async (err: FastifyError, _req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) _req.log.error({ err }, 'api request failed');
      return reply.code(status).send({
        error: status === 500 ? 'HH_ERR_INTERNAL' : 'HH_ERR_BAD_REQUEST',
        message: status === 500 ? 'internal error' : err.message.split('\n')[0],
      });
    });

    api.get('/api/signals', async (req, reply) => {
      const q = listQuery.safeParse(req.query);
      if (!q.success) return reply.code(400).send({ error: 'HH_ERR_BAD_REQUEST', message: q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      const views = await deps.journal.listSignals({ limit: q.data.limit, beforeSeq: q.data.before, state: q.data.state, source: q.data.source });
      return { signals: views.map(signalDto) };
    });

    api.get<{ Params: { id: string } }>('/api/signals/:id', async (req, reply) => {
      const view = await deps.journal.getSignal(req.params.id);
      if (!view) return reply.code(404).send({ error: 'HH_ERR_NOT_FOUND', message: `no signal ${req.params.id.slice(0, 64)}` });
      const dto = signalDto(view);
      // The legs table is the live truth (a signal in flight has legs before it settles).
      if (deps.orders) {
        const legs = await deps.orders.legsOf(view.id);
        if (legs.length > 0) dto.orders = legs.map(orderView);
      }
      return dto;
    });

    api.get('/api/orders', async (req, reply) => {
      const q = ordersQuery.safeParse(req.query);
      if (!q.success) return reply.code(400).send({ error: 'HH_ERR_BAD_REQUEST', message: issues(q.error) });
      if (!deps.orders) return { orders: [] };
      const legs = await deps.orders.list({
        limit: q.data.limit,
        ...(q.data.before !== undefined ? { beforeId: q.data.before } : {}),
        ...(q.data.venue !== undefined ? { venue: q.data.venue } : {}),
        ...(q.data.signal !== undefined ? { signalId: q.data.signal } : {}),
      });
      return { orders: legs.map((l) => ({ id: l.id, ...orderView(l) })) };
    });

    api.get('/api/rejections', async () => ({ rejections: await deps.journal.listRejections(200) }));

    api.get('/api/dlq', async () => ({ entries: (await deps.dlq.list()).map(dlqDto) }));

    api.post('/api/dlq/replay', async (req, reply) => {
      const body = replayBody.safeParse(req.body ?? {});
      if (!body.success) return reply.code(400).send({ error: 'HH_ERR_BAD_REQUEST', message: 'body must be {"all": true} or {"ids": ["sig_…"]}' });
      const target = 'all' in body.data ? 'all' as const : { ids: body.data.ids };
      return deps.dlq.replay(target, deps.clock.now());
    });

    api.get('/api/positions', async () => ({ positions: await deps.positions() }));

    api.get('/api/market', async () => deps.market?.() ?? { kind: 'none', description: 'no market data wired', venues: [] });

    api.get('/api/models', async () => {
      const [models, active, activations] = await Promise.all([deps.models.list(), deps.models.active(), deps.models.activations()]);
      return { active: active.version, models, activations: activations.map(activationDto) };
    });

    // The kill switch: stops new orders; webhooks are still journaled and decided.
    api.get('/api/halt', async () => killSwitchDto(await deps.controls.killSwitch()));

    api.post('/api/halt', async (req, reply) => {
      const body = haltBody.safeParse(req.body ?? {});
      if (!body.success) return reply.code(400).send({ error: 'HH_ERR_BAD_REQUEST', message: issues(body.error) });
      const state = await deps.controls.halt({
        by: body.data.by ?? `api ${req.ip}`,
        at: deps.clock.now(),
        ...(body.data.reason !== undefined ? { reason: body.data.reason } : {}),
      });
      req.log.warn({ by: state.by, reason: state.reason }, 'kill switch engaged: no new orders');
      return killSwitchDto(state);
    });

    api.post('/api/resume', async (req, reply) => {
      const body = resumeBody.safeParse(req.body ?? {});
      if (!body.success) return reply.code(400).send({ error: 'HH_ERR_BAD_REQUEST', message: issues(body.error) });
      const state = await deps.controls.resume({ by: body.data.by ?? `api ${req.ip}`, at: deps.clock.now() });
      req.log.warn({ by: state.by }, 'kill switch released');
      return killSwitchDto(state);
    });
  });
}
