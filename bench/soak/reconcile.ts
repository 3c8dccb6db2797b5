/**
 * The soak's verdict: what the sender was told against what the journal (the SQLite
 * file, opened read-only) and the API say. Each check names its violations; any
 * violation fails the run.
 *
 * 1. Nothing lost: every acknowledged webhook is a journaled signal (by its webhook-id)
 *    and the id it was acknowledged with; every journaled signal is a webhook sent.
 * 2. Processed exactly once: a settled signal (hedged, skipped, rejected) has exactly one
 *    `processed` event and no dead letter; a dead one has no `processed` event and one
 *    open dead-letter entry with a reason; none is left received or processing.
 * 3. No order placed twice: client order ids are unique and derived from (signal, leg);
 *    and, per (account, symbol), walking the signals in journal order, the sum of the
 *    signed fills of every settled leg so far equals the decided target hedge after each
 *    signal that was hedged. A leg sent twice, a fill counted twice or forgotten after a
 *    restart, or an over-fill the router did not unwind would each break that equality
 *    (the router's unwind legs are in the sum with their opposite side).
 * 4. Positions equal the sum of fills: GET /api/positions, per (account, symbol, venue),
 *    against Σ signed fills of the settled legs in the journal — exact decimals.
 * 5. Order per key: the journal's sequence of a key's signals is the order they were
 *    fired, and a key's signals were worked one after the other (every event of one after
 *    the `received` events comes before any of the next's).
 * 6. The API agrees with the journal: each signal's state and legs, the DLQ entries.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Decimal } from '../../src/core/decimal.ts';
import { clientOrderId } from '../../src/execution/client-order-id.ts';
import { signalOutcomeSql } from '../../src/journal/sqlite/index.ts';
import type { Hook } from './sender.ts';

export interface Violation {
  check: string;
  detail: string;
}

export interface ReconcileTally {
  signals: number;
  states: Record<string, number>;
  processedEvents: number;
  retryEvents: number;
  deadLetters: number;
  /** Dead-letter reasons, grouped (see deadClass). */
  deadReasons: Record<string, number>;
  legs: number;
  legsByStatus: Record<string, number>;
  hedgeLegs: number;
  unwindLegs: number;
  filledLegs: number;
  /** Settled legs of signals that went on after a restart forgot them (paper venues live in memory). */
  legsNotFoundAfterRestart: number;
  /** Legs still pending/unknown/open: only allowed on dead-lettered signals. */
  unsettledLegs: number;
  /** Hedged signals whose cumulative fills were compared with their target. */
  placementsChecked: number;
  positionLegsChecked: number;
  keys: number;
  apiSignalsChecked: number;
  rejections: number;
}

export interface ReconcileResult {
  tally: ReconcileTally;
  violations: Violation[];
}

interface SignalRow {
  seq: number;
  id: string;
  source: string;
  dedup_key: string;
  partition_key: string;
  account: string;
  symbol: string;
  state: string;
  body: string;
  outcome: string | null;
}

interface LegRow {
  client_order_id: string;
  signal_id: string;
  account: string;
  symbol: string;
  venue: string;
  leg: number;
  purpose: string;
  side: 'buy' | 'sell';
  status: string;
  filled: string;
  average_price: string | null;
  error: string | null;
}

const SETTLED_STATES = new Set(['hedged', 'skipped', 'rejected']);
const SETTLED_LEGS = new Set(['failed', 'filled', 'canceled', 'expired', 'rejected']);
const MAX_LISTED = 20;

function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

/**
 * A dead letter's reason, grouped: whether the worker gave up after its attempts or the
 * error was final, and the venue errors behind it. A reduce-only order refused because
 * the venue holds no position to reduce gets its own group: a paper venue keeps its
 * positions in the service's memory, so after a restart it is flat while the journal
 * still holds the hedges it had.
 */
function deadClass(reason: string, legs: readonly LegRow[]): string {
  const how = /^gave up/.test(reason) ? 'retries exhausted' : /^not retryable/.test(reason) ? 'final' : 'other';
  if (legs.some((l) => l.error?.includes('would open or increase a position'))) return `${how}: reduce-only refused, the venue holds no such position (paper venue restarted flat)`;
  const codes = [...new Set(reason.match(/HH_ERR_[A-Z_]+/g) ?? [])].filter((c) => c !== 'HH_ERR_EXECUTION_INCOMPLETE');
  const states = [...new Set(reason.match(/\b(canceled|expired|unknown|pending)\b/g) ?? [])];
  return `${how}: ${[...codes, ...states].sort().join(', ') || reason.slice(0, 80)}`;
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: (await res.json()) as T };
}

