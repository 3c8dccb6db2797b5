/**
 * The weekly refit of `serve` on a ManualClock, over a memory journal and order store
 * holding six weeks of settled decisions: when it runs, what it proposes, and when (only)
 * it promotes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import type { HedgeDecision } from '../../src/core/decision.ts';
import type { ModelVersion } from '../../src/core/model.ts';
import type { SignalPayload } from '../../src/core/signal.ts';
import { InMemoryScheduledRuns, RELEASED_AT, type ScheduledRuns } from '../../src/core/scheduled-runs.ts';
import { CLAIM_STALE_MS, createRefitJob, DEFAULT_REFIT_SETTINGS, nextRunAfter, REFIT_AUTHOR, REFIT_JOB, refitConfigSchema, type RefitJobOptions, type RefitOutcome, type RefitSettings } from '../../src/engine/refit-job.ts';
import { signalId } from '../../src/ingest/signal-id.ts';
import { MemoryJournal } from '../../src/journal/memory.ts';
import { MemoryOrderStore } from '../../src/journal/memory-orders.ts';
import { DEFAULT_MODEL, InMemoryModelStore } from '../../src/model/registry.ts';
import { staticModel } from '../../src/model/static-model.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** Monday 2024-01-01 00:00 UTC. */
const MONDAY = Date.UTC(2024, 0, 1);
const SYMBOL = 'TRX/USDT:USDT';

/**
 * From MONDAY until `until`: a long position of 100 000 TRX at 0.1 (10x), a heartbeat every 6 h with its
 * decision and a filled hedge leg: the price never moves, so no position was ever in
 * danger and hedging only cost fees and slippage — the hindsight-best ratio is always 0.
 */
async function journalOf(until: number, every = 6 * HOUR) {
  const journal = new MemoryJournal();
  const orders = new MemoryOrderStore();
  let n = 0;
  for (let t = MONDAY; t < until; t += every) {
    n++;
    const payload: SignalPayload = { account: 'main', symbol: SYMBOL, action: 'update', strength: 0.5, price: 0.1, time: t, position: { side: 'long', size: 100_000, leverage: 10 } };
    const id = signalId('default', `msg_${n}`);
    await journal.append({ id, source: 'default', dedupKey: `msg_${n}`, receivedAt: t, remoteAddr: '203.0.113.7', headers: {}, body: JSON.stringify(payload), payload, partitionKey: `main|${SYMBOL}` });
    const [delivery] = await journal.claim(1, t);
    const decision: HedgeDecision = {
      outcome: 'hedge',
      ratio: 0.5,
      modelVersion: 'article-v1',
      // positionSize varies, so the fit has something to regress on.
      features: { positionSize: (n % 10) / 10, signalStrength: 0.5, volatility: 0.35, riskTolerance: 0.5, timeOfDay: 0.4 },
      contributions: {},
      targetHedge: -50_000,
      currentHedge: 0,
      reasons: [],
      decidedAt: t,
      order: { symbol: SYMBOL, side: 'sell', amount: 1000, reduceOnly: false, referencePrice: 0.1, notional: 100 },
      inputs: { price: 0.1, positionSide: 'long', positionSize: 100_000, leverage: 10 },
    };
    await journal.settle(delivery!, { state: 'hedged', decision }, t);
    await orders.save({
      clientOrderId: `c${n}`, signalId: id, account: 'main', leg: 0, venue: 'primary', purpose: 'hedge', symbol: SYMBOL, side: 'sell',
      amount: 1000, type: 'market', reduceOnly: false, status: 'filled', filled: 1000, averagePrice: 0.09999, fee: 0.049995, createdAt: t, updatedAt: t,
    });
  }
  return { journal, orders };
}

