/**
 * Several scale-out processes (scale-out-child.ts) on one fresh schema and stream, for the
 * multi-process test and the bench: start, SIGKILL, restart, and post signed webhooks to
 * any of them the way a load balancer would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { TEST_SECRET, signedWebhook } from '../helpers/service-process.ts';
import { NATS_URL, POSTGRES_URL, freshSchema, freshStream, sql } from './scale-out-env.ts';

const CHILD = new URL('./scale-out-child.ts', import.meta.url).pathname;

export interface ChildProcessHandle {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | string>;
}

export interface ClusterOptions {
  partitions?: number;
  ackWaitMs?: number;
  workMs?: number;
}

export type Hook = ReturnType<typeof signedWebhook>;

export class Cluster {
  readonly schema: string;
  readonly stream: string;
  private readonly dropSchema: () => Promise<void>;
  private readonly dropStream: () => Promise<void>;
  private readonly dir = mkdtempSync(join(tmpdir(), 'hh-scale-'));
  readonly members: (ChildProcessHandle | undefined)[] = [];
  private readonly agent = new Agent({ keepAlive: true });
  private probe: pg.Pool | undefined;

  constructor(private readonly options: ClusterOptions = {}) {
    const s = freshSchema();
    const st = freshStream();
    this.schema = s.schema;
    this.stream = st.stream;
    this.dropSchema = s.drop;
    this.dropStream = st.drop;
  }

  /** Creates the schema and the tables the child's stand-in execution writes. */
  async prepare(): Promise<void> {
    await sql('public', `CREATE SCHEMA ${this.schema}`);
    await sql(
      this.schema,
      `CREATE TABLE test_runs (run bigserial PRIMARY KEY, signal_id text NOT NULL, partition_key text NOT NULL, seq bigint NOT NULL, attempt int NOT NULL, pid int NOT NULL);
       CREATE TABLE test_poison (signal_id text PRIMARY KEY);`,
    );
  }

  async start(index: number): Promise<ChildProcessHandle> {
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      HH_PG_URL: POSTGRES_URL,
      HH_NATS_URL: NATS_URL,
      HH_SCHEMA: this.schema,
      HH_STREAM: this.stream,
      HH_PARTITIONS: String(this.options.partitions ?? 8),
      HH_ACK_WAIT_MS: String(this.options.ackWaitMs ?? 2_000),
      HH_WORK_MS: String(this.options.workMs ?? 0),
      HH_DATA_DIR: join(this.dir, `p${index}`),
      HEDGEHOOK_WEBHOOK_SECRET: TEST_SECRET,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`process ${index} did not start:\n${out}`)), 30_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', () => {
        clearTimeout(timer);
        reject(new Error(`process ${index} exited before listening:\n${out}`));
      });
    });
    const handle = { child, url, output: () => out, exited };
    this.members[index] = handle;
    return handle;
  }

  /** SIGKILL: no drain, no ack, no nak; sockets close with the process. */
  async kill(index: number): Promise<void> {
    const m = this.members[index];
    if (!m) return;
    this.members[index] = undefined;
    m.child.kill('SIGKILL');
    await m.exited;
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      this.members.map(async (m, i) => {
        if (!m) return;
        this.members[i] = undefined;
        m.child.kill('SIGTERM');
        const timer = setTimeout(() => m.child.kill('SIGKILL'), 10_000);
        await m.exited;
        clearTimeout(timer);
      }),
    );
  }

  async done(): Promise<void> {
    this.agent.destroy();
    await this.probe?.end();
    this.probe = undefined;
    await this.stopAll();
    await this.dropStream();
    await this.dropSchema();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Posts to member `index`; undefined when it does not answer (dead, or killed mid-request).
   * node:http over keep-alive sockets, not fetch: the bench's sender shares the machine's two
   * cores with the processes it measures, and fetch cost it 1.3–1.8 ms of CPU a request.
   */
  async post(index: number, hook: Hook): Promise<{ status: number; id?: string } | undefined> {
    const m = this.members[index];
    if (!m) return undefined;
    const url = new URL(`${m.url}/webhooks/default`);
    return new Promise((resolve) => {
      const req = request(
        { agent: this.agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...hook.headers, 'content-length': Buffer.byteLength(hook.body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              const body = JSON.parse(Buffer.concat(chunks).toString()) as { id?: string };
              resolve({ status: res.statusCode ?? 0, ...(body.id ? { id: body.id } : {}) });
            } catch {
              resolve(undefined); // not our JSON answer, as fetch's res.json() threw before
            }
          });
          res.on('error', () => resolve(undefined));
        },
      );
      req.on('error', () => resolve(undefined));
      req.end(hook.body);
    });
  }

  /**
   * Signals not yet in a final state (queued, in flight, in the outbox). On one kept
   * connection: callers poll this every few milliseconds, and a connection per call made
   * PostgreSQL start a backend process each time, on the cores the processes under test use.
   */
  async unsettled(): Promise<number> {
    this.probe ??= new pg.Pool({ connectionString: POSTGRES_URL, options: `-c search_path=${this.schema}`, max: 1 });
    const { rows } = await this.probe.query<{ n: number }>(`SELECT count(*)::int AS n FROM signals WHERE state IN ('received', 'processing')`);
    return rows[0]!.n;
  }
}

export function payloadFor(key: string, i: number) {
  return { account: 'main', symbol: `${key}/USDT:USDT`, action: 'open', strength: 0.5, price: 0.24 + i / 10_000, position: { side: 'long', size: 1000 + i, leverage: 5 } };
}
