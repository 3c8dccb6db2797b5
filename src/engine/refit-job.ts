/**
 * The weekly refit of `serve` (DESIGN.md: "Weights are re-fitted weekly from realised hedge
 * performance and a new model is promoted only if it does better out of sample").
 *
 * Once a week (Monday 00:00 UTC by default), on the Clock port:
 * 1. reads the last `historyWeeks` of the journal: decided signals (with their decisions)
 *    and the order legs with their fills;
 * 2. turns them into samples of realised hedge performance (src/model/realised-hedges.ts:
 *    which prices and costs the journal can give, and what it lacks);
 * 3. runs the walk-forward learner exactly as `hedgehook model fit` does (refit on the
 *    trailing `trainWeeks`, evaluate on the following week next to the active model);
 * 4. PROPOSES the candidate: stored in the model registry, not active. Only with
 *    `autoPromote` (config `model.autoPromote`, default false) is it activated, and only
 *    when it beat the active model out of sample — no more liquidations and no more hedge
 *    cost, and strictly less of one (`walkForward().beatsActive`, the rule of `model fit`).
 *
 * A run the service missed while it was down (no proposal since the last scheduled time)
 * is made up `catchUpDelayMs` after start, not during start-up. A failing run is logged and
 * reported; the service goes on with the model it has.
 *
 * With the ScheduledRuns port (`runs`), each weekly occurrence is claimed before it runs
 * and recorded when it ended: of several processes sharing the stores, whose timers fire
 * together, one reads the journal and proposes, and a restart does not run an occurrence
 * again because it proposed nothing (too few samples). A claim whose process died is taken
 * over at another process's start once it is CLAIM_STALE_MS old; one given back by a run
 * that was stopped or failed is taken at once.
 */
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import type { ModelStore } from '../core/model.ts';
import type { OrderLeg, OrderStore } from '../core/orders.ts';
import type { Journal } from '../core/ports.ts';
import type { ScheduledRun, ScheduledRuns } from '../core/scheduled-runs.ts';
import type { SignalView } from '../core/signal.ts';
import { DEFAULT_LEARNER, fittedModel, modelRatio, walkForwardSteps, type Evaluation, type WalkForward } from '../model/learner.ts';
import { RealisedHedgeCollector, type RealisedHedgeSettings } from '../model/realised-hedges.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;
const PAGE = 1000;

/** `meta.createdBy` of the versions this job proposes (how a missed run is recognised). */
export const REFIT_AUTHOR = 'hedgehook serve (weekly refit)';
/** The job's name in the ScheduledRuns port. */
export const REFIT_JOB = 'weekly-refit';
/**
 * How long a claimed occurrence is left to its process. A run reads weeks of journal and
 * fits in seconds to minutes; a claim this old and unfinished belongs to a process that died.
 */
export const CLAIM_STALE_MS = HOUR_MS;

export interface RefitSettings extends RealisedHedgeSettings {
  /** Activate a candidate that beat the active model out of sample (default false: propose only). */
  autoPromote: boolean;
  /** UTC day (0 = Sunday … 6 = Saturday) and hour of the weekly run. */
  weekday: number;
  hourUtc: number;
  /** Weeks of journal read at each run: the training weeks plus the weeks evaluated out of sample. */
  historyWeeks: number;
  trainWeeks: number;
  /** Fewest samples to fit a week (as `model fit`). */
  minSamples: number;
  /** After start, when a missed run is made up. */
  catchUpDelayMs: number;
}

export const DEFAULT_REFIT_SETTINGS: Readonly<RefitSettings> = Object.freeze({
  autoPromote: false,
  weekday: 1,
  hourUtc: 0,
  historyWeeks: 8,
  trainWeeks: DEFAULT_LEARNER.trainWeeks,
  minSamples: DEFAULT_LEARNER.minSamples,
  catchUpDelayMs: 60_000,
  fundingRate: 0.0001,
  // TRXUSDT's first maintenance bracket (src/backtest/margin.ts, TRXUSDT_BRACKETS).
  maintenanceMarginRate: 0.0065,
  // The paper venue's defaults: 0.05% taker, half of a 1 bp spread.
  defaultFee: 0.0005,
  defaultSlippage: 0.00005,
});

