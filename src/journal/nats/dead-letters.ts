/**
 * Signals JetStream gave up on. When a message reached max deliveries without an answer —
 * every process that took it died or stalled past ack wait, again and again (a signal that
 * crashes its process, say) — JetStream stops redelivering it and publishes a
 * MAX_DELIVERIES advisory, which the `<stream>_DEAD` stream keeps. One process (whichever
 * pulls it) looks the message up, dead-letters the signal in the journal (a DLQ entry and
 * the state dead, unless it is final already), removes the message from the work queue and
 * acks the advisory. From there it is an ordinary DLQ entry: listed, replayed in original
 * order from any process.
 *
 * Failures the worker sees itself (retryable errors after worker.maxAttempts, or not
 * retryable at all) never come this way: the worker dead-letters them directly, which is why
 * maxDeliver must stay above worker.maxAttempts.
 */
import { StringCodec, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from 'nats';
import type { DeliveryStates } from '../delivery.ts';
import type { JournalLogger } from '../types.ts';
import { parseMessage } from './queue.ts';
import { DEAD_CONSUMER, deadStreamOf, isNotFound, type ResolvedJetStreamSettings } from './topology.ts';

export interface AbandonedSignalsOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  settings: ResolvedJetStreamSettings;
  states: DeliveryStates;
  logger: JournalLogger;
  now?: () => number;
}

interface MaxDeliveriesAdvisory {
  stream: string;
  consumer: string;
  stream_seq: number;
  deliveries: number;
}

const codec = StringCodec();

export class AbandonedSignals {
  private readonly options: AbandonedSignalsOptions;
  private messages: ConsumerMessages | undefined;
  private readonly handling = new Set<Promise<void>>();
  /** Signals dead-lettered from advisories by this process. */
  deadLettered = 0;

  constructor(options: AbandonedSignalsOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    if (this.messages) return;
    const consumer = await this.options.js.consumers.get(deadStreamOf(this.options.settings), DEAD_CONSUMER);
    this.messages = await consumer.consume({
      max_messages: 8,
      callback: (m) => {
        const task = this.handle(m).finally(() => this.handling.delete(task));
        this.handling.add(task);
      },
    });
  }

  async stop(): Promise<void> {
    const messages = this.messages;
    this.messages = undefined;
    if (messages) await Promise.resolve(messages.close()).catch(() => undefined);
    await Promise.allSettled([...this.handling]);
  }

  private async handle(m: JsMsg): Promise<void> {
    const { settings, jsm, states, logger } = this.options;
    let advisory: MaxDeliveriesAdvisory;
    try {
      advisory = JSON.parse(codec.decode(m.data)) as MaxDeliveriesAdvisory;
    } catch {
      logger.error({ subject: m.subject }, 'unreadable max-deliveries advisory dropped');
      m.term();
      return;
    }
    try {
      let stored;
      try {
        stored = await jsm.streams.getMessage(settings.stream, { seq: advisory.stream_seq });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // Gone already: handled by another process before its ack got through, or aged out.
        logger.warn({ streamSeq: advisory.stream_seq }, 'max-deliveries advisory for a message no longer in the stream');
        m.ack();
        return;
      }
      const ref = parseMessage(stored.data);
      if (ref) {
        const reason = `JetStream gave up after ${advisory.deliveries} deliveries without an outcome: the processes that took it died or stalled past ack wait`;
        const wrote = await states.deadLetterAbandoned(
          ref,
          reason,
          { code: 'HH_ERR_PROCESSING_FAILED', message: `no outcome after ${advisory.deliveries} deliveries`, retryable: true },
          (this.options.now ?? Date.now)(),
        );
        if (wrote) {
          this.deadLettered++;
          logger.error({ signalId: ref.id, deliveries: advisory.deliveries }, 'signal dead-lettered: JetStream max deliveries reached');
        }
      }
      await jsm.streams.deleteMessage(settings.stream, advisory.stream_seq, false).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
      m.ack();
    } catch (err) {
      logger.warn({ err, streamSeq: advisory.stream_seq }, 'could not dead-letter an abandoned signal yet; retrying');
      m.nak(5_000);
    }
  }
}
