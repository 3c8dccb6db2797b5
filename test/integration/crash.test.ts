/**
 * The at-least-once promise under a real crash: the service in a child process, hundreds
 * of concurrent signed webhooks, SIGKILL mid-stream, restart on the same data dir.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { signedWebhook, startServiceProcess, writeConfig, type ServiceProcess } from '../helpers/service-process.ts';

const TOTAL = 600;
const CONCURRENCY = 32;
const KILL_AFTER_ACKS = 200;

type Hook = ReturnType<typeof signedWebhook>;

async function post(url: string, hook: Hook): Promise<{ status: number; body: { id?: string; duplicate?: boolean } } | undefined> {
  try {
    const res = await fetch(`${url}/webhooks/default`, { method: 'POST', headers: hook.headers, body: hook.body });
    return { status: res.status, body: (await res.json()) as { id?: string } };
  } catch {
    return undefined; // connection refused or reset: the sender never got an answer
  }
}

/** Sends every hook with bounded concurrency; `onAck` may kill the service mid-stream. */
async function sendAll(url: string, hooks: Hook[], onAck: (hook: Hook, id: string, status: number) => void) {
  let next = 0;
  const unanswered: Hook[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < hooks.length) {
        const hook = hooks[next++]!;
        const res = await post(url, hook);
        if (res && (res.status === 202 || res.status === 200) && res.body.id) onAck(hook, res.body.id, res.status);
        else unanswered.push(hook);
      }
    }),
  );
  return unanswered;
}

async function waitForQuiet(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const depth = /^hedgehook_queue_depth (\d+)/m.exec(text);
    if (depth && depth[1] === '0') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('queue did not drain');
}

function processedCounts(dataDir: string): Map<string, number> {
  const db = new Database(join(dataDir, 'journal.db'), { readonly: true });
  try {
    const rows = db
      .prepare(`SELECT s.id AS id, COUNT(e.seq) AS n FROM signals s
                LEFT JOIN signal_events e ON e.signal_seq = s.seq AND e.type = 'processed'
                GROUP BY s.id`)
      .all() as { id: string; n: number }[];
    return new Map(rows.map((r) => [r.id, r.n]));
  } finally {
    db.close();
  }
}

test('SIGKILL mid-stream: every acknowledged webhook is journaled and processed exactly once', { timeout: 180_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hedgehook-crash-'));
  const config = writeConfig(dataDir, {
    sources: { default: { scheme: 'standard', rateLimit: { burst: 100_000, perSecond: 100_000 } } },
    logLevel: 'warn',
  });
  const hooks = Array.from({ length: TOTAL }, (_, i) =>
    signedWebhook({ symbol: 'TRXUSDT.P', action: 'update', account: `acct${i % 7}`, strength: 0.5, price: 0.2412 }),
  );

  let service: ServiceProcess = await startServiceProcess({ dataDir, config });
  const acked = new Map<string, string>();
  let killed = false;
  const unanswered = await sendAll(service.url, hooks, (hook, id) => {
    acked.set(hook.id, id);
    if (!killed && acked.size >= KILL_AFTER_ACKS) {
      killed = true;
      service.child.kill('SIGKILL');
    }
  });
  assert.equal(killed, true);
  assert.equal(await service.exited, 'SIGKILL');
  assert.ok(acked.size >= KILL_AFTER_ACKS && acked.size < TOTAL, `acked ${acked.size} of ${TOTAL}`);
  assert.ok(unanswered.length > 0, 'the kill must land mid-stream');
  t.diagnostic(`acknowledged before SIGKILL: ${acked.size}; without an answer: ${unanswered.length}`);

  service = await startServiceProcess({ dataDir, config });
  try {
    await waitForQuiet(service.url);
    for (const [, id] of acked) {
      const res = await fetch(`${service.url}/api/signals/${id}`);
      assert.equal(res.status, 200, `acknowledged signal ${id} is missing after the crash`);
      const view = (await res.json()) as { state: string };
      assert.equal(view.state, 'skipped', `signal ${id} was not processed`);
    }
    let counts = processedCounts(dataDir);
    for (const [, id] of acked) assert.equal(counts.get(id), 1, `signal ${id} processed ${counts.get(id)} times`);

    // The sender retries what it never got an answer for; the acknowledged ones come back as duplicates.
    const again = await sendAll(service.url, hooks, () => {});
    assert.equal(again.length, 0);
    let duplicates = 0;
    for (const hook of hooks.slice(0, 50)) {
      const res = await post(service.url, hook);
      assert.ok(res);
      if (res.status === 200 && res.body.duplicate) duplicates++;
      if (acked.has(hook.id)) assert.equal(res.body.id, acked.get(hook.id));
    }
    assert.equal(duplicates, 50);
    await waitForQuiet(service.url);
    counts = processedCounts(dataDir);
    assert.equal(counts.size, TOTAL, 'each webhook is one signal, whatever the retries');
    for (const [id, n] of counts) assert.equal(n, 1, `signal ${id} processed ${n} times`);
  } finally {
    service.child.kill('SIGTERM');
    assert.equal(await service.exited, 0, `graceful shutdown failed:\n${service.output()}`);
  }
});
