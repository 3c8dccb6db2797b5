/**
 * The JetStream objects of the queue, created or brought in line at start-up by every
 * process (and by `hedgehook migrate`):
 *
 * - stream `<stream>`, subjects `<prefix>.p.<n>` for n in 0..partitions-1, work-queue
 *   retention (a message is gone once acknowledged or terminated; one left after max
 *   deliveries stays until the dead-letter handler has journaled and removed it),
 *   de-duplication by `Nats-Msg-Id` over `duplicateWindowMs`, `maxAgeMs` as a safety net.
 * - one durable pull consumer per partition, `<stream>_p<n>`, with max_ack_pending = 1:
 *   JetStream itself hands out at most one message of a partition at a time, to whichever
 *   process asks, so per-key order holds across processes without a lease of our own. A
 *   message not acknowledged within ack wait (its process died) goes to another process.
 * - stream `<stream>_DEAD` capturing the consumers' MAX_DELIVERIES advisories, with one
 *   durable consumer shared by all processes: the advisory survives even when no process
 *   listens at the moment JetStream gives up, and is handled once.
 *
 * A key's partition is FNV-1a(key) mod partitions. Changing `partitions` moves keys between
 * partitions, so it is refused while messages are queued (drain first).
 */
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, nanos, type ConsumerConfig, type JetStreamManager, type StreamConfig } from 'nats';
import { HedgehookError } from '../../core/errors.ts';

export interface JetStreamSettings {
  /** Stream name, e.g. HEDGEHOOK (letters, digits, _ and -). */
  stream: string;
  /** Subject prefix (default: the stream name in lower case). */
  subjectPrefix?: string;
  /** Partitions: the parallelism across keys (default 16). */
  partitions?: number;
  /** Redelivery after this long without an ack or a progress heartbeat (default 30 000 ms). */
  ackWaitMs?: number;
  /** Deliveries before JetStream gives up and the signal is dead-lettered (default 10). Keep it above worker.maxAttempts. */
  maxDeliver?: number;
  /** Stream replicas in a cluster: 1, 3 or 5 (default 1). */
  replicas?: number;
  /** Messages older than this are dropped whatever their state (default 7 days). */
  maxAgeMs?: number;
  /** De-duplication window of Nats-Msg-Id (default 2 minutes). */
  duplicateWindowMs?: number;
  storage?: 'file' | 'memory';
}

export type ResolvedJetStreamSettings = Required<JetStreamSettings>;

const NAME = /^[A-Za-z0-9_-]{1,48}$/;
const PREFIX = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;

export function resolveJetStreamSettings(s: JetStreamSettings): ResolvedJetStreamSettings {
  const r: ResolvedJetStreamSettings = {
    stream: s.stream,
    subjectPrefix: s.subjectPrefix ?? s.stream.toLowerCase(),
    partitions: s.partitions ?? 16,
    ackWaitMs: s.ackWaitMs ?? 30_000,
    maxDeliver: s.maxDeliver ?? 10,
    replicas: s.replicas ?? 1,
    maxAgeMs: s.maxAgeMs ?? 7 * 24 * 3600_000,
    duplicateWindowMs: s.duplicateWindowMs ?? 120_000,
    storage: s.storage ?? 'file',
  };
  const problems: string[] = [];
  if (!NAME.test(r.stream)) problems.push(`queue.stream must be 1 to 48 characters of A-Z a-z 0-9 _ - (got "${r.stream}")`);
  if (!PREFIX.test(r.subjectPrefix)) problems.push(`queue.subjectPrefix must be dot-separated lower-case tokens (got "${r.subjectPrefix}")`);
  if (!Number.isInteger(r.partitions) || r.partitions < 1 || r.partitions > 1024) problems.push(`queue.partitions must be 1 to 1024 (got ${r.partitions})`);
  if (!Number.isInteger(r.ackWaitMs) || r.ackWaitMs < 500) problems.push(`queue.ackWaitMs must be ≥ 500 (got ${r.ackWaitMs})`);
  if (!Number.isInteger(r.maxDeliver) || r.maxDeliver < 2) problems.push(`queue.maxDeliver must be ≥ 2 (got ${r.maxDeliver})`);
  if (![1, 3, 5].includes(r.replicas)) problems.push(`queue.replicas must be 1, 3 or 5 (got ${r.replicas})`);
  if (!(r.duplicateWindowMs >= 1000) || !(r.maxAgeMs >= r.duplicateWindowMs)) problems.push('queue.duplicateWindowMs must be ≥ 1000 and ≤ maxAgeMs');
  if (problems.length) throw new HedgehookError('HH_ERR_CONFIG_INVALID', problems.join('; '));
  return r;
}

