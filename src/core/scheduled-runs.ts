/**
 * Which process runs one occurrence of a scheduled job (today the weekly refit), when
 * several share the stores: every process schedules the job, and the first to claim an
 * occurrence runs it; the others leave it alone. It is also the record that an occurrence
 * ran, so a restarted service does not run it again, whatever it produced.
 *
 * An occurrence is `(job, slot)`, the slot being its scheduled time (epoch ms). A claim
 * that was never finished is taken over once it is older than `staleMs`: its process died
 * mid-run. A claim released (its run stopped with the service, or failed) can be taken at
 * once.
 */

export interface ScheduledRun {
  job: string;
  slot: number;
  /** Who claimed it last (host and process id: for the log and an operator's query). */
  holder: string;
  claimedAt: number;
  /** Absent while the run is under way (or its process died). */
  finishedAt?: number;
  /** One word: what the run ended with (`proposed`, `insufficient`, `failed`…). */
  outcome?: string;
}

export interface ScheduledRuns {
  /**
   * True when `holder` is now to run the occurrence: nobody had claimed it, its claim was
   * released, or it was claimed more than `staleMs` before `now` and never finished.
   * Atomic across processes: of concurrent claims, one wins.
   */
  claim(job: string, slot: number, holder: string, now: number, staleMs: number): Promise<boolean>;
  /** The claimed run ended: a finished occurrence is never claimed again. */
  finish(job: string, slot: number, holder: string, now: number, outcome: string): Promise<void>;
  /** The run ended without doing its work (stopped with the service, or failed): the next claim may take it at once. */
  release(job: string, slot: number, holder: string): Promise<void>;
  get(job: string, slot: number): Promise<ScheduledRun | undefined>;
}

/** A released claim: claimed at the start of time, so any staleness takes it over. */
export const RELEASED_AT = 0;

const key = (job: string, slot: number): string => `${job}\u0000${slot}`;

/** The reference behaviour, in memory: for the contract and the refit's tests. */
export class InMemoryScheduledRuns implements ScheduledRuns {
  private readonly runs = new Map<string, ScheduledRun>();

  async claim(job: string, slot: number, holder: string, now: number, staleMs: number): Promise<boolean> {
    const run = this.runs.get(key(job, slot));
    if (run && (run.finishedAt !== undefined || run.claimedAt >= now - staleMs)) return false;
    this.runs.set(key(job, slot), { job, slot, holder, claimedAt: now });
    return true;
  }

  async finish(job: string, slot: number, holder: string, now: number, outcome: string): Promise<void> {
    const run = this.held(job, slot, holder);
    if (run) Object.assign(run, { finishedAt: now, outcome });
  }

  async release(job: string, slot: number, holder: string): Promise<void> {
    const run = this.held(job, slot, holder);
    if (run) run.claimedAt = RELEASED_AT;
  }

  async get(job: string, slot: number): Promise<ScheduledRun | undefined> {
    const run = this.runs.get(key(job, slot));
    return run ? { ...run } : undefined;
  }

  /** The occurrence while `holder` holds it unfinished. */
  private held(job: string, slot: number, holder: string): ScheduledRun | undefined {
    const run = this.runs.get(key(job, slot));
    return run && run.holder === holder && run.finishedAt === undefined ? run : undefined;
  }
}
