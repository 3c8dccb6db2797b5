/**
 * Parity: one journal of signals (JSON lines, as `--signals` reads them and a bot sends
 * them), processed live and replayed by the backtest, gives the same decisions in the
 * same order — ratio, target, order intent, reasons, features, legs — to the byte.
 *
 * Live here is the service's pipeline assembled as src/cli/service.ts assembles it, on a
 * ManualClock instead of the system clock:
 *   signed webhook → receive (ingest) → SQLite journal → Worker → execution stage
 *   (decision stage, router) → paper venues priced by a replay feed over the same bars
 *   → outcome settled in the journal, order legs in the SQLite order store.
 * The clock is set to each signal's time before the bot acts and its webhook arrives; the
 * feed publishes every bar's close when the clock reaches it (as the backtest's market
 * does). A test "bot" puts its own order on the primary venue first (src/backtest/bot-order.ts,
 * the same order the replay places), then sends the webhook.
 *
 * The two sides get the same inputs where live would otherwise differ (docs/backtest.md,
 * "Parity"): the webhook source is the replay's `SOURCE` and the webhook id the bot's id,
 * so signal ids and client order ids are equal; the clock holds still while a signal is
 * processed (paper venues answer at once), so receivedAt, decidedAt and the price are the
 * signal's; one venue takes hedges, as the replay routes them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { constantSchedule } from '../../src/backtest/funding.ts';
import { learnerSamples } from '../../src/backtest/learner-samples.ts';
import { botOrder, reportedMain } from '../../src/backtest/bot-order.ts';
import { TRXUSDT_BRACKETS } from '../../src/backtest/margin.ts';
import { DEFAULT_REFERENCE, referenceSignals, type TimedSignal } from '../../src/backtest/reference-signals.ts';
import { HEDGE_VENUE, PRIMARY, replayStrategy, SOURCE, type DecisionRecord, type HedgePlacement, type ReplayInput } from '../../src/backtest/replay.ts';
import { parseSignalLines, signalLines } from '../../src/backtest/signals-file.ts';
import { paperVenueFactory } from '../../src/cli/commands/backtest.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { InMemoryControlStore } from '../../src/core/controls.ts';
import type { HedgeDecision } from '../../src/core/decision.ts';
import { TRX_USDT_PERP } from '../../src/core/instrument.ts';
import type { ModelVersion } from '../../src/core/model.ts';
import { seededRandom } from '../../src/core/random.ts';
import { FINAL_STATES, type ProcessingOutcome, type SignalView } from '../../src/core/signal.ts';
import type { Venue } from '../../src/core/venue.ts';
import { createDecisionStage, KNOWN_INSTRUMENTS } from '../../src/engine/decision-stage.ts';
import { DecisionState } from '../../src/engine/decision-state.ts';
import { createExecutionStage } from '../../src/engine/execution-stage.ts';
import { Worker } from '../../src/engine/worker.ts';
import { DEFAULT_ROUTING } from '../../src/execution/router.ts';
import { RateLimiter } from '../../src/ingest/rate-limit.ts';
import { receive } from '../../src/ingest/receive.ts';
import { signStandard } from '../../src/ingest/schemes/standard.ts';
import type { SourceSettings } from '../../src/ingest/source.ts';
import { MemoryJournal } from '../../src/journal/memory.ts';
import { MemoryOrderStore } from '../../src/journal/memory-orders.ts';
import { openSqliteJournal, openSqliteState } from '../../src/journal/sqlite/index.ts';
import { createReplayFeed } from '../../src/marketdata/replay.ts';
import { parsePriceText } from '../../src/marketdata/price-file.ts';
import { DEFAULT_FEATURE_SETTINGS } from '../../src/model/features.ts';
import type { LearnerSample } from '../../src/model/learner.ts';
import { realisedHedges } from '../../src/model/realised-hedges.ts';
import { DEFAULT_MODEL, InMemoryModelStore, parseModelVersion } from '../../src/model/registry.ts';
import { staticModel } from '../../src/model/static-model.ts';
import { DEFAULT_EWMA_SETTINGS } from '../../src/model/volatility.ts';
import { DEFAULT_RISK_LIMITS } from '../../src/risk/guard.ts';
import { createPaperVenue } from '../../src/venues/paper/index.ts';
import { sampleDataMissing, sampleFile } from '../support/env.ts';

const FILE = 'trxusdt-perp-1m-20230703-20230817.csv';
const MINUTE = 60_000;
const DAY_BARS = 24 * 60;
/** The 4th week of minute bars: 84 signals of the reference bot, every kind of action. */
const SLICE = [21 * DAY_BARS, 28 * DAY_BARS] as const;
const WALLET = 10_000;
const ACCOUNT = { equity: WALLET, riskTolerance: 0.5 };
const FUNDING_RATE = 0.0001;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const skip = sampleDataMissing(FILE);

