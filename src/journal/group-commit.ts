/**
 * Group commit: every item submitted during one event-loop turn is written by ONE call
 * of `commit` (one transaction, one fsync) on the next `setImmediate`, and each promise
 * settles only after that call returned, i.e. after the commit. If `commit` throws,
 * every item of the batch is rejected and the store must have kept none of them.
 */
export interface GroupCommitOptions<I, O> {
  /**
   * Writes all items atomically and returns one result per item, in order. An `Error`
   * in the results rejects that item alone (the others are committed). Throwing fails
   * the whole batch.
   */
  commit(items: readonly I[]): (O | Error)[];
  /** The error every waiter of a failed batch is rejected with. */
  failure(cause: unknown, size: number): Error;
  /** Runs after the waiters of a committed batch have been settled (e.g. wake the worker). */
  committed?(results: readonly (O | Error)[], items: readonly I[]): void;
}

interface Waiter<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: Error): void;
}

export class GroupCommit<I, O> {
  private pending: Waiter<I, O>[] = [];
  private immediate: NodeJS.Immediate | undefined;

  constructor(private readonly options: GroupCommitOptions<I, O>) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.immediate ??= setImmediate(() => this.flush());
    });
  }

  get size(): number {
    return this.pending.length;
  }

  /** Commits what is pending now, synchronously (also used by close()). */
  flush(): void {
    if (this.immediate) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    let results: (O | Error)[];
    try {
      results = this.options.commit(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`commit returned ${results.length} results for ${batch.length} items`);
    } catch (cause) {
      const err = this.options.failure(cause, batch.length);
      for (const w of batch) w.reject(err);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const r = results[i] as O | Error;
      if (r instanceof Error) batch[i]!.reject(r);
      else batch[i]!.resolve(r);
    }
    this.options.committed?.(results, batch.map((w) => w.item));
  }
}
