/**
 * Group commit over an asynchronous store: every item submitted while no commit is running
 * is written by the next commit, on setImmediate; items submitted while one runs wait for
 * it and go together into the following one. One commit in flight per batcher, so under
 * load batches grow instead of connections piling up (the same trade as SQLite's
 * group-commit.ts, with a network round trip instead of an fsync per commit).
 *
 * Each promise settles only after its commit returned. If `commit` throws, every item of
 * the batch is rejected and the store must have kept none of them (one transaction).
 */
export interface AsyncBatcherOptions<I, O> {
  /** Writes the items in one transaction; one result per item, an Error rejecting that item alone. */
  commit(items: readonly I[]): Promise<(O | Error)[]>;
  failure(cause: unknown, size: number): Error;
  /** After the waiters of a committed batch were settled (wake the worker, count). */
  committed?(results: readonly (O | Error)[], items: readonly I[]): void;
}

interface Waiter<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: Error): void;
}

export class AsyncBatcher<I, O> {
  private pending: Waiter<I, O>[] = [];
  private scheduled = false;
  private running: Promise<void> | undefined;

  constructor(private readonly options: AsyncBatcherOptions<I, O>) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything submitted before the call is committed (or failed). */
  async flush(): Promise<void> {
    while (this.running || this.pending.length > 0) {
      if (!this.running) this.start();
      await this.running;
    }
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.running) this.start();
    });
  }

  private start(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.running = this.run(batch).finally(() => {
      this.running = undefined;
      if (this.pending.length > 0) this.schedule();
    });
  }

  private async run(batch: Waiter<I, O>[]): Promise<void> {
    const items = batch.map((w) => w.item);
    let results: (O | Error)[];
    try {
      results = await this.options.commit(items);
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
    this.options.committed?.(results, items);
  }
}