/** The journal both sides read: the reference bot's webhooks as JSON lines. */
function journalOfSignals() {
  const bars = parsePriceText(readFileSync(sampleFile(FILE), 'utf8'), FILE).slice(...SLICE);
  const lines = signalLines(referenceSignals(bars, MINUTE, { ...DEFAULT_REFERENCE, equity: WALLET, leverage: 10 }));
  return { bars, lines: lines.trimEnd().split('\n'), signals: parseSignalLines(lines, 'parity', TRX_USDT_PERP.symbol) };
}

interface Processed {
  id: string;
  outcome: ProcessingOutcome | { failed: string };
}

/** Plain data as a journal stores it (undefined fields dropped), for an exact comparison. */
const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

async function backtest(bars: ReturnType<typeof journalOfSignals>['bars'], signals: TimedSignal[], model: ModelVersion, placement: HedgePlacement) {
  const processed: Processed[] = [];
  const funding = constantSchedule(FUNDING_RATE);
  const input: ReplayInput = {
    symbol: TRX_USDT_PERP.symbol,
    instrument: TRX_USDT_PERP,
    bars,
    intervalMs: MINUTE,
    source: FILE,
    signals,
    funding,
    placement,
    margin: { mode: 'cross', brackets: TRXUSDT_BRACKETS, liquidationFeeRate: 0.01 },
    wallet: WALLET,
    leverage: 10,
    account: ACCOUNT,
    limits: DEFAULT_RISK_LIMITS,
    features: DEFAULT_FEATURE_SETTINGS,
    ewma: DEFAULT_EWMA_SETTINGS,
    routing: { ...DEFAULT_ROUTING, mode: 'failover' },
    venue: paperVenueFactory({ wallet: WALLET, funding, instrument: TRX_USDT_PERP }),
    onProcessed: (delivery, outcome, error) => processed.push({ id: delivery.id, outcome: outcome ? plain(outcome) : { failed: String(error) } }),
  };
  const run = await replayStrategy(input, { name: model.version, model });
  return { run, processed };
}

type JournalKind = 'sqlite' | 'memory';

