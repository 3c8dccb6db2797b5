/**
 * The SignalQueue port over NATS JetStream, for several processes: JetStream decides when a
 * signal is handed out, the journal (DeliveryStates) records what happened to it.
 *
 * How the port maps:
 * - JetStream pushes at most one message per partition at a time (max_ack_pending = 1), to
 *   one of the processes pulling it; the message waits here until the worker claims it.
 *   `claim` marks the buffered signals processing in the journal (attempts + 1) and hands
 *   them out. A message whose signal is already final (a redelivery after the journal write
 *   but before the ack, a duplicate past the de-duplication window) is acknowledged and
 *   dropped: the journal, not the broker, decides that a signal is done.
 * - `settle` records the outcome, then acks; `retry` records the error, then naks with the
 *   delay (the partition waits: JetStream holds the message as pending, so a key's later
 *   signals never overtake it); `deadLetter` writes the DLQ entry, then terminates the message.
 *   Journal first, broker second: a crash between the two redelivers the message and the
 *   journal says it is done.
 * - While the worker runs a signal (and while one waits in the buffer) the queue tells
 *   JetStream it is still working, every ackWait / 3. A process that dies stops doing so and
 *   JetStream redelivers after ack wait, to any process: crash recovery is redelivery. A
 *   delivery that lost its turn that way is fenced off by its attempt number (the journal
 *   refuses its settle), and its message is then left alone so that the current holder's
 *   ack is the one that counts.
 * - `nextDueAt` is undefined: back-off delays live in JetStream, and `onWork` wakes the
 *   worker when a message arrives.
 * - `close` stops pulling and hands every message still held back to JetStream (nak), so
 *   other processes take them at once instead of after ack wait.
 */
import { StringCodec, type JetStreamClient, type JsMsg, type ConsumerMessages } from 'nats';
import { HedgehookError, type ErrorInfo } from '../../core/errors.ts';
import type { Delivery, SignalQueue } from '../../core/ports.ts';
import type { ProcessingOutcome } from '../../core/signal.ts';
import { WorkListeners } from '../common.ts';
import type { DeliveryStates, SignalRef } from '../delivery.ts';
import type { JournalLogger } from '../types.ts';
import { consumerOf, type ResolvedJetStreamSettings } from './topology.ts';

export interface NatsSignalQueueOptions {
  js: JetStreamClient;
  settings: ResolvedJetStreamSettings;
  states: DeliveryStates;
  logger: JournalLogger;
  /** When a journal write fails, the message comes back after this long (default 1 000 ms). */
  failureRedeliveryMs?: number;
}

export interface NatsQueueCounters {
  received: number;
  claimed: number;
  /** Messages of signals already final, acknowledged without running them again. */
  stale: number;
  acked: number;
  naked: number;
  terminated: number;
  /** Outcomes the journal refused because the delivery had lost its turn. */
  fenced: number;
}

interface Held {
  msg: JsMsg;
  ref: SignalRef;
}

const codec = StringCodec();

export function parseMessage(data: Uint8Array): SignalRef | undefined {
  try {
    const body = JSON.parse(codec.decode(data)) as { id?: unknown; seq?: unknown };
    if (typeof body.id === 'string' && typeof body.seq === 'number' && Number.isInteger(body.seq)) return { id: body.id, seq: body.seq };
  } catch {
    // fall through
  }
  return undefined;
}

