/**
 * Logic both journal adapters share, so that SQLite and memory cannot drift apart:
 * which queued signal is due for which key, the shape of a view, limits, replay targets,
 * errors and work listeners.
 */
import { HedgehookError, type ErrorInfo } from '../core/errors.ts';
import type { AppendResult, ProcessingOutcome, SignalView } from '../core/signal.ts';
import type { JournalLogger, JournalStats } from './types.ts';

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;
/** Oldest rejections are dropped beyond this many, so a flood of bad requests cannot fill the disk. */
export const DEFAULT_MAX_REJECTIONS = 100_000;

export function unavailable(detail: string, cause?: unknown): HedgehookError {
  const why = cause instanceof Error ? `: ${cause.message.split('\n')[0]}` : '';
  return new HedgehookError('HH_ERR_JOURNAL_UNAVAILABLE', `${detail}${why}`, cause === undefined ? undefined : { cause });
}

export function closedError(): HedgehookError {
  return new HedgehookError('HH_ERR_JOURNAL_UNAVAILABLE', 'journal is closed');
}

export function clampLimit(limit: number | undefined, fallback = DEFAULT_LIST_LIMIT): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.max(1, Math.min(MAX_LIST_LIMIT, Math.floor(limit)));
}

/** JSON text of a value, or a non-retryable error naming what could not be stored. */
export function toJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new HedgehookError('HH_ERR_INTERNAL', `${what} cannot be stored as JSON`, { cause });
  }
  if (text === undefined) throw new HedgehookError('HH_ERR_INTERNAL', `${what} cannot be stored as JSON`);
  return text;
}

/**
 * The detail of a `processed` event, as JSON text: the state, the attempt and the whole
 * outcome it recorded. Every journal writes the same shape, so `listEvents` reads alike;
 * `outcomeJson` is the outcome's `toJson` text, spliced in rather than parsed again.
 */
export function processedDetail(state: string, attempt: number, outcomeJson: string): string {
  return `{"state":${JSON.stringify(state)},"attempt":${attempt},"outcome":${outcomeJson}}`;
}

const SETTLED_STATES: ReadonlySet<string> = new Set(['hedged', 'skipped', 'rejected']);

export function assertOutcome(outcome: ProcessingOutcome): void {
  if (!outcome || typeof outcome !== 'object' || !SETTLED_STATES.has(outcome.state)) {
    throw new HedgehookError('HH_ERR_INTERNAL', `a processing outcome must have state hedged, skipped or rejected (got ${String(outcome?.state)})`);
  }
}

/** The stored form of an error: a plain ErrorInfo, whatever was passed in. */
export function storedError(error: ErrorInfo): ErrorInfo {
  return { code: String(error.code), message: String(error.message), retryable: Boolean(error.retryable) };
}

/** Signal ids a replay applies to: every open entry, or the given ids once each. */
export type ReplaySelection = { all: true } | { all: false; ids: Set<string> };

export function replaySelection(target: { ids: string[] } | 'all'): ReplaySelection {
  if (target === 'all') return { all: true };
  if (!target || !Array.isArray(target.ids)) throw new HedgehookError('HH_ERR_BAD_REQUEST', 'replay needs "all" or a list of ids');
  return { all: false, ids: new Set(target.ids) };
}

// ---------------------------------------------------------------------------------------
// Partitions: at most one delivery in flight per key, always the lowest unsettled seq.

/** The lowest unsettled signal of one partition key. */
export interface QueueHead {
  seq: number;
  partitionKey: string;
  notBefore: number;
}

/**
 * Keys this process has handed out and not yet got back (settle, retry, dead letter).
 * Deliberately in memory only: after a crash it is empty, so signals left "processing"
 * are claimable again and start-up is recovery.
 */
export class InFlight {
  private readonly keys = new Map<string, number>();

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string, seq: number): void {
    this.keys.set(key, seq);
  }

  /** Releases the key if it is held for this signal. */
  release(key: string, seq: number): void {
    if (this.keys.get(key) === seq) this.keys.delete(key);
  }

  get size(): number {
    return this.keys.size;
  }
}

/** The heads that may be claimed now, lowest seq first, at most `max`. */
export function dueHeads(heads: Iterable<QueueHead>, inFlight: InFlight, now: number, max: number): QueueHead[] {
  if (!(max >= 1)) return [];
  const due: QueueHead[] = [];
  for (const h of heads) if (h.notBefore <= now && !inFlight.has(h.partitionKey)) due.push(h);
  due.sort((a, b) => a.seq - b.seq);
  return due.length > max ? due.slice(0, Math.floor(max)) : due;
}

/** When the next head not in flight becomes due; undefined when nothing waits. */
export function earliestDue(heads: Iterable<QueueHead>, inFlight: InFlight): number | undefined {
  let earliest: number | undefined;
  for (const h of heads) {
    if (inFlight.has(h.partitionKey)) continue;
    if (earliest === undefined || h.notBefore < earliest) earliest = h.notBefore;
  }
  return earliest;
}

// ---------------------------------------------------------------------------------------

/** A signal as both adapters hold it once decoded; turned into the port's view below. */
export type StoredSignal = Omit<SignalView, 'lastError'> & { lastError?: ErrorInfo };

export function toSignalView(s: StoredSignal): SignalView {
  const view: SignalView = {
    seq: s.seq,
    id: s.id,
    source: s.source,
    state: s.state,
    receivedAt: s.receivedAt,
    account: s.account,
    symbol: s.symbol,
    payload: s.payload,
    attempts: s.attempts,
    updatedAt: s.updatedAt,
  };
  if (s.lastError) view.lastError = { code: s.lastError.code, message: s.lastError.message };
  if (s.outcome) view.outcome = s.outcome;
  return view;
}

/** onWork subscribers; a throwing listener is logged and never breaks a commit. */
export class WorkListeners {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly logger: JournalLogger) {}

  add(listener: () => void): () => void {
    // Wrapped, so subscribing the same function twice gives two independent subscriptions.
    const entry = () => listener();
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  notify(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch (err) {
        this.logger.error({ err }, 'a work listener threw');
      }
    }
  }
}

/** Counts a committed batch into the stats; returns how many signals were new. */
export function tallyAppends(results: readonly (AppendResult | Error)[], stats: JournalStats): number {
  stats.batches++;
  let accepted = 0;
  for (const r of results) {
    if (r instanceof Error) continue;
    if (r.status === 'accepted') accepted++;
    else stats.duplicates++;
  }
  stats.accepted += accepted;
  return accepted;
}