async function inParallel<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

export async function reconcile(opts: { dataDir: string; url: string; hooks: readonly Hook[] }): Promise<ReconcileResult> {
  const violations: Violation[] = [];
  const counts = new Map<string, number>();
  const violate = (check: string, detail: string) => {
    const n = (counts.get(check) ?? 0) + 1;
    counts.set(check, n);
    if (n <= MAX_LISTED) violations.push({ check, detail });
    else if (n === MAX_LISTED + 1) violations.push({ check, detail: '… more of the same not listed' });
  };

  const db = new Database(join(opts.dataDir, 'journal.db'), { readonly: true, fileMustExist: true });
  let signals: SignalRow[];
  let events: { signal_seq: number; seq: number; type: string }[];
  let dead: { signal_seq: number; signal_id: string; reason: string }[];
  let legs: LegRow[];
  let rejections: number;
  try {
    // One read transaction: a consistent snapshot even while the service writes.
    const read = db.transaction(() => ({
      signals: db.prepare(`SELECT seq, id, source, dedup_key, partition_key, account, symbol, state, body, ${signalOutcomeSql()} AS outcome FROM signals ORDER BY seq`).all() as SignalRow[],
      events: db.prepare('SELECT signal_seq, seq, type FROM signal_events ORDER BY seq').all() as { signal_seq: number; seq: number; type: string }[],
      dead: db.prepare('SELECT signal_seq, signal_id, reason FROM dead_letters WHERE replayed_at IS NULL AND purged_at IS NULL').all() as { signal_seq: number; signal_id: string; reason: string }[],
      legs: db.prepare('SELECT client_order_id, signal_id, account, symbol, venue, leg, purpose, side, status, filled, average_price, error FROM order_legs ORDER BY id').all() as LegRow[],
      rejections: (db.prepare('SELECT COUNT(*) AS n FROM rejections').get() as { n: number }).n,
    }));
    ({ signals, events, dead, legs, rejections } = read());
  } finally {
    db.close();
  }

  const tally: ReconcileTally = {
    signals: signals.length, states: {}, processedEvents: 0, retryEvents: 0, deadLetters: dead.length, deadReasons: {},
    legs: legs.length, legsByStatus: {}, hedgeLegs: 0, unwindLegs: 0, filledLegs: 0, legsNotFoundAfterRestart: 0,
    unsettledLegs: 0, placementsChecked: 0, positionLegsChecked: 0, keys: 0, apiSignalsChecked: 0, rejections,
  };

  // ── 1. nothing lost, nothing journaled twice ──
  const byDedup = new Map(signals.filter((s) => s.source === 'default').map((s) => [s.dedup_key, s]));
  const sentIds = new Set(opts.hooks.map((h) => h.webhookId));
  for (const hook of opts.hooks) {
    if (hook.signalId === undefined) {
      violate('acknowledged', `webhook #${hook.n} (${hook.key} k=${hook.k}) was never acknowledged`);
      continue;
    }
    if (hook.ids.size > 1) violate('duplicate', `webhook #${hook.n} was acknowledged as ${[...hook.ids].join(' and ')}`);
    const row = byDedup.get(hook.webhookId);
    if (!row) violate('lost', `webhook #${hook.n} acknowledged as ${hook.signalId} (${hook.ackStatus}) is not in the journal`);
    else if (row.id !== hook.signalId) violate('lost', `webhook #${hook.n} acknowledged as ${hook.signalId} is journaled as ${row.id}`);
  }
  for (const s of signals) {
    if (s.source !== 'default' || !sentIds.has(s.dedup_key)) violate('unexpected', `signal ${s.id} (${s.source}/${s.dedup_key}) was never sent`);
  }

  // ── 2. processed exactly once, or dead-lettered with a reason ──
  const eventsOf = new Map<number, { seq: number; type: string }[]>();
  for (const e of events) {
    let list = eventsOf.get(e.signal_seq);
    if (!list) eventsOf.set(e.signal_seq, (list = []));
    list.push(e);
    if (e.type === 'processed') tally.processedEvents++;
    if (e.type === 'retry') tally.retryEvents++;
  }
  const deadBySeq = new Map<number, typeof dead>();
  const legsOfSignal = new Map<string, LegRow[]>();
  for (const leg of legs) legsOfSignal.set(leg.signal_id, [...(legsOfSignal.get(leg.signal_id) ?? []), leg]);
  for (const d of dead) {
    deadBySeq.set(d.signal_seq, [...(deadBySeq.get(d.signal_seq) ?? []), d]);
    bump(tally.deadReasons, deadClass(d.reason, legsOfSignal.get(d.signal_id) ?? []));
  }
  for (const s of signals) {
    bump(tally.states, s.state);
    const evs = eventsOf.get(s.seq) ?? [];
    const processed = evs.filter((e) => e.type === 'processed').length;
    const deadEntries = deadBySeq.get(s.seq) ?? [];
    if (SETTLED_STATES.has(s.state)) {
      if (processed !== 1) violate(processed > 1 ? 'processed twice' : 'processed', `signal ${s.id} is ${s.state} with ${processed} processed events`);
      if (deadEntries.length > 0) violate('dlq', `signal ${s.id} is ${s.state} and also in the dead-letter queue`);
    } else if (s.state === 'dead') {
      if (processed !== 0) violate('processed twice', `signal ${s.id} is dead after ${processed} processed events`);
      if (deadEntries.length !== 1) violate('dlq', `signal ${s.id} is dead with ${deadEntries.length} open dead-letter entries`);
      else if (!deadEntries[0]!.reason.trim()) violate('dlq', `signal ${s.id} is dead-lettered without a reason`);
    } else {
      violate('unfinished', `signal ${s.id} is still ${s.state} after the queue drained`);
    }
  }

  // ── 3. no order leg placed twice ──
  const seenIds = new Set<string>();
  const signalById = new Map(signals.map((s) => [s.id, s]));
  const legsOf = new Map<string, LegRow[]>();
  for (const leg of legs) {
    bump(tally.legsByStatus, leg.status);
    if (leg.purpose === 'hedge') tally.hedgeLegs++;
    else tally.unwindLegs++;
    if (Number(leg.filled) > 0) tally.filledLegs++;
    if (leg.error?.includes('HH_ERR_VENUE_ORDER_NOT_FOUND')) tally.legsNotFoundAfterRestart++;
    if (seenIds.has(leg.client_order_id)) violate('leg twice', `client order id ${leg.client_order_id} is journaled twice`);
    seenIds.add(leg.client_order_id);
    let expected: string | undefined;
    try {
      expected = clientOrderId(leg.signal_id, leg.leg);
    } catch {
      expected = undefined;
    }
    if (expected !== leg.client_order_id) violate('leg id', `leg ${leg.leg} of ${leg.signal_id} has client order id ${leg.client_order_id}, not ${expected}`);
    const signal = signalById.get(leg.signal_id);
    if (!signal) violate('leg id', `leg ${leg.client_order_id} belongs to no journaled signal`);
    if (!SETTLED_LEGS.has(leg.status)) {
      tally.unsettledLegs++;
      if (signal && signal.state !== 'dead') violate('unsettled leg', `leg ${leg.client_order_id} is ${leg.status} but its signal is ${signal.state}`);
    }
    let list = legsOf.get(leg.signal_id);
    if (!list) legsOf.set(leg.signal_id, (list = []));
    list.push(leg);
  }
  const signedFill = (leg: LegRow): Decimal => {
    if (!SETTLED_LEGS.has(leg.status)) return Decimal.ZERO;
    const filled = Decimal.from(leg.filled);
    return leg.side === 'buy' ? filled : filled.neg();
  };
  const byKey = new Map<string, SignalRow[]>();
  for (const s of signals) {
    let list = byKey.get(s.partition_key);
    if (!list) byKey.set(s.partition_key, (list = []));
    list.push(s);
  }
  tally.keys = byKey.size;
  for (const [key, list] of byKey) {
    let cumulative = Decimal.ZERO;
    for (const s of list) {
      for (const leg of legsOf.get(s.id) ?? []) cumulative = cumulative.add(signedFill(leg));
      if (s.state !== 'hedged' || !s.outcome) continue;
      const decision = (JSON.parse(s.outcome) as { decision?: { outcome?: string; targetHedge?: number | null } }).decision;
      if (decision?.outcome !== 'hedge' || decision.targetHedge === null || decision.targetHedge === undefined) continue;
      tally.placementsChecked++;
      if (!cumulative.eq(decision.targetHedge)) {
        violate('placed twice', `${key}: after ${s.id} the fills sum to ${cumulative.toString()} but the decided target was ${decision.targetHedge}`);
      }
    }
  }

  // ── 5. order per key ──
  for (const [key, list] of byKey) {
    let lastK = -1;
    let lastEnd = -1;
    for (const s of list) {
      let k: number | undefined;
      try {
        k = (JSON.parse(s.body) as { soak?: { k?: number } }).soak?.k;
      } catch {
        k = undefined;
      }
      if (k === undefined || k <= lastK) violate('order', `${key}: ${s.id} (fired as #${k}) is journaled after #${lastK}`);
      if (k !== undefined) lastK = k;
      const worked = (eventsOf.get(s.seq) ?? []).filter((e) => e.type !== 'received');
      if (worked.length > 0 && worked[0]!.seq < lastEnd) violate('order', `${key}: ${s.id} was worked before the previous signal of its key settled`);
      for (const e of worked) lastEnd = Math.max(lastEnd, e.seq);
    }
  }

  // ── 4. positions equal the sum of fills ──
  const fillsByLeg = new Map<string, Decimal>();
  for (const leg of legs) {
    const f = signedFill(leg);
    if (f.isZero()) continue;
    const k = JSON.stringify([leg.account, leg.symbol, leg.venue]);
    fillsByLeg.set(k, (fillsByLeg.get(k) ?? Decimal.ZERO).add(f));
  }
  const positions = await getJson<{ positions: { account: string; symbol: string; hedges: { venue: string; signedSize: number }[] }[] }>(`${opts.url}/api/positions`);
  const shown = new Map<string, Decimal>();
  for (const p of positions.body.positions) {
    for (const h of p.hedges) shown.set(JSON.stringify([p.account, p.symbol, h.venue]), Decimal.from(h.signedSize));
  }
  for (const k of new Set([...fillsByLeg.keys(), ...shown.keys()])) {
    tally.positionLegsChecked++;
    const want = fillsByLeg.get(k) ?? Decimal.ZERO;
    const got = shown.get(k) ?? Decimal.ZERO;
    if (!want.eq(got)) violate('positions', `${k}: GET /api/positions shows ${got.toString()}, the journal's fills sum to ${want.toString()}`);
  }

  // ── 6. the API agrees with the journal ──
  await inParallel(signals, 8, async (s) => {
    const res = await getJson<{ state?: string; orders?: { clientOrderId: string; filled: number; status: string }[] }>(`${opts.url}/api/signals/${s.id}`);
    tally.apiSignalsChecked++;
    if (res.status !== 200) return violate('api', `GET /api/signals/${s.id} answered ${res.status}`);
    if (res.body.state !== s.state) violate('api', `GET /api/signals/${s.id} says ${res.body.state}, the journal ${s.state}`);
    const mine = [...(legsOf.get(s.id) ?? [])].sort((a, b) => a.leg - b.leg);
    const theirs = res.body.orders ?? [];
    if (mine.length > 0 && (theirs.length !== mine.length || mine.some((l, i) => theirs[i]?.clientOrderId !== l.client_order_id || !Decimal.from(theirs[i]!.filled).eq(l.filled)))) {
      violate('api', `GET /api/signals/${s.id} shows ${theirs.length} orders, the journal ${mine.length} legs (or their fills differ)`);
    }
  });
  const dlq = await getJson<{ entries: { signalId: string; reason: string }[] }>(`${opts.url}/api/dlq`);
  const dlqIds = new Set(dlq.body.entries.map((e) => e.signalId));
  const deadIds = new Set(dead.map((d) => d.signal_id));
  for (const d of dead) if (!dlqIds.has(d.signal_id)) violate('api', `dead letter ${d.signal_id} is missing from GET /api/dlq`);
  for (const e of dlq.body.entries) {
    if (!deadIds.has(e.signalId)) violate('api', `GET /api/dlq lists ${e.signalId}, not open in the journal`);
    if (!e.reason?.trim()) violate('dlq', `GET /api/dlq lists ${e.signalId} without a reason`);
  }

  for (const [check, n] of counts) if (n > MAX_LISTED) violations.push({ check, detail: `${n} ${check} violations in all` });
  return { tally, violations };
}