/** The journal of `weeks` weeks but the last day; the clock at its end, a Sunday. */
async function rig(options: { weeks: number; active: ModelVersion; settings?: Partial<RefitSettings>; runs?: ScheduledRuns; holder?: string }) {
  const now = MONDAY + options.weeks * WEEK - DAY;
  const { journal, orders } = await journalOf(now);
  const models = new InMemoryModelStore(DEFAULT_MODEL);
  await models.put(options.active);
  await models.setActive(options.active.version, { at: MONDAY, by: 'test' });
  const clock = new ManualClock(now);
  const runs: RefitOutcome[] = [];
  const lines: string[] = [];
  const job = createRefitJob({
    clock,
    journal,
    orders,
    models,
    settings: options.settings,
    logger: { info: (_o, m) => lines.push(`info ${m}`), warn: (_o, m) => lines.push(`warn ${m}`) },
    onRun: (o) => runs.push(o),
    runs: options.runs,
    holder: options.holder,
  });
  /** Another service on the same stores and clock (a second process, or this one restarted). */
  const other = (more: Partial<RefitJobOptions>) => createRefitJob({ clock, journal, orders, models, settings: options.settings, ...more });
  return { clock, job, models, runs, lines, other };
}

/** Lets the run the timer started finish (it reads the journal through promises). */
const settle = () => new Promise((r) => setImmediate(r));

describe('weekly schedule', () => {
  it('runs at the configured UTC day and hour, strictly after now', () => {
    assert.equal(nextRunAfter(Date.UTC(2024, 0, 3, 12), 1, 0), Date.UTC(2024, 0, 8));
    assert.equal(nextRunAfter(Date.UTC(2024, 0, 8), 1, 0), Date.UTC(2024, 0, 15));
    assert.equal(nextRunAfter(Date.UTC(2024, 0, 7, 23, 59), 0, 23), Date.UTC(2024, 0, 14, 23));
    assert.equal(nextRunAfter(Date.UTC(2024, 0, 7, 22), 0, 23), Date.UTC(2024, 0, 7, 23));
  });

  it('runs every Monday on the clock, and makes up a missed run after start', async () => {
    const { clock, job, runs } = await rig({ weeks: 6, active: staticModel(1), settings: { catchUpDelayMs: 60_000 } });
    job.start();
    const monday = MONDAY + 6 * WEEK;
    assert.equal(job.nextRunAt, monday);
    // Nothing was proposed since last Monday: the catch-up runs a minute after start.
    clock.advance(60_000);
    await settle();
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.status, 'proposed');
    clock.set(monday - 1);
    await settle();
    assert.equal(runs.length, 1);
    clock.set(monday);
    await job.run(); // joins the run the timer started
    assert.equal(runs.length, 2);
    assert.equal(runs[1]!.at, monday);
    await settle();
    assert.equal(job.nextRunAt, monday + WEEK);
    await job.stop();
    assert.equal(clock.pendingTimers(), 0);
  });

  it('does not make up a run when a proposal was made since the last scheduled time', async () => {
    const { clock, job, runs, models } = await rig({ weeks: 6, active: staticModel(1) });
    await job.run();
    assert.equal(runs.length, 1);
    const stored = (await models.list()).filter((m) => m.meta.createdBy === REFIT_AUTHOR);
    assert.equal(stored.length, 1);
    // A restart: a new job on the same registry.
    const again = createRefitJob({ clock, journal: new MemoryJournal(), orders: new MemoryOrderStore(), models, onRun: (o) => runs.push(o) });
    again.start();
    clock.advance(60_000);
    await settle();
    assert.equal(runs.length, 1);
    await again.stop();
    await job.stop();
  });
});

