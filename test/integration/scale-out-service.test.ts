/**
 * The real service, scaled out: three `hedgehook serve` processes (the whole pipeline —
 * HTTP, journal, worker, decision, router, paper venues) sharing PostgreSQL (journal,
 * outbox, order legs) and NATS JetStream (the queue), hundreds of signed webhooks over six
 * (account, symbol) keys spread over all of them, one process SIGKILLed mid-stream and
 * restarted. What must hold:
 *
 * - every acknowledged signal ends hedged, and the journal holds nothing else;
 * - per key, signals settle in sequence order, whichever process ran them;
 * - no client order id twice in `order_legs`;
 * - the hedge is right: the position changes with every signal, and after each signal the
 *   signed fills of the key's legs add up to that signal's target hedge. Processes take a
 *   key's signals in turn, so this holds only if each process decides from the hedge the
 *   others built (the per-decision reload of the key, src/engine/decision-state.ts): from
 *   its own stale ledger it would hedge again what another process had already hedged.
 *
 * Positions only grow (the hedge only grows, by sells): each process has its own paper
 * venue, so a reduce-only order could be refused by a venue that never saw the position,
 * which a shared exchange account would not do. The shrinking case, over one shared
 * venue, is in test/engine/shared-state.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HedgeDecision } from '../../src/core/decision.ts';
import { BIN, startServiceProcess, signedWebhook, writeConfig, type ServiceProcess } from '../helpers/service-process.ts';
import { NATS_URL, POSTGRES_URL, bothMissing, freshSchema, freshStream, sql } from './scale-out-env.ts';
import { until } from './scale-out-node.ts';

const skip = await bothMissing();

const SYMBOL = 'TRX/USDT:USDT';
const ACCOUNTS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
const PER_KEY = 40;
const PROCESSES = 3;
const KILL_AFTER_ACKS = 90;

/** Long, growing with every signal; no price: the decision prices from the (flat) market feed. */
function payloadFor(account: string, i: number) {
  return { account, symbol: SYMBOL, action: i === 0 ? 'open' : 'add', strength: 0.6, position: { side: 'long', size: 10_000 + 2_000 * i, leverage: 5 } };
}

