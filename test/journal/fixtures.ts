/** Signals, adapters and helpers shared by the journal and engine tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Action, IncomingSignal } from '../../src/core/signal.ts';
import { MemoryJournal } from '../../src/journal/memory.ts';
import { SqliteJournal, openSqliteJournal } from '../../src/journal/sqlite/index.ts';
import type { JournalStore } from '../../src/journal/types.ts';

export interface SignalSpec {
  n: number;
  key?: string;
  account?: string;
  source?: string;
  dedupKey?: string;
  action?: Action;
  receivedAt?: number;
}

/** A valid incoming signal; the id is derived from (source, dedupKey) as ingest does. */
export function makeSignal(spec: SignalSpec | number): IncomingSignal {
  const s = typeof spec === 'number' ? { n: spec } : spec;
  const source = s.source ?? 'default';
  const dedupKey = s.dedupKey ?? `msg_${s.n}`;
  const account = s.account ?? 'main';
  const symbol = s.key ?? 'TRX/USDT:USDT';
  const payload = { account, symbol, action: s.action ?? ('open' as Action), strength: 0.5, price: 0.24 + s.n / 10_000, time: 1_700_000_000_000 + s.n };
  return {
    id: `sig_${source}_${dedupKey}`,
    source,
    dedupKey,
    receivedAt: s.receivedAt ?? 1_700_000_000_000 + s.n,
    remoteAddr: '203.0.113.7',
    headers: { 'content-type': 'application/json', 'webhook-id': dedupKey },
    body: JSON.stringify(payload),
    payload,
    partitionKey: `${account}|${symbol}`,
  };
}

export const retryable = { code: 'HH_ERR_PROCESSING_FAILED', message: 'venue timed out', retryable: true };

/** One adapter under test, with what only a test may do to it. */
export interface Harness {
  journal: JournalStore;
  /** Makes every write fail like a full or read-only disk; returns the cure. */
  breakWrites(): () => void;
  /** SQLite only: a second, independent instance on the same file (another process, or after a crash). */
  reopen?(): SqliteJournal;
  path?: string;
  cleanup(): Promise<void>;
}

export interface Adapter {
  name: string;
  open(): Harness;
}

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'hedgehook-journal-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const FAIL_TABLES = ['signals', 'queue', 'signal_events', 'dead_letters', 'rejections', 'meta'];

/**
 * Installs triggers, from another connection, that make writes to the journal fail as a
 * failing disk does, taking the whole transaction down (RAISE(ROLLBACK)): every write, or
 * (with `signalsWhere`) only inserts of the signals matching that condition.
 */
export function breakSqlite(path: string, signalsWhere?: string): () => void {
  const db = new Database(path);
  const names: string[] = [];
  const fail = (name: string, op: string, table: string, cond: string) => {
    db.exec(`CREATE TRIGGER ${name} BEFORE ${op} ON ${table} WHEN ${cond} BEGIN SELECT RAISE(ROLLBACK, 'simulated disk failure'); END`);
    names.push(name);
  };
  if (signalsWhere !== undefined) {
    fail('test_fail_some_signals', 'INSERT', 'signals', signalsWhere);
  } else {
    for (const table of FAIL_TABLES) for (const op of ['INSERT', 'UPDATE', 'DELETE']) fail(`test_fail_${table}_${op.toLowerCase()}`, op, table, '1');
  }
  db.close();
  return () => {
    const heal = new Database(path);
    for (const name of names) heal.exec(`DROP TRIGGER IF EXISTS ${name}`);
    heal.close();
  };
}

export const memoryAdapter: Adapter = {
  name: 'memory',
  open() {
    const journal = new MemoryJournal();
    return {
      journal,
      breakWrites() {
        journal.setFailure(new Error('simulated disk failure'));
        return () => journal.setFailure(undefined);
      },
      async cleanup() {
        await journal.close();
      },
    };
  },
};

export const sqliteAdapter: Adapter = {
  name: 'sqlite',
  open() {
    const tmp = tempDir();
    const path = join(tmp.dir, 'journal.db');
    const journal = openSqliteJournal({ path });
    const others: SqliteJournal[] = [];
    return {
      journal,
      path,
      breakWrites: () => breakSqlite(path),
      reopen() {
        const j = openSqliteJournal({ path });
        others.push(j);
        return j;
      },
      async cleanup() {
        await journal.close();
        for (const j of others) await j.close();
        tmp.remove();
      },
    };
  },
};

export const ADAPTERS: Adapter[] = [memoryAdapter, sqliteAdapter];

/** Lets pending group commits (setImmediate) and their promise callbacks run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
