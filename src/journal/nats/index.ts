export { NatsSignalQueue, parseMessage, type NatsSignalQueueOptions, type NatsQueueCounters } from './queue.ts';
export { OutboxRelay, messageBody, type OutboxRelayOptions, type RelayCounters } from './relay.ts';
export { AbandonedSignals, type AbandonedSignalsOptions } from './dead-letters.ts';
export {
  ensureTopology,
  resolveJetStreamSettings,
  partitionOf,
  subjectOf,
  consumerOf,
  deadStreamOf,
  type JetStreamSettings,
  type ResolvedJetStreamSettings,
} from './topology.ts';
export { openJetStreamQueue, type JetStreamQueue, type JetStreamQueueOptions } from './open.ts';
