/**
 * The outbox relay: publishes what the journal committed to JetStream, then forgets it.
 *
 * Why this makes the 202 safe: the webhook is answered once the signal AND its outbox row
 * are committed in one PostgreSQL transaction. From then on the row stays until JetStream
 * acknowledged the message, and any process's relay publishes it — so a receiver killed right
 * after its 202 loses nothing. Publishing twice (a relay died between the publish and the
 * delete) is harmless: the message id is the signal id (or a replay's own id), and JetStream
 * drops a repeat within the duplicate window; past it, the worker finds the signal settled
 * and acknowledges the stray copy without running it again.
 *
 * Order: one relay at a time (the outbox's `lead()`), reading rows in publication order,
 * and within a key publishing one message after the other, each only once the previous one
 * was acknowledged: a failed publish stops that key for this round, so a later signal of
 * the key can never land in the stream before an earlier one. Keys go in parallel.
 */
import { StringCodec, type JetStreamClient } from 'nats';
import type { Outbox, OutboxRow } from '../delivery.ts';
import type { JournalLogger } from '../types.ts';

export interface OutboxRelayOptions {
  outbox: Outbox;
  js: JetStreamClient;
  /** The subject of a partition key's messages. */
  subjectOf(partitionKey: string): string;
  logger: JournalLogger;
  /** How often a follower asks for the role and an idle leader looks for rows nobody announced (default 500 ms). */
  pollMs?: number;
  /** Rows per round (default 500). */
  batch?: number;
  /** A publish not acknowledged within this is retried next round (default 5 000 ms). */
  publishTimeoutMs?: number;
}

export interface RelayCounters {
  published: number;
  failed: number;
  rounds: number;
}

const codec = StringCodec();

/** The message body: what the consumer needs to find the signal in the journal. */
export function messageBody(row: Pick<OutboxRow, 'seq' | 'signalId' | 'partitionKey'>): Uint8Array {
  return codec.encode(JSON.stringify({ id: row.signalId, seq: row.seq, key: row.partitionKey }));
}

export class OutboxRelay {
  private readonly options: OutboxRelayOptions;
  private readonly pollMs: number;
  private readonly batch: number;
  private readonly publishTimeoutMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private pendingWake = false;
  private unsubscribe: (() => void) | undefined;
  private readonly count: RelayCounters = { published: 0, failed: 0, rounds: 0 };

  constructor(options: OutboxRelayOptions) {
    this.options = options;
    this.pollMs = options.pollMs ?? 500;
    this.batch = options.batch ?? 500;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.options.outbox.onPending(() => this.kick());
    this.loop = this.run();
  }

  /**
   * Finishes the round under way and, when leading, publishes what is left (the last
   * webhooks this process answered), then gives up the relay role so another process takes
   * over at once. Rows it could not publish stay in the outbox for that process.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.kick();
    await this.loop;
    try {
      if (await this.options.outbox.lead()) while (await this.round());
    } catch (err) {
      this.options.logger.warn({ err }, 'final outbox relay round failed; another process will publish the rest');
    }
    await this.options.outbox.resign().catch(() => undefined);
  }

  get counters(): RelayCounters {
    return { ...this.count };
  }

  private kick(): void {
    this.pendingWake = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let more = false;
      try {
        if (await this.options.outbox.lead()) more = await this.round();
      } catch (err) {
        this.options.logger.warn({ err }, 'outbox relay round failed; retrying');
      }
      if (!more && this.running) await this.idle();
    }
  }

  private idle(): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, this.pollMs);
      this.wake = () => {
        clearTimeout(timer);
        this.pendingWake = false;
        resolve();
      };
    });
  }

  /** One batch; true when it published everything it read and there may be more. */
  private async round(): Promise<boolean> {
    this.pendingWake = false;
    const rows = await this.options.outbox.pending(this.batch);
    if (rows.length === 0) return false;
    this.count.rounds++;
    const byKey = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const list = byKey.get(row.partitionKey);
      if (list) list.push(row);
      else byKey.set(row.partitionKey, [row]);
    }
    const done: number[] = [];
    const failures: { err: unknown; signalId: string }[] = [];
    await Promise.all(
      [...byKey.values()].map(async (list) => {
        for (const row of list) {
          try {
            await this.options.js.publish(this.options.subjectOf(row.partitionKey), messageBody(row), { msgID: row.msgId, timeout: this.publishTimeoutMs });
            done.push(row.id);
          } catch (err) {
            // The rest of this key waits for the next round, behind this row.
            failures.push({ err, signalId: row.signalId });
            return;
          }
        }
      }),
    );
    this.count.published += done.length;
    this.count.failed += failures.length;
    if (failures.length > 0) {
      // One line per round, not per row: during a NATS outage every round fails.
      this.options.logger.warn({ err: failures[0]!.err, keys: failures.length, firstSignalId: failures[0]!.signalId }, 'publishing to JetStream failed; the outbox keeps the signals and the relay retries');
    }
    await this.options.outbox.remove(done);
    return failures.length === 0 && rows.length === this.batch;
  }
}
