/**
 * One process's part of the JetStream queue: the connection, the topology made sure of,
 * the relay of the outbox, the consumer side (the SignalQueue the worker uses) and the
 * handler of abandoned signals. A process may relay and not consume (a receiver-only
 * process) or both (the default).
 */
import { connect, type NatsConnection } from 'nats';
import { HedgehookError } from '../../core/errors.ts';
import type { DeliveryStates, Outbox } from '../delivery.ts';
import type { JournalLogger } from '../types.ts';
import { AbandonedSignals } from './dead-letters.ts';
import { NatsSignalQueue } from './queue.ts';
import { OutboxRelay } from './relay.ts';
import { ensureTopology, partitionOf, resolveJetStreamSettings, subjectOf, type JetStreamSettings, type ResolvedJetStreamSettings } from './topology.ts';

export interface JetStreamQueueOptions {
  /** nats://host:port, or several for a cluster. */
  url: string | string[];
  settings: JetStreamSettings;
  states: DeliveryStates;
  outbox: Outbox;
  logger: JournalLogger;
  /** Pull signals and hand them to this process's worker (default true). */
  consume?: boolean;
  /** Connection name shown by the NATS server (default "hedgehook"). */
  name?: string;
  /** Relay tuning (see OutboxRelay). */
  relayPollMs?: number;
}

export interface JetStreamQueue {
  settings: ResolvedJetStreamSettings;
  connection: NatsConnection;
  queue: NatsSignalQueue;
  relay: OutboxRelay;
  abandoned: AbandonedSignals;
  /** Starts relaying and (when consuming) pulling. */
  start(): Promise<void>;
  /** Stops pulling (held messages go back to JetStream), publishes what the outbox holds, drains the connection. */
  close(): Promise<void>;
}

export async function openJetStreamQueue(options: JetStreamQueueOptions): Promise<JetStreamQueue> {
  const settings = resolveJetStreamSettings(options.settings);
  let connection: NatsConnection;
  try {
    connection = await connect({
      servers: options.url,
      name: options.name ?? 'hedgehook',
      // A NATS restart must not take the service down: reconnect for ever; the outbox
      // keeps what could not be published meanwhile.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
  } catch (err) {
    throw new HedgehookError('HH_ERR_JOURNAL_UNAVAILABLE', `cannot connect to NATS at ${redactUrls(options.url)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  try {
    const jsm = await connection.jetstreamManager();
    await ensureTopology(jsm, settings);
    const js = connection.jetstream();
    const queue = new NatsSignalQueue({ js, settings, states: options.states, logger: options.logger });
    const relay = new OutboxRelay({
      outbox: options.outbox,
      js,
      subjectOf: (key) => subjectOf(settings, partitionOf(key, settings.partitions)),
      logger: options.logger,
      ...(options.relayPollMs === undefined ? {} : { pollMs: options.relayPollMs }),
    });
    const abandoned = new AbandonedSignals({ js, jsm, settings, states: options.states, logger: options.logger });
    const consume = options.consume ?? true;
    let closing: Promise<void> | undefined;
    // The connection ends for good only when closed (reconnects are unlimited): stop the
    // consumers then, or their heartbeat monitors would keep polling a dead connection.
    void connection.closed().then(() => Promise.allSettled([queue.close(), abandoned.stop(), relay.stop()]));
    return {
      settings,
      connection,
      queue,
      relay,
      abandoned,
      async start() {
        relay.start();
        if (consume) {
          await queue.start();
          await abandoned.start();
        }
      },
      close() {
        closing ??= (async () => {
          await queue.close();
          await abandoned.stop();
          await relay.stop();
          await connection.drain().catch(() => connection.close());
        })();
        return closing;
      },
    };
  } catch (err) {
    await connection.close().catch(() => undefined);
    if (err instanceof HedgehookError) throw err;
    throw new HedgehookError('HH_ERR_JOURNAL_UNAVAILABLE', `cannot set up the JetStream queue: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
}

/** Server URLs without any user:password part, for messages. */
function redactUrls(url: string | string[]): string {
  return (Array.isArray(url) ? url : [url]).map((u) => u.replace(/\/\/[^@/]*@/, '//')).join(', ');
}