export class NatsSignalQueue implements SignalQueue {
  private readonly options: NatsSignalQueueOptions;
  private readonly listeners: WorkListeners;
  /** Arrived, not yet claimed, in arrival order. */
  private buffer: Held[] = [];
  /** Claimed by the worker, by signal seq, with the attempt it runs. */
  private readonly running = new Map<number, Held & { attempt: number }>();
  private readonly consumers: ConsumerMessages[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private started = false;
  private stopping = false;
  private readonly count: NatsQueueCounters = { received: 0, claimed: 0, stale: 0, acked: 0, naked: 0, terminated: 0, fenced: 0 };

  constructor(options: NatsSignalQueueOptions) {
    this.options = options;
    this.listeners = new WorkListeners(options.logger);
  }

  /** Starts pulling every partition. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const s = this.options.settings;
    for (let p = 0; p < s.partitions; p++) {
      const consumer = await this.options.js.consumers.get(s.stream, consumerOf(s, p));
      const messages = await consumer.consume({ max_messages: 1, callback: (m) => this.arrived(m) });
      this.consumers.push(messages);
    }
    this.heartbeat = setInterval(() => this.stillWorking(), Math.max(100, Math.floor(s.ackWaitMs / 3)));
    this.heartbeat.unref();
  }

  get counters(): NatsQueueCounters {
    return { ...this.count };
  }

  /** Messages held by this process (buffered + running). */
  get held(): number {
    return this.buffer.length + this.running.size;
  }

  async claim(max: number, now: number): Promise<Delivery[]> {
    if (this.stopping) return [];
    if (!(max >= 1) || this.buffer.length === 0) return [];
    const take = this.buffer.splice(0, Math.floor(max));
    let deliveries: Delivery[];
    try {
      deliveries = await this.options.states.claimSignals(
        take.map((h) => h.ref),
        now,
      );
    } catch (err) {
      this.buffer.unshift(...take); // kept (and heart-beaten); the worker backs off and asks again
      throw err;
    }
    const bySeq = new Map(deliveries.map((d) => [d.seq, d]));
    const out: Delivery[] = [];
    for (const h of take) {
      const d = bySeq.get(h.ref.seq);
      if (!d) {
        this.count.stale++;
        this.ack(h.msg);
        continue;
      }
      this.running.set(d.seq, { ...h, attempt: d.attempt });
      out.push(d);
    }
    this.count.claimed += out.length;
    return out;
  }

  async settle(delivery: Delivery, outcome: ProcessingOutcome, now: number): Promise<void> {
    await this.finish(delivery, 'settle', () => this.options.states.settleDelivery(delivery, outcome, now), (m) => this.ack(m));
  }

  async retry(delivery: Delivery, notBefore: number, error: ErrorInfo, now: number): Promise<void> {
    const delay = Math.max(0, Math.ceil(notBefore - now));
    await this.finish(delivery, 'retry', () => this.options.states.retryDelivery(delivery, notBefore, error, now), (m) => this.nak(m, delay));
  }

  async deadLetter(delivery: Delivery, reason: string, error: ErrorInfo, now: number): Promise<void> {
    await this.finish(delivery, 'dead-letter', () => this.options.states.deadLetterDelivery(delivery, reason, error, now), (m) => this.term(m));
  }

  depth(): Promise<number> {
    return this.options.states.depth();
  }

  async nextDueAt(): Promise<number | undefined> {
    return undefined;
  }

  onWork(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  /** Stops pulling and gives every held message back to JetStream for another process. */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    await Promise.all(this.consumers.map((c) => Promise.resolve(c.close()).catch(() => undefined)));
    for (const h of this.buffer) this.nak(h.msg, 0);
    this.buffer = [];
    for (const h of this.running.values()) this.nak(h.msg, 0);
    this.running.clear();
  }

  // -- internals -------------------------------------------------------------------------

  private arrived(msg: JsMsg): void {
    this.count.received++;
    if (this.stopping) {
      this.nak(msg, 0);
      return;
    }
    const ref = parseMessage(msg.data);
    if (!ref) {
      this.options.logger.error({ subject: msg.subject, streamSeq: msg.seq }, 'a message that is not a hedgehook signal reference was dropped');
      this.term(msg);
      return;
    }
    this.buffer.push({ msg, ref });
    this.listeners.notify();
  }

  private async finish(delivery: Delivery, op: string, write: () => Promise<boolean>, answer: (m: JsMsg) => void): Promise<void> {
    if (this.stopping && !this.running.has(delivery.seq)) throw new HedgehookError('HH_ERR_SHUTTING_DOWN', 'the queue is closed');
    const held = this.running.get(delivery.seq);
    const mine = held !== undefined && held.attempt === delivery.attempt;
    let applied: boolean;
    try {
      applied = await write();
    } catch (err) {
      // The journal could not record it: give the message back for a later attempt.
      if (mine) {
        this.running.delete(delivery.seq);
        this.nak(held.msg, this.options.failureRedeliveryMs ?? 1_000);
      }
      throw err;
    }
    if (!mine) return;
    this.running.delete(delivery.seq);
    if (applied) answer(held.msg);
    else {
      this.count.fenced++;
      this.options.logger.warn({ signalId: delivery.id, attempt: delivery.attempt, op }, 'delivery lost its turn (redelivered elsewhere); its message is left to the current holder');
    }
  }

  private stillWorking(): void {
    for (const h of [...this.buffer, ...this.running.values()]) this.answer(h.msg, 'working', () => h.msg.working());
  }

  private ack(m: JsMsg): void {
    this.count.acked++;
    this.answer(m, 'ack', () => m.ack());
  }

  private nak(m: JsMsg, delayMs: number): void {
    this.count.naked++;
    this.answer(m, 'nak', () => (delayMs > 0 ? m.nak(delayMs) : m.nak()));
  }

  private term(m: JsMsg): void {
    this.count.terminated++;
    this.answer(m, 'term', () => m.term());
  }

  /**
   * An answer that cannot be sent (the connection is down) is not an error of the signal:
   * the journal already holds the truth, and JetStream redelivers after ack wait.
   */
  private answer(m: JsMsg, what: string, send: () => void): void {
    try {
      send();
    } catch (err) {
      this.options.logger.warn({ err, streamSeq: m.seq, answer: what }, 'could not answer JetStream; the message will be redelivered');
    }
  }
}
