/**
 * One PostgreSQL database (and schema) shared by every hedgehook process of a deployment:
 * a connection pool whose sessions all use the configured schema, the schema brought to the
 * latest version before anything else touches it, and the mapping of driver failures onto
 * HH_ERR_JOURNAL_UNAVAILABLE (retryable), so callers see the same errors as with SQLite.
 *
 * BIGINT columns (sequence numbers, epoch milliseconds) are read as JS numbers: every value
 * we store stays far below 2^53, and the ports speak numbers.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { HedgehookError } from '../../core/errors.ts';
import { unavailable } from '../common.ts';
import { silentLogger, type JournalLogger } from '../types.ts';

export interface PostgresPoolSettings {
  /** Connections per process (default 10). Size it so that processes × max stays under max_connections. */
  max?: number;
  /** An idle connection is closed after this long (default 30 000 ms). */
  idleTimeoutMs?: number;
  /** Waiting for a free connection or a new one fails after this long (default 5 000 ms): a 503, not a hang. */
  connectionTimeoutMs?: number;
  /** Server-side statement_timeout per session (default 15 000 ms; 0 = none). */
  statementTimeoutMs?: number;
}

/** What a transaction's callback queries through: the pool client, statements named as the pool's are. */
export interface TransactionClient {
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface PostgresSettings {
  /** postgres://user@host:port/database */
  url: string;
  /** The schema holding hedgehook's tables (default "hedgehook"); created when missing. */
  schema?: string;
  pool?: PostgresPoolSettings;
  /** Shown in pg_stat_activity (default "hedgehook"). */
  applicationName?: string;
  logger?: JournalLogger;
}

export const DEFAULT_SCHEMA = 'hedgehook';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,45}$/;

export function assertSchemaName(schema: string): void {
  // Interpolated into DDL, a LISTEN channel and search_path: only plain lower-case identifiers.
  if (!SCHEMA_NAME.test(schema)) {
    throw new HedgehookError('HH_ERR_CONFIG_INVALID', `journal.schema must be 1 to 46 characters of a-z, 0-9 and _, not starting with a digit (got "${schema}")`);
  }
}

const NUMBER_TYPES: Record<number, (v: string) => unknown> = { 20: Number };
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    NUMBER_TYPES[oid] ?? pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * A statement with parameters becomes a named prepared statement: PostgreSQL then parses and
 * plans it once per connection instead of on every call (about a quarter of its CPU per
 * signal in the scale-out bench). Every SQL text here is built from fixed fragments (values
 * always travel as parameters), so the set of names is small and fixed. The name is a hash
 * of the text, so two texts never share one (pg refuses that). Prepared statements live in
 * the server session, which is why a pooler in front must run in session mode (README).
 */
const statementNames = new Map<string, string>();
function prepared(sql: string, params: unknown[]): pg.QueryConfig {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `hh_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return { name, text: sql, values: params };
}

export class PostgresDatabase {
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly settings: Readonly<PostgresSettings>;
  readonly logger: JournalLogger;
  private closed = false;

  constructor(settings: PostgresSettings) {
    this.settings = settings;
    this.schema = settings.schema ?? DEFAULT_SCHEMA;
    assertSchemaName(this.schema);
    this.logger = settings.logger ?? silentLogger;
    this.pool = new pg.Pool({ ...this.clientConfig(), max: settings.pool?.max ?? 10, idleTimeoutMillis: settings.pool?.idleTimeoutMs ?? 30_000 });
    // An idle client losing its connection (server restart) emits here; without a
    // listener that would crash the process. The next query gets a fresh connection.
    this.pool.on('error', (err) => this.logger.warn({ err }, 'an idle PostgreSQL connection failed'));
  }

  /** What a dedicated client (LISTEN, the relay lock) connects with: the same server, schema and timeouts. */
  clientConfig(): pg.ClientConfig {
    const s = this.settings;
    const statementTimeout = s.pool?.statementTimeoutMs ?? 15_000;
    return {
      connectionString: s.url,
      application_name: s.applicationName ?? 'hedgehook',
      connectionTimeoutMillis: s.pool?.connectionTimeoutMs ?? 5_000,
      options: `-c search_path=${this.schema} -c statement_timeout=${Math.max(0, Math.floor(statementTimeout))}`,
      types,
    };
  }

  /** Runs `fn` in one transaction on one connection; COMMIT when it returns, ROLLBACK when it throws. */
  async transaction<T>(what: string, fn: (client: TransactionClient) => Promise<T>): Promise<T> {
    if (this.closed) throw unavailable('the journal database is closed');
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw unavailable(`${what}: no database connection`, err);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn({ query: <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => client.query<R>(this.statement(sql, params)) });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection itself failed: do not hand it out again
      }
      throw asJournalError(what, err);
    } finally {
      client.release(broken);
    }
  }

  async query<R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[] = []): Promise<R[]> {
    if (this.closed) throw unavailable('the journal database is closed');
    try {
      return (await this.pool.query<R>(this.statement(sql, params))).rows;
    } catch (err) {
      throw asJournalError(what, err);
    }
  }

  /** Without parameters the simple protocol stays (one message: BEGIN, DDL, LISTEN). */
  private statement(sql: string, params: unknown[]): pg.QueryConfig {
    return params.length > 0 ? prepared(sql, params) : { text: sql, values: params };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** Our own errors pass through; anything from the driver or the server is "journal unavailable". */
export function asJournalError(what: string, err: unknown): HedgehookError {
  if (err instanceof HedgehookError) return err;
  return unavailable(what, err);
}