/**
 * `model.refit` of the configuration (src/cli/config.ts; the switch that allows activation
 * is `model.autoPromote`, next to it; `serve` starts the job in src/cli/service.ts).
 * Every field has a default.
 */
export const refitConfigSchema = z.strictObject({
  /** Off: no weekly job (`hedgehook model fit` still works by hand). */
  enabled: z.boolean().default(true),
  weekday: z.number().int().min(0).max(6).default(DEFAULT_REFIT_SETTINGS.weekday),
  hourUtc: z.number().int().min(0).max(23).default(DEFAULT_REFIT_SETTINGS.hourUtc),
  historyWeeks: z.number().int().min(2).max(52).default(DEFAULT_REFIT_SETTINGS.historyWeeks),
  trainWeeks: z.number().int().min(1).max(52).default(DEFAULT_REFIT_SETTINGS.trainWeeks),
  minSamples: z.number().int().min(1).default(DEFAULT_REFIT_SETTINGS.minSamples),
  fundingRate: z.number().gt(-0.05).lt(0.05).default(DEFAULT_REFIT_SETTINGS.fundingRate),
  maintenanceMarginRate: z.number().min(0).lt(1).default(DEFAULT_REFIT_SETTINGS.maintenanceMarginRate),
  defaultFee: z.number().min(0).lt(0.01).default(DEFAULT_REFIT_SETTINGS.defaultFee),
  defaultSlippage: z.number().min(0).lt(0.01).default(DEFAULT_REFIT_SETTINGS.defaultSlippage),
  /** After start, when a missed run is made up. */
  catchUpDelayMs: z.number().int().min(0).default(DEFAULT_REFIT_SETTINGS.catchUpDelayMs),
}).refine((r) => r.trainWeeks < r.historyWeeks, { message: 'trainWeeks must be fewer than historyWeeks (the rest is evaluated out of sample)', path: ['trainWeeks'] });

export type RefitConfig = z.output<typeof refitConfigSchema>;

export interface RefitOutcome {
  /** Clock time of the run. */
  at: number;
  /**
   * `stopped`: stop() was called while it read the journal or fitted; nothing was stored.
   * `skipped`: another process claimed this occurrence (ScheduledRuns); this one read nothing.
   */
  status: 'proposed' | 'promoted' | 'insufficient' | 'failed' | 'stopped' | 'skipped';
  /** The active model the candidate was compared with. */
  active?: string;
  /** The proposed version (proposed or promoted). */
  version?: string;
  samples: number;
  decisions: number;
  prices: number;
  costs?: { fee: number; slippage: number; legs: number; source: 'fills' | 'defaults' };
  outOfSample?: { weeks: number; candidate: Evaluation; active: Evaluation };
  beatsActive: boolean;
  /** One line for the log. */
  reason: string;
}

export interface RefitLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface RefitJobOptions {
  clock: Clock;
  journal: Pick<Journal, 'listSignals'>;
  orders: Pick<OrderStore, 'list'>;
  models: ModelStore;
  settings?: Partial<RefitSettings>;
  logger?: RefitLogger;
  /** After every run (metrics, tests). */
  onRun?(outcome: RefitOutcome): void;
  /**
   * Awaited between pages of the journal and of the order legs, and between the
   * walk-forward's weekly fits. `serve` yields to the event loop there: the SQLite journal
   * answers synchronously, and reading weeks of signals, or fitting on them, in one go
   * would hold every webhook's acknowledgement behind it (8 weeks of a signal a minute:
   * 4.3 s at once before the pauses between fits).
   */
  pause?(): Promise<void>;
  /**
   * Claims each weekly occurrence and records its end, so that it runs once across the
   * processes sharing the stores and once across restarts. Absent: every process runs
   * every occurrence, and a catch-up is skipped only when a proposal was made.
   */
  runs?: ScheduledRuns;
  /** This process in a claim (host and pid), for the log of the processes that skip. */
  holder?: string;
}

