/**
 * The soak run: the plan's windows one after the other on one data dir and one port,
 * the sender firing at a fixed rate throughout (including while the service is down),
 * then, once every webhook is acknowledged and the queue is empty, the reconciliation.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { seededRandom } from '../../src/core/random.ts';
import { generateWebhookSecret } from '../../src/cli/secrets.ts';
import { describeWindow, makePlan, windowConfig, type Window } from './plan.ts';
import { reconcile, type ReconcileTally, type Violation } from './reconcile.ts';
import { Sender, type Hook, type SenderStats } from './sender.ts';
import { freePort, startService, type SoakService } from './service.ts';
import { AccountStrategy, PriceWalk } from './workload.ts';

export interface SoakOptions {
  seconds: number;
  /** Webhooks per second across all keys. */
  rate: number;
  kills: number;
  accounts: number;
  seed: number;
  dataDir?: string;
  /** Progress lines (the CLI prints them; the test collects them). */
  log?: (line: string) => void;
}

/** What the journal showed right after a SIGKILL, before the restart. */
export interface KillRecord {
  atS: number;
  window: number;
  acknowledgedSoFar: number;
  signalsProcessing: number;
  legsInFlight: number;
  queueDepth: number;
}

export interface SoakReport {
  options: Omit<SoakOptions, 'log'>;
  dataDir: string;
  elapsedS: number;
  windows: string[];
  starts: number;
  kills: KillRecord[];
  gracefulStops: number;
  /** Exit codes of graceful stops that were not 0, and exits nobody asked for. */
  badExits: string[];
  errorLogLines: number;
  /** The services' error-level log messages, by message. */
  errorMessages: Record<string, number>;
  sent: number;
  acknowledged: { accepted: number; duplicate: number };
  sender: SenderStats;
  /** Seconds from the end of the load until every webhook was acknowledged and worked. */
  drainS: number;
  /** Absent only when the run failed before the reconciliation. */
  tally?: ReconcileTally;
  violations: Violation[];
  /** Every webhook as the sender recorded it (left out of the JSON report: it is large). */
  hooks: Hook[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function journalSnapshot(dataDir: string): { processing: number; legs: number; queue: number } {
  const db = new Database(join(dataDir, 'journal.db'), { readonly: true, fileMustExist: true });
  try {
    const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      processing: n("SELECT COUNT(*) AS n FROM signals WHERE state = 'processing'"),
      // Unsettled legs of signals still being worked (a dead-lettered signal's stay unsettled).
      legs: n(`SELECT COUNT(*) AS n FROM order_legs l JOIN signals s ON s.id = l.signal_id
               WHERE l.status IN ('pending', 'unknown', 'open') AND s.state <> 'dead'`),
      queue: n('SELECT COUNT(*) AS n FROM queue'),
    };
  } finally {
    db.close();
  }
}

async function waitForEmptyQueue(dataDir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { queue } = journalSnapshot(dataDir);
    if (queue === 0) return;
    if (Date.now() > deadline) throw new Error(`the queue still holds ${queue} signals after ${timeoutMs} ms`);
    await sleep(200);
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {});
  const random = seededRandom(options.seed);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hedgehook-soak-'));
  const plan: Window[] = makePlan({ seconds: options.seconds, kills: options.kills, random: seededRandom(options.seed ^ 0x5eed) });
  const secret = generateWebhookSecret();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const startedAt = Date.now();
  const elapsedS = () => (Date.now() - startedAt) / 1000;
  const sender = new Sender({ url: () => url, secret, startedAt, resendRate: 0.03, random: seededRandom(options.seed ^ 0xd0b1e) });

  const accounts = Array.from({ length: options.accounts }, (_, i) => new AccountStrategy(`soak${i}`, seededRandom(options.seed + 1000 + i)));
  const prices = new PriceWalk(seededRandom(options.seed ^ 0x9e3779b9));
  const report: SoakReport = {
    options: { seconds: options.seconds, rate: options.rate, kills: options.kills, accounts: options.accounts, seed: options.seed },
    dataDir,
    elapsedS: 0,
    windows: plan.map(describeWindow),
    starts: 0,
    kills: [],
    gracefulStops: 0,
    badExits: [],
    errorLogLines: 0,
    errorMessages: {},
    sent: 0,
    acknowledged: { accepted: 0, duplicate: 0 },
    sender: sender.stats,
    drainS: 0,
    violations: [],
    hooks: sender.hooks,
  };

  // The load: a fixed schedule, one webhook every 1/rate s, whatever the service is doing.
  let loadDone = false;
  const load = (async () => {
    const interval = 1000 / options.rate;
    for (let n = 0; ; n++) {
      const due = startedAt + n * interval;
      if (due > startedAt + options.seconds * 1000) break;
      await sleep(due - Date.now());
      const strategy = accounts[Math.floor(random() * accounts.length)]!;
      sender.enqueue(strategy.account, strategy.next(prices.next(), Date.now()));
    }
    loadDone = true;
  })();

