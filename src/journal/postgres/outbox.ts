/**
 * The outbox side of the journal, for the relay (src/journal/nats/relay.ts): the rows, a
 * wake-up when any process commits new ones (LISTEN on the channel the outbox trigger
 * NOTIFYs), and the single relay role.
 *
 * One relay at a time, deployment-wide: a session advisory lock on a dedicated connection.
 * One publisher, publishing each key's rows in outbox order, is what keeps a key's messages
 * in the stream in journal order. If the leader dies its connection closes, PostgreSQL
 * releases the lock, and the next process to ask (every `lead()` call, at least once per
 * relay poll) takes over the rows left behind: an orphaned outbox row is always published.
 */
import pg from 'pg';
import { WorkListeners } from '../common.ts';
import type { Outbox, OutboxRow } from '../delivery.ts';
import type { PostgresDatabase } from './database.ts';

export class PostgresOutbox implements Outbox {
  private readonly db: PostgresDatabase;
  private readonly listeners: WorkListeners;
  private readonly lockKey: string;
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client | undefined> | undefined;
  private leader = false;
  private closed = false;

  /** `name` tells relays of different deployments sharing one schema apart (the stream name). */
  constructor(db: PostgresDatabase, name: string) {
    this.db = db;
    this.listeners = new WorkListeners(db.logger);
    this.lockKey = `hedgehook:relay:${db.schema}:${name}`;
  }

  get channel(): string {
    return `hedgehook_outbox_${this.db.schema}`;
  }

  get isLeader(): boolean {
    return this.leader;
  }

  async pending(limit: number): Promise<OutboxRow[]> {
    const rows = await this.db.query<{ id: number; seq: number; signal_id: string; msg_id: string; partition_key: string }>(
      'outbox read failed',
      `SELECT o.id, o.seq, s.id AS signal_id, o.msg_id, o.partition_key FROM outbox o JOIN signals s ON s.seq = o.seq ORDER BY o.id LIMIT $1`,
      [Math.max(1, Math.floor(limit))],
    );
    return rows.map((r) => ({ id: r.id, seq: r.seq, signalId: r.signal_id, msgId: r.msg_id, partitionKey: r.partition_key }));
  }

  async remove(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query('outbox delete failed', 'DELETE FROM outbox WHERE id = ANY($1::bigint[])', [[...ids]]);
  }

  async count(): Promise<number> {
    const rows = await this.db.query<{ n: number }>('outbox read failed', 'SELECT count(*)::int AS n FROM outbox');
    return rows[0]?.n ?? 0;
  }

  onPending(listener: () => void): () => void {
    // LISTEN starts with the first subscriber, so a process that never relays holds no extra connection.
    void this.session();
    return this.listeners.add(listener);
  }

  async lead(): Promise<boolean> {
    if (this.closed) return false;
    const client = await this.session();
    if (!client) return false;
    if (this.leader) return true;
    try {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [this.lockKey]);
      this.leader = rows[0]?.ok === true;
      if (this.leader) this.db.logger.info({ lock: this.lockKey }, 'this process relays the outbox');
    } catch (err) {
      this.db.logger.warn({ err }, 'could not ask for the relay role');
      this.drop(client);
    }
    return this.leader;
  }

  async resign(): Promise<void> {
    const client = this.client;
    if (!client || !this.leader) return;
    this.leader = false;
    try {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [this.lockKey]);
    } catch {
      this.drop(client); // closing the session releases the lock anyway
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.resign();
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  /** The dedicated session (LISTEN and the lock), connected on demand and again after a failure. */
  private session(): Promise<pg.Client | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client(this.db.clientConfig());
      client.on('notification', () => this.listeners.notify());
      client.on('error', (err) => {
        this.db.logger.warn({ err }, 'the outbox session failed; reconnecting on next use');
        this.drop(client);
      });
      client.on('end', () => this.drop(client));
      try {
        await client.connect();
        await client.query(`LISTEN ${this.channel}`);
        if (this.closed) {
          await client.end();
          return undefined;
        }
        this.client = client;
        // Rows may have been committed while no session listened.
        this.listeners.notify();
        return client;
      } catch (err) {
        this.db.logger.warn({ err }, 'cannot open the outbox session');
        await client.end().catch(() => undefined);
        return undefined;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.leader) this.db.logger.warn({}, 'lost the relay role with the outbox session');
    this.leader = false;
    client.end().catch(() => undefined);
  }
}