/** The first weekly run time strictly after `now`. */
export function nextRunAfter(now: number, weekday: number, hourUtc: number): number {
  const day = Math.floor(now / DAY_MS);
  const today = (day + 4) % 7; // 1970-01-01 was a Thursday
  let at = (day + ((weekday - today + 7) % 7)) * DAY_MS + hourUtc * HOUR_MS;
  if (at <= now) at += WEEK_MS;
  return at;
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

const quiet: RefitLogger = { info() {}, warn() {} };

/** A weekly occurrence this process claims (or finds claimed) in the ScheduledRuns port. */
interface Claim {
  runs: ScheduledRuns;
  slot: number;
  holder: string;
}

/** A run that produced nothing: stopped, failed or skipped. */
function unread(at: number, status: 'stopped' | 'failed' | 'skipped', reason: string): RefitOutcome {
  return { at, status, samples: 0, decisions: 0, prices: 0, beatsActive: false, reason };
}

/** Whose an occurrence is, for the log: done by a process (with what), or held by one. */
function whoseRun(slot: number, run: ScheduledRun | undefined): string {
  const of = `the run of ${new Date(slot).toISOString()}`;
  return run?.finishedAt !== undefined ? `${of} was done by ${run.holder} (${run.outcome ?? 'no outcome'})` : `${of} is ${run?.holder ?? 'another process'}'s`;
}

/** Thrown at a pause once stop() was called; never leaves the job. */
const STOPPED = new Error('weekly refit stopped');

export class RefitJob {
  readonly settings: RefitSettings;
  private readonly clock: Clock;
  private readonly options: RefitJobOptions;
  private readonly log: RefitLogger;
  private cancelTimer: (() => void) | undefined;
  private cancelCatchUp: (() => void) | undefined;
  private running: Promise<RefitOutcome> | undefined;
  private stopRequested = false;
  private next: number | undefined;

  constructor(options: RefitJobOptions) {
    this.options = options;
    this.clock = options.clock;
    this.log = options.logger ?? quiet;
    this.settings = { ...DEFAULT_REFIT_SETTINGS, ...options.settings };
  }

  /** Schedules the weekly runs, and a catch-up run if the last scheduled one was missed. */
  start(): void {
    if (this.next !== undefined) return;
    this.schedule();
    this.cancelCatchUp = this.clock.setTimer(this.settings.catchUpDelayMs, () => {
      this.cancelCatchUp = undefined;
      void this.catchUp();
    });
  }

  /**
   * Cancels the timers; a run under way ends at its next pause (after a page of the
   * journal, or a week of the walk-forward): a service shutting down must not wait for
   * weeks of signals to be read and fitted.
   */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.cancelTimer?.();
    this.cancelCatchUp?.();
    this.cancelTimer = this.cancelCatchUp = undefined;
    this.next = undefined;
    if (this.running) await this.running.catch(() => undefined);
  }

  /** When the next weekly run is due (undefined when stopped). */
  get nextRunAt(): number | undefined {
    return this.next;
  }

  /** Runs now, unclaimed (a run already under way is joined, not doubled). */
  run(): Promise<RefitOutcome> {
    return this.runOccurrence(undefined);
  }

  /** The run of the occurrence scheduled at `slot` (claimed first when `runs` is wired). */
  private runOccurrence(slot: number | undefined): Promise<RefitOutcome> {
    if (!this.running) this.stopRequested = false;
    this.running ??= this.refit(slot).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(): void {
    const now = this.clock.now();
    const at = nextRunAfter(now, this.settings.weekday, this.settings.hourUtc);
    this.next = at;
    this.cancelTimer = this.clock.setTimer(at - now, () => {
      this.cancelTimer = undefined;
      void this.runOccurrence(at).finally(() => {
        if (this.next !== undefined) this.schedule();
      });
    });
  }

  private async catchUp(): Promise<void> {
    const now = this.clock.now();
    const last = nextRunAfter(now, this.settings.weekday, this.settings.hourUtc) - WEEK_MS;
    try {
      const done = await this.options.runs?.get(REFIT_JOB, last);
      if (done?.finishedAt !== undefined) {
        this.log.info({ refit: done }, `weekly refit: ${whoseRun(last, done)}; the next is at ${new Date(this.next ?? last + WEEK_MS).toISOString()}`);
        return;
      }
      // Also a proposal made before the occurrences were recorded (an upgraded service).
      const versions = await this.options.models.list();
      if (versions.some((m) => m.meta.createdBy === REFIT_AUTHOR && m.meta.createdAt >= last)) return;
    } catch (err) {
      this.log.warn({ err }, 'weekly refit: cannot read the model registry or the scheduled runs; the catch-up run is skipped');
      return;
    }
    await this.runOccurrence(last);
  }

  private async refit(slot: number | undefined): Promise<RefitOutcome> {
    const at = this.clock.now();
    const runs = this.options.runs;
    const claim = slot !== undefined && runs ? { runs, slot, holder: this.options.holder ?? 'hedgehook' } : undefined;
    let claimed = false;
    let outcome: RefitOutcome;
    try {
      claimed = !claim || (await claim.runs.claim(REFIT_JOB, claim.slot, claim.holder, at, CLAIM_STALE_MS));
      outcome = claimed ? await this.refitAt(at) : await this.skipped(claim!, at);
    } catch (err) {
      const stopped = err === STOPPED;
      outcome = stopped ? unread(at, 'stopped', 'stopped with the service before it was done; nothing stored') : unread(at, 'failed', err instanceof Error ? err.message : String(err));
    }
    if (claim && claimed) await this.record(claim, outcome);
    const line = `weekly refit: ${outcome.reason}`;
    if (outcome.status === 'failed') this.log.warn({ refit: outcome }, line);
    else this.log.info({ refit: outcome }, line);
    try {
      this.options.onRun?.(outcome);
    } catch (err) {
      this.log.warn({ err }, 'weekly refit: onRun hook threw');
    }
    return outcome;
  }

  /** Another process claimed the occurrence: nothing is read. */
  private async skipped(claim: Claim, at: number): Promise<RefitOutcome> {
    return unread(at, 'skipped', whoseRun(claim.slot, await claim.runs.get(REFIT_JOB, claim.slot)));
  }

  /**
   * A stopped or failed run gives its occurrence back, so the next start makes it up (as
   * before there was a record); any other end is final for the week.
   */
  private async record(claim: Claim, outcome: RefitOutcome): Promise<void> {
    try {
      if (outcome.status === 'stopped' || outcome.status === 'failed') await claim.runs.release(REFIT_JOB, claim.slot, claim.holder);
      else await claim.runs.finish(REFIT_JOB, claim.slot, claim.holder, this.clock.now(), outcome.status);
    } catch (err) {
      this.log.warn({ err }, 'weekly refit: cannot record the end of the run; a process starting after CLAIM_STALE_MS may run it again');
    }
  }

  private async refitAt(now: number): Promise<RefitOutcome> {
    const s = this.settings;
    const since = now - s.historyWeeks * WEEK_MS;
    const collector = new RealisedHedgeCollector(s);
    await this.readSignals(since, (v) => collector.signal(v));
    await this.readLegs(since, (leg) => collector.leg(leg));
    const active = await this.options.models.active();
    const realised = collector.result(now);
    const base = { at: now, active: active.version, samples: realised.samples.length, decisions: realised.decisions, prices: realised.prices, costs: realised.costs };
    await this.pausePoint();
    const wf = await this.paced(walkForwardSteps(realised.samples, modelRatio(active), { ...DEFAULT_LEARNER, trainWeeks: s.trainWeeks, minSamples: s.minSamples }));
    if (!wf.final) {
      const why = `${realised.samples.length} samples in ${s.historyWeeks} weeks, at least ${s.minSamples} in the last ${s.trainWeeks} are needed`;
      return { ...base, status: 'insufficient', beatsActive: false, reason: `nothing proposed: ${why}` };
    }
    const from = realised.samples[0]!.time;
    const candidate = fittedModel(wf.final, {
      version: await this.freeVersion(now),
      parent: active.version,
      dataset: 'journal',
      from,
      to: Math.max(now, from + 1),
      samples: wf.finalSamples,
      createdAt: now,
      createdBy: REFIT_AUTHOR,
      metrics: {
        oosLiquidations: wf.candidate.liquidations,
        oosHedgeCost: round6(wf.candidate.cost),
        activeOosLiquidations: wf.active.liquidations,
        activeOosHedgeCost: round6(wf.active.cost),
      },
    });
    await this.options.models.put(candidate);
    const outOfSample = { weeks: wf.weeks.length, candidate: wf.candidate, active: wf.active };
    const compared = wf.weeks.length === 0
      ? 'no week evaluated out of sample yet'
      : `out of sample over ${wf.weeks.length} week(s): ${wf.candidate.liquidations} liquidations, hedge cost ${round6(wf.candidate.cost)} vs ${active.version} ${wf.active.liquidations}, ${round6(wf.active.cost)}`;
    if (wf.beatsActive && s.autoPromote) {
      await this.options.models.setActive(candidate.version, { at: now, by: 'weekly refit', reason: `beat ${active.version} out of sample on liquidations and hedge cost` });
      return { ...base, status: 'promoted', version: candidate.version, outOfSample, beatsActive: true, reason: `${candidate.version} promoted (${compared})` };
    }
    const why = wf.beatsActive ? 'it beats the active model; model.autoPromote is off' : 'it does not beat the active model';
    return { ...base, status: 'proposed', version: candidate.version, outOfSample, beatsActive: wf.beatsActive, reason: `${candidate.version} proposed, not active: ${why} (${compared})` };
  }

  /** `refit-YYYY-MM-DD`, or with `-2`, `-3`… when that name is taken (versions are immutable). */
  private async freeVersion(now: number): Promise<string> {
    const base = `refit-${new Date(now).toISOString().slice(0, 10)}`;
    for (let n = 1; ; n++) {
      const version = n === 1 ? base : `${base}-${n}`;
      if (!(await this.options.models.get(version))) return version;
    }
  }

  /** The walk-forward, with a pause after each week's fit, as between pages of the journal. */
  private async paced(steps: Generator<void, WalkForward, void>): Promise<WalkForward> {
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      await this.pausePoint();
    }
  }

  /** Between pages and between fits: lets the service work, and ends the run once stop() was called. */
  private async pausePoint(): Promise<void> {
    await this.options.pause?.();
    if (this.stopRequested) throw STOPPED;
  }

  /** Signals received since `since`, newest first, a page at a time. */
  private async readSignals(since: number, take: (view: SignalView) => void): Promise<void> {
    let before: number | undefined;
    for (;;) {
      const page = await this.options.journal.listSignals(before === undefined ? { limit: PAGE } : { limit: PAGE, beforeSeq: before });
      for (const v of page) if (v.receivedAt >= since) take(v);
      if (page.length < PAGE || page[page.length - 1]!.receivedAt < since) return;
      before = page[page.length - 1]!.seq;
      await this.pausePoint();
    }
  }

  /** Order legs created since `since`, newest first, a page at a time. */
  private async readLegs(since: number, take: (leg: OrderLeg) => void): Promise<void> {
    let before: number | undefined;
    for (;;) {
      const page = await this.options.orders.list(before === undefined ? { limit: PAGE } : { limit: PAGE, beforeId: before });
      for (const leg of page) if (leg.createdAt >= since) take(leg);
      if (page.length < PAGE || page[page.length - 1]!.createdAt < since) return;
      before = page[page.length - 1]!.id;
      await this.pausePoint();
    }
  }
}

export function createRefitJob(options: RefitJobOptions): RefitJob {
  return new RefitJob(options);
}