test('scale-out service: 3 serve processes on PostgreSQL + JetStream, 240 webhooks, one SIGKILLed and restarted: all hedged once, in order per key, each hedge sized from the hedge held', { skip, timeout: 90_000 }, async (t) => {
  const schema = freshSchema();
  const stream = freshStream();
  const dir = mkdtempSync(join(tmpdir(), 'hh-scale-svc-'));
  const config = writeConfig(dir, {
    sources: { default: { scheme: 'standard', rateLimit: { burst: 1_000_000, perSecond: 1_000_000 } } },
    journal: { kind: 'postgres', url: POSTGRES_URL, schema: schema.schema, pool: { max: 4 } },
    queue: { kind: 'nats', url: NATS_URL, stream: stream.stream, partitions: 8, ackWaitMs: 2_000 },
    worker: { concurrency: 4, maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 },
    venues: [{ id: 'primary', kind: 'paper' }],
    // A leg the killed process journaled but its (in-memory) paper venue took with it is
    // found on no venue: after this long it is known never to have reached one.
    routing: { notFoundFinalAfterMs: 500 },
    risk: { maxOrdersPerMinute: 1_000_000, maxSignalAgeMs: 600_000 },
    // Flat prices: every process sees the same market, so decisions do not depend on who decides.
    marketData: { kind: 'simulated', volatility: 0, startPrices: { [SYMBOL]: 0.24 } },
    logLevel: 'warn',
  });
  const members: (ServiceProcess | undefined)[] = [];
  const start = async (i: number) => {
    members[i] = await startServiceProcess({ dataDir: join(dir, `p${i}`), config, timeoutMs: 60_000 });
  };
  try {
    await Promise.all(Array.from({ length: PROCESSES }, (_, i) => start(i)));

    let next = 0;
    /** A load balancer: round-robin; a process that does not answer is skipped. */
    async function deliver(hook: ReturnType<typeof signedWebhook>): Promise<string> {
      for (let tries = 0; tries < 200; tries++) {
        const m = members[next++ % PROCESSES];
        if (!m) continue;
        try {
          const res = await fetch(`${m.url}/webhooks/default`, { method: 'POST', headers: hook.headers, body: hook.body });
          const body = (await res.json()) as { id?: string };
          if ((res.status === 202 || res.status === 200) && body.id) return body.id;
        } catch {
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      throw new Error(`no process accepted ${hook.id}`);
    }

    const acked = new Set<string>();
    let acks = 0;
    let restarted: Promise<void> | undefined;
    const victim = 1;
    await Promise.all(
      ACCOUNTS.map(async (account) => {
        // Like a strategy: the next signal of a key only after the last one was acknowledged.
        for (let i = 0; i < PER_KEY; i++) {
          acked.add(await deliver(signedWebhook(payloadFor(account, i), { id: `msg_${account}_${i}` })));
          if (++acks === KILL_AFTER_ACKS) {
            const m = members[victim]!;
            members[victim] = undefined;
            m.child.kill('SIGKILL');
            await m.exited;
            restarted = start(victim);
          }
        }
      }),
    );
    await restarted;
    assert.equal(acked.size, ACCOUNTS.length * PER_KEY);

    await until('every signal settled', async () => {
      const [row] = await sql<{ n: number }>(schema.schema, `SELECT count(*)::int AS n FROM signals WHERE state IN ('received', 'processing')`);
      return row!.n === 0;
    }, 45_000);

    const signals = await sql<{ id: string; seq: string; state: string; account: string; outcome: string | null }>(
      schema.schema,
      'SELECT id, seq, state, account, outcome FROM signals ORDER BY seq',
    );
    assert.equal(signals.length, acked.size, 'nothing but the acknowledged signals');
    for (const s of signals) {
      assert.ok(acked.has(s.id), `unacknowledged signal ${s.id}`);
      assert.equal(s.state, 'hedged', `${s.id} is ${s.state}: ${s.outcome}`);
    }

    // Per key, the final settle of each signal follows sequence order.
    const settles = await sql<{ id: string; account: string; seq: string }>(
      schema.schema,
      `SELECT s.id, s.account, s.seq FROM signal_events e JOIN signals s ON s.seq = e.signal_seq
       WHERE e.type = 'processed' ORDER BY e.seq`,
    );
    for (const account of ACCOUNTS) {
      const order = settles.filter((x) => x.account === account).map((x) => Number(x.seq));
      assert.equal(order.length, PER_KEY, `${account}: one settle per signal`);
      assert.deepEqual(order, [...order].sort((a, b) => a - b), `${account}: settled in sequence order`);
    }

    const duplicates = await sql(schema.schema, 'SELECT client_order_id FROM order_legs GROUP BY client_order_id HAVING count(*) > 1');
    assert.deepEqual(duplicates, [], 'no client order id twice');

    // The hedge: after each signal, the key's fills add up to that signal's target.
    const legs = await sql<{ signal_id: string; side: string; filled: string }>(schema.schema, 'SELECT signal_id, side, filled FROM order_legs ORDER BY id');
    const filledBy = new Map<string, number>();
    for (const l of legs) filledBy.set(l.signal_id, (filledBy.get(l.signal_id) ?? 0) + (l.side === 'buy' ? 1 : -1) * Number(l.filled));
    let redecided = 0;
    for (const account of ACCOUNTS) {
      let held = 0;
      let last: HedgeDecision | undefined;
      for (const s of signals.filter((x) => x.account === account)) {
        const decision = (JSON.parse(s.outcome!) as { decision: HedgeDecision }).decision;
        const before = held;
        held += filledBy.get(s.id) ?? 0;
        // An attempt the kill cut short left a leg: the final decision started from it.
        if (decision.currentHedge !== before) redecided++;
        assert.equal(held, decision.targetHedge, `${account} ${s.id}: the fills reach the target (from ${before}, decided from ${decision.currentHedge})`);
        last = decision;
      }
      assert.ok(last && held === last.targetHedge && held < 0, `${account}: hedged short ${held}`);
    }
    // The work was spread: every process (the restarted one counts from its restart) settled signals.
    const perProcess: number[] = [];
    for (const m of members) {
      const text = await (await fetch(`${m!.url}/metrics`)).text();
      const hedged = /^hedgehook_signals_processed_total\{state="hedged"\} (\d+)/m.exec(text);
      perProcess.push(Number(hedged?.[1] ?? 0));
    }
    assert.ok(perProcess.filter((n) => n > 0).length >= 2, `signals settled per process: ${perProcess.join(', ')}`);
    t.diagnostic(`${signals.length} signals, ${legs.length} legs; settled per process ${perProcess.join(', ')} (+ the killed one's); ${redecided} decided after an interrupted attempt`);
  } finally {
    await Promise.all(
      members.map(async (m) => {
        if (!m) return;
        m.child.kill('SIGTERM');
        const timer = setTimeout(() => m.child.kill('SIGKILL'), 10_000);
        await m.exited;
        clearTimeout(timer);
      }),
    );
    await stream.drop();
    await schema.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** One `hedgehook` command; resolves with its exit code and output. */
function hedgehook(args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (status) => resolve({ status, out }));
  });
}

test('the commands on a PostgreSQL + NATS configuration: migrate (once), then dlq, halt and resume on the shared database, no data dir', { skip, timeout: 60_000 }, async () => {
  const schema = freshSchema();
  const stream = freshStream();
  const dir = mkdtempSync(join(tmpdir(), 'hh-scale-cli-'));
  const config = writeConfig(dir, {
    journal: { kind: 'postgres', url: POSTGRES_URL, schema: schema.schema, pool: { max: 2 } },
    queue: { kind: 'nats', url: NATS_URL, stream: stream.stream, partitions: 4 },
  });
  try {
    const first = await hedgehook(['migrate', '--config', config]);
    assert.equal(first.status, 0, first.out);
    assert.match(first.out, new RegExp(`postgres schema ${schema.schema}: version 0 → 6 \\(1 journal, 2 models and controls, 3 order legs, 4 key reads, 5 scheduled runs, 6 append function\\)`));
    assert.match(first.out, new RegExp(`jetstream stream ${stream.stream}: 4 partitions`));
    const again = await hedgehook(['migrate', '--config', config]);
    assert.match(again.out, /up to date at version 6/);

    const [dlq, halt] = await Promise.all([hedgehook(['dlq', 'list', '--json', '--config', config]), hedgehook(['halt', '--config', config, '--reason', 'drill', '--by', 'ops'])]);
    assert.equal(dlq.status, 0, dlq.out);
    assert.deepEqual(JSON.parse(dlq.out), []);
    assert.equal(halt.status, 0, halt.out);
    // The kill switch is one row in the shared database: another command (any machine) sees it.
    const [row] = await sql<{ halted: boolean }>(schema.schema, 'SELECT halted FROM controls');
    assert.equal(row?.halted, true);
    const resume = await hedgehook(['resume', '--config', config, '--by', 'ops']);
    assert.match(resume.out, /resumed by ops/);
  } finally {
    await stream.drop();
    await schema.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