  let service: SoakService | undefined;
  const countErrors = (s: SoakService) => {
    for (const line of s.errorLines()) {
      report.errorLogLines++;
      let msg = 'unparsable';
      try {
        msg = String((JSON.parse(line) as { msg?: unknown }).msg);
      } catch {
        // counted as unparsable
      }
      report.errorMessages[msg] = (report.errorMessages[msg] ?? 0) + 1;
    }
  };
  // Waiting on the sender or the queue would never end once the service is gone.
  let died: (err: Error) => void = () => {};
  const death = new Promise<never>((_, reject) => (died = reject));
  death.catch(() => {});
  const unlessDead = <T>(p: Promise<T>) => Promise.race([p, death]);
  const start = async (window: Window) => {
    const config = join(dataDir, `soak-config-${window.index}.json`);
    writeFileSync(config, JSON.stringify(windowConfig(window)));
    service = await startService({ dataDir, config, port, secret });
    report.starts++;
    log(`[${elapsedS().toFixed(1)} s] started (pid ${service.pid}) ${describeWindow(window)}`);
    const mine = service;
    // A service that dies on its own is a finding; our own kills and stops are awaited below.
    void mine.exited.then((how) => {
      if (mine.child.killed) return;
      const what = `pid ${mine.pid} exited by itself (${how}) in window ${window.index}:\n${mine.tail()}`;
      report.badExits.push(what);
      log(`[${elapsedS().toFixed(1)} s] ${what}`);
      died(new Error(what));
    });
  };

  try {
    for (const window of plan) {
      await start(window);
      if (window.end === 'last') break;
      await unlessDead(sleep(startedAt + window.endS * 1000 - Date.now()));
      const current = service!;
      countErrors(current);
      if (window.end === 'kill') {
        current.child.kill('SIGKILL');
        await current.exited;
        const snap = journalSnapshot(dataDir);
        const acked = sender.hooks.filter((h) => h.signalId !== undefined).length;
        report.kills.push({ atS: elapsedS(), window: window.index, acknowledgedSoFar: acked, signalsProcessing: snap.processing, legsInFlight: snap.legs, queueDepth: snap.queue });
        log(`[${elapsedS().toFixed(1)} s] SIGKILL #${report.kills.length}: ${snap.processing} signals processing, ${snap.legs} order legs in flight, queue ${snap.queue}`);
        // Down for a moment, as a supervisor's restart delay would be.
        await sleep(200 + random() * 800);
      } else {
        current.child.kill('SIGTERM');
        const how = await current.exited;
        report.gracefulStops++;
        if (how !== 0) report.badExits.push(`graceful stop of pid ${current.pid} exited ${how}:\n${current.tail()}`);
      }
    }

    await load;
    if (!loadDone) throw new Error('load stopped early');
    const loadEnd = Date.now();
    log(`[${elapsedS().toFixed(1)} s] load done: ${sender.hooks.length} sent, ${sender.backlog()} waiting for an answer`);
    await unlessDead(sender.drained());
    // Retries of the last signals wait out their back-off (at most 6 attempts of ≤ 2 s).
    await unlessDead(waitForEmptyQueue(dataDir, 180_000));
    report.drainS = (Date.now() - loadEnd) / 1000;
    log(`[${elapsedS().toFixed(1)} s] drained in ${report.drainS.toFixed(1)} s; reconciling`);

    const result = await reconcile({ dataDir, url, hooks: sender.hooks });
    report.tally = result.tally;
    report.violations.push(...result.violations);
  } finally {
    if (service && service.child.exitCode === null && service.child.signalCode === null) {
      countErrors(service);
      service.child.kill('SIGTERM');
      const how = await service.exited;
      report.gracefulStops++;
      if (how !== 0) report.badExits.push(`final graceful stop of pid ${service.pid} exited ${how}:\n${service.tail()}`);
    }
  }

  report.elapsedS = elapsedS();
  report.sent = sender.hooks.length;
  for (const h of sender.hooks) {
    if (h.ackStatus === 202) report.acknowledged.accepted++;
    else if (h.ackStatus === 200) report.acknowledged.duplicate++;
  }
  for (const r of sender.stats.refused) report.violations.push({ check: 'refused', detail: `webhook #${r.hook} answered ${r.status}: ${r.body}` });
  for (const r of sender.stats.resendMismatches) report.violations.push({ check: 'duplicate', detail: `resent webhook #${r.hook} answered ${r.status}: ${r.body}` });
  for (const b of report.badExits) report.violations.push({ check: 'exit', detail: b });
  if (report.kills.length < options.kills) report.violations.push({ check: 'kills', detail: `${report.kills.length} kills of ${options.kills} planned` });
  return report;
}