describe('several processes and restarts (ScheduledRuns)', () => {
  it('of two services sharing the stores, one runs each occurrence and the other skips it, naming who runs it', async () => {
    const store = new InMemoryScheduledRuns();
    const a = await rig({ weeks: 6, active: staticModel(1), runs: store, holder: 'host-a:1' });
    const bRuns: RefitOutcome[] = [];
    const b = a.other({ runs: store, holder: 'host-b:2', onRun: (o) => bRuns.push(o) });
    a.job.start();
    b.start();
    // Both make up the missed run a minute after start: one reads and proposes.
    a.clock.advance(60_000);
    await settle();
    assert.deepEqual([a.runs.map((o) => o.status), bRuns.map((o) => o.status)], [['proposed'], ['skipped']]);
    assert.match(bRuns[0]!.reason, /^the run of 2024-02-05T00:00:00.000Z is host-a:1's$/);
    assert.equal(bRuns[0]!.decisions, 0, 'the skipping service read nothing');
    // Both timers fire on Monday.
    const monday = MONDAY + 6 * WEEK;
    a.clock.set(monday);
    await Promise.all([a.job.run(), b.run()]);
    assert.deepEqual([a.runs.map((o) => o.status), bRuns.map((o) => o.status)], [['proposed', 'proposed'], ['skipped', 'skipped']]);
    assert.deepEqual(await store.get(REFIT_JOB, monday), { job: REFIT_JOB, slot: monday, holder: 'host-a:1', claimedAt: monday, finishedAt: monday, outcome: 'proposed' });
    assert.equal((await a.models.list()).filter((m) => m.meta.createdBy === REFIT_AUTHOR).length, 2, 'one proposal per occurrence');
    await Promise.all([a.job.stop(), b.stop()]);
  });

  it('a restart does not make up an occurrence that ran and proposed nothing (without the record it would, at every start)', async () => {
    const store = new InMemoryScheduledRuns();
    const r = await rig({ weeks: 1, active: staticModel(1), settings: { minSamples: 100 }, runs: store, holder: 'host-a:1' });
    r.job.start();
    r.clock.advance(60_000);
    await settle();
    assert.deepEqual(r.runs.map((o) => o.status), ['insufficient']);
    await r.job.stop();
    const restarted = r.other({ runs: store, holder: 'host-a:2', onRun: (o) => r.runs.push(o) });
    restarted.start();
    r.clock.advance(60_000);
    await settle();
    assert.equal(r.runs.length, 1);
    await restarted.stop();
    const unrecorded = r.other({ onRun: (o) => r.runs.push(o) });
    unrecorded.start();
    r.clock.advance(60_000);
    await settle();
    assert.deepEqual(r.runs.map((o) => o.status), ['insufficient', 'insufficient']);
    await unrecorded.stop();
  });

  it('a run stopped with its service gives its occurrence back, and the next start makes it up', async () => {
    const now = MONDAY + 3 * WEEK;
    const { journal, orders } = await journalOf(now, 15 * 60_000);
    const models = new InMemoryModelStore(DEFAULT_MODEL);
    const store = new InMemoryScheduledRuns();
    const clock = new ManualClock(now);
    const settings = { historyWeeks: 3, trainWeeks: 2, catchUpDelayMs: 1_000 };
    const outcomes: RefitOutcome[] = [];
    let stopping: Promise<void> | undefined;
    const first = createRefitJob({ clock, journal, orders, models, settings, runs: store, holder: 'host-a:1', onRun: (o) => outcomes.push(o), pause: async () => void (stopping ??= first.stop()) });
    first.start();
    clock.advance(1_000);
    while (outcomes.length === 0) await settle();
    await stopping;
    const slot = nextRunAfter(now, 1, 0) - WEEK;
    assert.equal(outcomes[0]!.status, 'stopped');
    assert.deepEqual(await store.get(REFIT_JOB, slot), { job: REFIT_JOB, slot, holder: 'host-a:1', claimedAt: RELEASED_AT });
    const next = createRefitJob({ clock, journal, orders, models, settings, runs: store, holder: 'host-a:2', onRun: (o) => outcomes.push(o) });
    next.start();
    clock.advance(1_000);
    while (outcomes.length === 1) await settle();
    assert.equal(outcomes[1]!.status, 'proposed');
    assert.ok(outcomes[1]!.decisions > 1_000, 'read on past the page where the stopped run ended');
    assert.equal((await store.get(REFIT_JOB, slot))?.outcome, 'proposed');
    await next.stop();
  });

  it('a claim whose process died is left alone until it is CLAIM_STALE_MS old, then the next start takes it over', async () => {
    const store = new InMemoryScheduledRuns();
    const r = await rig({ weeks: 6, active: staticModel(1), runs: store, holder: 'host-a:1' });
    const slot = nextRunAfter(r.clock.now(), 1, 0) - WEEK;
    assert.equal(await store.claim(REFIT_JOB, slot, 'host-dead:9', r.clock.now(), CLAIM_STALE_MS), true);
    r.job.start();
    r.clock.advance(60_000);
    await settle();
    assert.deepEqual(r.runs.map((o) => o.status), ['skipped']);
    assert.match(r.runs[0]!.reason, /is host-dead:9's/);
    await r.job.stop();
    r.clock.advance(CLAIM_STALE_MS);
    const restarted = r.other({ runs: store, holder: 'host-a:2', onRun: (o) => r.runs.push(o) });
    restarted.start();
    r.clock.advance(60_000);
    await settle();
    assert.deepEqual(r.runs.map((o) => o.status), ['skipped', 'proposed']);
    assert.equal((await store.get(REFIT_JOB, slot))?.holder, 'host-a:2');
    await restarted.stop();
  });
});

describe('reading the journal', () => {
  it('pauses between pages of signals and of order legs, before the walk-forward and after each week it fits, so serve can answer webhooks meanwhile', async () => {
    // 3 weeks of a decision every 15 minutes: 2,016 signals and legs, 3 pages of each.
    const now = MONDAY + 3 * WEEK;
    const { journal, orders } = await journalOf(now, 15 * 60_000);
    let pauses = 0;
    let runs = 0;
    const job = createRefitJob({
      clock: new ManualClock(now),
      journal,
      orders,
      models: new InMemoryModelStore(DEFAULT_MODEL),
      settings: { historyWeeks: 3, trainWeeks: 2 },
      pause: async () => {
        pauses++;
      },
      onRun: () => runs++,
    });
    const out = await job.run();
    assert.equal(out.decisions, 2_016);
    assert.equal(out.outOfSample!.weeks, 2);
    assert.equal(pauses, 4 + 1 + 2, 'after the first and second page of each (not after the last), before the walk-forward, after each of its 2 weeks');
    assert.equal(runs, 1);
  });

  /** A run over 3 weeks of a decision every 15 minutes whose service stops at its `at`-th pause. */
  async function stoppedAt(at: number) {
    const now = MONDAY + 3 * WEEK;
    const { journal, orders } = await journalOf(now, 15 * 60_000);
    const models = new InMemoryModelStore(DEFAULT_MODEL);
    let pauses = 0;
    let stopped: Promise<void> | undefined;
    const job = createRefitJob({
      clock: new ManualClock(now),
      journal,
      orders,
      models,
      settings: { historyWeeks: 3, trainWeeks: 2 },
      pause: async () => {
        if (++pauses === at) stopped = job.stop();
      },
    });
    const out = await job.run();
    await stopped;
    assert.equal(out.status, 'stopped');
    assert.equal(pauses, at);
    assert.equal((await models.list()).filter((m) => m.meta.createdBy === REFIT_AUTHOR).length, 0, 'nothing stored');
    return job;
  }

  it('stop() during the walk-forward ends the run at its next pause, storing nothing', async () => {
    // The 6th pause comes after the walk-forward's first week.
    await stoppedAt(6);
  });

  it('stop() ends a run under way at its next page, storing nothing, so a service shuts down without reading on', async () => {
    const job = await stoppedAt(1);
    // A later run is a new one, read to its end.
    assert.equal((await job.run()).decisions, 2_016);
  });
});

describe('propose, and promote only when configured and better out of sample', () => {
  it('proposes a candidate that beats the active model without activating it (autoPromote off)', async () => {
    const active = staticModel(1);
    const { job, models, lines } = await rig({ weeks: 6, active });
    const out = await job.run();
    assert.equal(out.status, 'proposed');
    assert.equal(out.beatsActive, true);
    assert.equal(out.version, 'refit-2024-02-11');
    assert.equal((await models.active()).version, active.version);
    const candidate = (await models.get(out.version!))!;
    // Nothing was ever in danger: the hindsight-best ratio is 0 everywhere, so is the fit.
    assert.deepEqual(candidate.weights, { positionSize: 0, signalStrength: 0, volatility: 0, riskTolerance: 0, timeOfDay: 0 });
    assert.equal(candidate.intercept, 0);
    assert.equal(candidate.meta.createdBy, REFIT_AUTHOR);
    assert.equal(candidate.meta.parent, active.version);
    assert.equal(candidate.meta.fittedOn?.dataset, 'journal');
    // Fitted on the last 4 weeks of samples: 3 whole weeks and the last one but its Sunday, 4 a day.
    assert.equal(candidate.meta.fittedOn?.samples, (3 * 7 + 6) * 4);
    // Costs measured on the fills: fee 0.05%, slippage 1 bp a side.
    assert.ok(Math.abs(out.costs!.fee - 0.0005) < 1e-12 && Math.abs(out.costs!.slippage - 0.0001) < 1e-12);
    assert.equal(out.outOfSample!.candidate.liquidations, 0);
    assert.equal(out.outOfSample!.candidate.cost, 0);
    assert.ok(out.outOfSample!.active.cost > 0);
    assert.match(lines.at(-1)!, /^info weekly refit: refit-2024-02-11 proposed, not active: it beats the active model; model.autoPromote is off/);
    // A second run the same day does not overwrite the first version.
    assert.equal((await job.run()).version, 'refit-2024-02-11-2');
  });

  it('promotes it when autoPromote is on and it beats the active model', async () => {
    const { job, models } = await rig({ weeks: 6, active: staticModel(1), settings: { autoPromote: true } });
    const out = await job.run();
    assert.equal(out.status, 'promoted');
    assert.equal((await models.active()).version, out.version);
    const last = (await models.activations()).at(-1)!;
    assert.equal(last.by, 'weekly refit');
  });

  it('does not promote a candidate that is only as good as the active model', async () => {
    // Never hedging costs nothing and was never liquidated here: the fit cannot be strictly better.
    const active = staticModel(0);
    const { job, models } = await rig({ weeks: 6, active, settings: { autoPromote: true } });
    const out = await job.run();
    assert.equal(out.status, 'proposed');
    assert.equal(out.beatsActive, false);
    assert.equal((await models.active()).version, active.version);
    assert.ok(await models.get(out.version!));
  });

  it('proposes nothing without enough decisions', async () => {
    const { job, models } = await rig({ weeks: 1, active: staticModel(1), settings: { minSamples: 100 } });
    const out = await job.run();
    assert.equal(out.status, 'insufficient');
    assert.match(out.reason, /at least 100/);
    assert.equal((await models.list()).filter((m) => m.meta.createdBy === REFIT_AUTHOR).length, 0);
  });
});

describe('configuration (model.refit)', () => {
  it('defaults to the job\'s defaults, enabled, and refuses a training window that leaves nothing to evaluate', () => {
    const { enabled, ...rest } = refitConfigSchema.parse({});
    assert.equal(enabled, true);
    const { autoPromote, ...defaults } = DEFAULT_REFIT_SETTINGS;
    assert.deepEqual(rest, defaults);
    assert.equal(autoPromote, false);
    assert.ok(rest.catchUpDelayMs > 0);
    const bad = refitConfigSchema.safeParse({ historyWeeks: 4, trainWeeks: 4 });
    assert.equal(bad.success, false);
    assert.match(JSON.stringify(bad.error?.issues), /trainWeeks must be fewer than historyWeeks/);
    assert.equal(refitConfigSchema.safeParse({ weekday: 7 }).success, false);
  });
});