/** FNV-1a, 32 bits, over the key's UTF-8 bytes: stable across processes, versions and platforms. */
export function partitionOf(partitionKey: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(partitionKey, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}

export function subjectOf(s: ResolvedJetStreamSettings, partition: number): string {
  return `${s.subjectPrefix}.p.${partition}`;
}

export function consumerOf(s: ResolvedJetStreamSettings, partition: number): string {
  return `${s.stream}_p${partition}`;
}

export function deadStreamOf(s: ResolvedJetStreamSettings): string {
  return `${s.stream}_DEAD`;
}

export const DEAD_CONSUMER = 'dead_letters';

function description(s: ResolvedJetStreamSettings): string {
  return `hedgehook signals: ${s.partitions} partitions`;
}

function partitionsIn(text: string | undefined): number | undefined {
  const m = /: (\d+) partitions$/.exec(text ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Creates the streams and consumers, or updates them to these settings. Safe to run from every process at once. */
export async function ensureTopology(jsm: JetStreamManager, s: ResolvedJetStreamSettings): Promise<void> {
  const stream: Partial<StreamConfig> = {
    name: s.stream,
    description: description(s),
    subjects: [`${s.subjectPrefix}.p.*`],
    retention: RetentionPolicy.Workqueue,
    storage: s.storage === 'memory' ? StorageType.Memory : StorageType.File,
    num_replicas: s.replicas,
    max_age: nanos(s.maxAgeMs),
    duplicate_window: nanos(s.duplicateWindowMs),
    discard: DiscardPolicy.Old,
  };
  const existing = await jsm.streams.info(s.stream).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (!existing) {
    await addOrAccept(() => jsm.streams.add(stream));
  } else {
    const before = partitionsIn(existing.config.description);
    if (before !== undefined && before !== s.partitions && existing.state.messages > 0) {
      throw new HedgehookError(
        'HH_ERR_CONFIG_INVALID',
        `queue.partitions changed from ${before} to ${s.partitions} while ${existing.state.messages} messages are queued in ${s.stream}; stop the receivers, let the workers drain the stream, then restart with the new count`,
      );
    }
    await jsm.streams.update(s.stream, { ...existing.config, ...stream });
  }
  for (let p = 0; p < s.partitions; p++) {
    await ensureConsumer(jsm, s.stream, {
      durable_name: consumerOf(s, p),
      filter_subject: subjectOf(s, p),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: 1,
      ack_wait: nanos(s.ackWaitMs),
      max_deliver: s.maxDeliver,
    });
  }
  const dead: Partial<StreamConfig> = {
    name: deadStreamOf(s),
    description: `hedgehook: max-deliveries advisories of ${s.stream}`,
    subjects: [`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${s.stream}.*`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: s.replicas,
    max_age: nanos(s.maxAgeMs),
  };
  const deadInfo = await jsm.streams.info(deadStreamOf(s)).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (!deadInfo) await addOrAccept(() => jsm.streams.add(dead));
  else await jsm.streams.update(deadStreamOf(s), { ...deadInfo.config, ...dead });
  await ensureConsumer(jsm, deadStreamOf(s), {
    durable_name: DEAD_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(30_000),
    max_deliver: -1,
  });
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, config: Partial<ConsumerConfig> & { durable_name: string }): Promise<void> {
  const info = await jsm.consumers.info(stream, config.durable_name).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (!info) {
    await addOrAccept(() => jsm.consumers.add(stream, config));
    return;
  }
  const c = info.config;
  if (c.ack_wait !== config.ack_wait || c.max_deliver !== config.max_deliver || (config.max_ack_pending !== undefined && c.max_ack_pending !== config.max_ack_pending)) {
    const { durable_name: _name, filter_subject: _filter, deliver_policy: _policy, ack_policy: _ack, ...editable } = config;
    await jsm.consumers.update(stream, config.durable_name, editable);
  }
}

/** Two processes creating the same object at once: the loser's "already in use" is fine. */
async function addOrAccept(add: () => Promise<unknown>): Promise<void> {
  try {
    await add();
  } catch (err) {
    if (!/already in use|already exists/i.test(err instanceof Error ? err.message : String(err))) throw err;
  }
}

export function isNotFound(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return /not found/i.test(text);
}