/** The journal, the model registry, the kill switch and the order legs: one SQLite file (as `serve`), or memory. */
function openJournal(kind: JournalKind) {
  if (kind === 'memory') {
    const stores = { models: new InMemoryModelStore(), controls: new InMemoryControlStore(), orders: new MemoryOrderStore(), close() {} };
    return { journal: new MemoryJournal(), stores, cleanup() {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'hedgehook-parity-'));
  const path = join(dir, 'journal.db');
  const journal = openSqliteJournal({ path, synchronous: 'normal' });
  const stores = openSqliteState({ path, defaultModel: DEFAULT_MODEL, validate: parseModelVersion });
  return { journal, stores, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The live pipeline; returns what it journaled (signals in order, order legs). */
async function live(kind: JournalKind, bars: ReturnType<typeof journalOfSignals>['bars'], lines: string[], signals: TimedSignal[], model: ModelVersion, placement: HedgePlacement) {
  const { journal, stores, cleanup } = openJournal(kind);
  const clock = new ManualClock(bars[0]!.time);
  const feed = createReplayFeed({ bars, barMs: MINUTE, speed: 1, source: FILE }, { clock });
  const venues = new Map<string, Venue>();
  const sameAccount = placement === 'same-account';
  // The configuration a user would write for this: paper venues, the primary in hedge mode
  // when the hedge shares the bot's account.
  const paper = (id: string, hedgeMode: boolean) =>
    createPaperVenue(
      { id, kind: 'paper', balance: WALLET, leverage: 50, positionMode: hedgeMode ? 'hedge' : 'one-way', fundingRate: FUNDING_RATE, instruments: [TRX_USDT_PERP as never] },
      { clock, market: feed, random: seededRandom(1) },
    );
  venues.set(PRIMARY, paper(PRIMARY, sameAccount));
  if (!sameAccount) venues.set(HEDGE_VENUE, paper(HEDGE_VENUE, false));
  let worker: Worker | undefined;
  try {
    await stores.models.put(model);
    await stores.models.setActive(model.version, { at: clock.now(), by: 'parity test' });
    for (const v of venues.values()) await v.start();
    // Started at the first bar's close, the clocked replay publishes each close at its data time.
    clock.set(bars[0]!.time + MINUTE);
    await feed.start([TRX_USDT_PERP.symbol]);

    const state = new DecisionState(DEFAULT_EWMA_SETTINGS);
    const decision = createDecisionStage({
      clock,
      models: stores.models,
      controls: stores.controls,
      state,
      account: ACCOUNT,
      limits: DEFAULT_RISK_LIMITS,
      features: DEFAULT_FEATURE_SETTINGS,
      market: feed,
      instrument: (s) => venues.get(PRIMARY)!.instrument(s) ?? KNOWN_INSTRUMENTS(s),
    });
    const stage = createExecutionStage({
      clock,
      decision,
      orders: stores.orders,
      venues,
      routing: { ...DEFAULT_ROUTING, mode: 'failover', order: [sameAccount ? PRIMARY : HEDGE_VENUE] },
    });
    // No other process writes to this journal: the poll for such work can wait a day.
    worker = new Worker({ queue: journal, process: stage.process, clock, random: seededRandom(7), pollMs: 86_400_000 });
    worker.start();

    const source: SourceSettings = { name: SOURCE, scheme: 'standard', secrets: [SECRET], maxBodyBytes: 64 * 1024, rateLimit: { burst: 100, perSecond: 10 }, toleranceSeconds: 300 };
    const rateLimiter = new RateLimiter(clock);
    const primary = venues.get(PRIMARY)!;
    let held = 0;
    let botOrders = 0;
    const views: SignalView[] = [];
    const records: DecisionRecord[] = [];
    for (let k = 0; k < signals.length; k++) {
      const { id, time, payload } = signals[k]!;
      clock.set(time);
      // The bot trades first (a flip closes, then opens), then tells hedgehook.
      const target = reportedMain(payload);
      if (target !== undefined && target !== held) {
        const legs = held !== 0 && target !== 0 && Math.sign(target) !== Math.sign(held) ? [-held, target] : [target - held];
        for (const delta of legs) {
          const order = botOrder(held, delta, TRX_USDT_PERP, sameAccount, `bt${++botOrders}`);
          if (!order) continue;
          const filled = await primary.submit(order);
          held += order.side === 'buy' ? filled.filled : -filled.filled;
        }
      }
      const body = Buffer.from(lines[k]!);
      const ts = Math.floor(time / 1000);
      const incoming = receive(
        {
          source: SOURCE,
          body,
          contentType: 'application/json',
          headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signStandard(SECRET, id, ts, body) },
          remoteAddr: '203.0.113.7',
        },
        source,
        { clock, rateLimiter },
      );
      await journal.append(incoming);
      const view = await settled(journal, incoming.id);
      views.push(view);
      const d = view.outcome?.decision as HedgeDecision | undefined;
      records.push({
        signalId: id,
        time,
        action: view.payload.action,
        type: view.payload.type ?? 'untyped',
        state: view.state,
        outcome: d?.outcome ?? 'failed',
        ratio: d?.ratio ?? null,
        targetHedge: d?.targetHedge ?? null,
        order: d?.order ? { side: d.order.side, amount: d.order.amount } : null,
        reasons: (d?.reasons ?? []).map((r) => r.code),
        features: d?.features ?? {},
        main: held,
        leverage: view.payload.position?.leverage ?? 10,
        price: feed.lastPrice(TRX_USDT_PERP.symbol) ?? 0,
      });
    }
    const legs = await stores.orders.list({ limit: 10_000 });
    return { views, records, legs };
  } finally {
    await worker?.stop();
    for (const v of venues.values()) await v.close();
    await feed.close();
    stores.close();
    await journal.close();
    cleanup();
  }
}

/** Waits (in real time; the clock holds still) until the worker settled the signal. */
async function settled(journal: { getSignal(id: string): Promise<SignalView | undefined> }, id: string): Promise<SignalView> {
  for (let i = 0; i < 5_000; i++) {
    const view = await journal.getSignal(id);
    if (view && FINAL_STATES.includes(view.state)) return view;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`signal ${id} was not settled: the live pipeline waits for something the clock must bring`);
}

describe('parity: live pipeline and backtest replay on the same journal of signals', { skip }, () => {
  const cases: [string, JournalKind, ModelVersion, HedgePlacement][] = [
    ["SQLite journal, the article's model, hedge in the bot's account", 'sqlite', DEFAULT_MODEL, 'same-account'],
    ['memory journal, a static 0.5 hedge on a separate venue', 'memory', staticModel(0.5), 'separate-account'],
  ];
  for (const [name, kind, model, placement] of cases) {
    test(name, { timeout: 20_000 }, async () => {
      const { bars, lines, signals } = journalOfSignals();
      const bt = await backtest(bars, signals, model, placement);
      const lv = await live(kind, bars, lines, signals, model, placement);

      // Nothing the replay adds or drops (a liquidation's update, a refused position) happened
      // here: otherwise the two would be fed different signals, not decide differently.
      assert.equal(bt.run.liquidations.length, 0);
      assert.deepEqual(bt.run.signals, { delivered: signals.length, dropped: 0, failed: 0, mainRejected: 0 });
      assert.ok(signals.length >= 50, `${signals.length} signals`);
      const actions = new Set(signals.map((s) => s.payload.action));
      for (const a of ['open', 'add', 'reduce', 'update', 'close'] as const) assert.ok(actions.has(a), `no ${a} in the slice`);

      // Same signals, same order, same outcome: state, reason, the full decision, the legs.
      assert.deepEqual(lv.views.map((v) => v.id), bt.processed.map((p) => p.id));
      for (let k = 0; k < signals.length; k++) {
        assert.deepEqual(plain(lv.views[k]!.outcome), bt.processed[k]!.outcome, `signal ${k + 1} (${signals[k]!.id}, ${signals[k]!.payload.action})`);
      }
      // The backtest's own record of its decisions (what its reports and the learner use).
      assert.deepEqual(lv.records, plain(bt.run.decisions));
      // And they are real hedges, not a run of skips that would agree trivially: every
      // signal that moved the position moved the hedge, through order legs on the venue.
      const moved = lv.views.filter((v) => v.payload.action !== 'update');
      assert.deepEqual(moved.map((v) => v.state), moved.map(() => 'hedged'));
      const hedged = lv.views.filter((v) => v.state === 'hedged').length;
      assert.ok(lv.legs.length >= hedged && lv.legs.every((l) => l.status === 'filled'), `${lv.legs.length} legs journaled live`);

      // The weekly refit reads these decisions back from the journal as `model fit` reads
      // them from the replay: the same samples (time, features, size, leverage); only the
      // prices after each differ (the journal has no bars) and the costs (measured on fills).
      const end = bars[bars.length - 1]!.time + MINUTE;
      const fromJournal = realisedHedges(lv.views, lv.legs, end, { fundingRate: FUNDING_RATE, maintenanceMarginRate: 0.0065, defaultFee: 0.0005, defaultSlippage: 0.00005 });
      const fromReplay = learnerSamples(bt.run.decisions, bars, MINUTE, constantSchedule(FUNDING_RATE), { takerFee: 0.0005, slippage: 0.00005, maintenanceMarginRate: 0.0065 });
      const shape = (x: LearnerSample) => [x.time, x.features, x.notional, x.liquidationDistance];
      assert.ok(fromReplay.length > 0);
      assert.deepEqual(fromJournal.samples.map(shape), fromReplay.map(shape));
      assert.equal(fromJournal.costs.source, 'fills');
    });
  }
});
