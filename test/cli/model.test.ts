/** `hedgehook model …`, `halt` and `resume` as a user meets them: real processes, output, exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteJournal } from '../../src/journal/sqlite/index.ts';
import { FITTED } from '../model/model-store-contract.ts';
import { BIN, signedWebhook, startServiceProcess, writeConfig } from '../helpers/service-process.ts';

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, HEDGEHOOK_CONFIG: '', HEDGEHOOK_DATA_DIR: '', ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function userError(r: ReturnType<typeof run>, pattern: RegExp): void {
  assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^hedgehook: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

/** A data dir with an (empty) journal, as a service leaves it. */
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hh-model-'));
  const journal = openSqliteJournal({ path: join(dir, 'journal.db') });
  void journal.close();
  return dir;
}

const SIGNAL = {
  account: 'main',
  symbol: 'TRXUSDT.P',
  action: 'open',
  type: 'breakout',
  strength: 0.8,
  price: 0.2412,
  time: '2026-11-24T01:30:00Z', // a Tuesday, 01:30 UTC: inside the uplift window
  position: { side: 'long', size: 50_000, leverage: 10 },
};

const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;

test('--help works for the model, halt and resume commands', () => {
  for (const args of [['model', '--help'], ['model', 'list', '--help'], ['model', 'show', '--help'], ['model', 'use', '--help'], ['model', 'add', '--help'], ['model', 'explain', '--help'], ['halt', '--help'], ['resume', '--help']]) {
    const r = run(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /Usage: hedgehook/);
  }
});

test('model explain prints exactly {ratio, features, contributions, modelVersion} with the article numbers', () => {
  const r = run(['model', 'explain', '--json', JSON.stringify(SIGNAL), '--context', '{"volatility":0.35,"riskTolerance":0.5,"equity":10000}']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { ratio: number; features: Record<string, number>; contributions: Record<string, number>; modelVersion: string };
  assert.deepEqual(Object.keys(out), ['ratio', 'features', 'contributions', 'modelVersion']);
  assert.deepEqual(Object.keys(out.features), ['positionSize', 'signalStrength', 'volatility', 'riskTolerance', 'timeOfDay']);
  assert.equal(out.modelVersion, 'article-v1');
  // By hand:
  //   exposure     = 50 000 × 0.2412 × 10 / 10 000 = 12.06
  //   positionSize = 1 − 5 / (12.06 + 5) = 12.06 / 17.06 = 0.706916764…   × 0.35 = 0.247420867…
  //   strength 0.8 × 0.25 = 0.2;  volatility 0.35 / 1.0 × 0.20 = 0.07
  //   riskTolerance 1 − 0.5 = 0.5 × 0.15 = 0.075;  timeOfDay (01 UTC) 0.8 × 0.05 = 0.04
  //   sum = 0.632420867…;  Tuesday 01:30 UTC: × 1.2 → ratio 0.758905041…;  uplift term 0.126484173…
  const positionSize = 12.06 / 17.06;
  const sum = 0.35 * positionSize + 0.2 + 0.07 + 0.075 + 0.04;
  assert.ok(close(out.features.positionSize!, positionSize));
  assert.deepEqual({ ...out.features, positionSize: 0 }, { positionSize: 0, signalStrength: 0.8, volatility: 0.35, riskTolerance: 0.5, timeOfDay: 0.8 });
  assert.ok(close(out.contributions.positionSize!, 0.35 * positionSize));
  assert.ok(close(out.contributions.signalStrength!, 0.2));
  assert.ok(close(out.contributions.volatility!, 0.07));
  assert.ok(close(out.contributions.riskTolerance!, 0.075));
  assert.ok(close(out.contributions.timeOfDay!, 0.04));
  assert.ok(close(out.contributions.uplift!, sum * 0.2));
  assert.ok(close(out.ratio, sum * 1.2));
  assert.ok(Math.abs(out.ratio - 0.758905041) < 1e-9);

  // Saturday, same hour: no uplift.
  const weekend = run(['model', 'explain', '--json', JSON.stringify({ ...SIGNAL, time: '2026-11-28T01:30:00Z' }), '--context', '{"volatility":0.35}']);
  const w = JSON.parse(weekend.stdout) as { ratio: number; contributions: Record<string, number> };
  assert.ok(close(w.ratio, sum));
  assert.equal(w.contributions.uplift, 0);
});

test('model explain takes what the context omits from the configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-model-'));
  const config = writeConfig(dir, { account: { riskTolerance: 0.2, equity: 5_000 }, model: { defaultVolatility: 0.5 } });
  const r = run(['model', 'explain', '--config', config, '--json', JSON.stringify(SIGNAL)]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { features: Record<string, number> };
  // exposure = 12 060 × 10 / 5 000 = 24.12 → 1 − 5 / 29.12
  assert.ok(close(out.features.positionSize!, 1 - 5 / 29.12));
  assert.equal(out.features.volatility, 0.5);
  assert.ok(close(out.features.riskTolerance!, 0.8));
  // The context still wins over the configuration.
  const over = JSON.parse(run(['model', 'explain', '--config', config, '--json', JSON.stringify(SIGNAL), '--context', '{"riskTolerance":1}']).stdout) as { features: Record<string, number> };
  assert.equal(over.features.riskTolerance, 0);
});

test('model explain: bad input is one line and exit code 2', () => {
  const json = JSON.stringify(SIGNAL);
  userError(run(['model', 'explain', '--json', '{"symbol":']), /--json: not valid JSON/);
  userError(run(['model', 'explain', '--json', JSON.stringify({ ...SIGNAL, strength: 2 })]), /strength: must be between 0 and 1/);
  userError(run(['model', 'explain', '--json', JSON.stringify({ action: 'open' })]), /symbol/);
  userError(run(['model', 'explain', '--json', json, '--context', '{"volatilty":0.3}']), /volatilty/);
  userError(run(['model', 'explain', '--json', json, '--context', '{"riskTolerance":1.5}']), /context\.riskTolerance/);
  userError(run(['model', 'explain', '--json', json, '--context', 'nope']), /--context: not valid JSON/);
  userError(run(['model', 'explain', '--json', JSON.stringify({ symbol: 'TRXUSDT', action: 'open', position: { side: 'long', size: 5 } })]), /no price/);
  userError(run(['model', 'explain']), /--json/);
  userError(run(['model', 'explain', '--json', json, '--data-dir', join(tmpdir(), 'hh-no-such-dir')]), /no journal/);
});

test('model add, use, show and list on a data dir: a round trip, and roll back', () => {
  const dir = dataDir();
  const file = join(dir, 'fit.json');
  writeFileSync(file, JSON.stringify(FITTED));

  const list0 = run(['model', 'list', '--data-dir', dir]);
  assert.equal(list0.code, 0, list0.stderr);
  assert.match(list0.stdout, /^\* article-v1 /m);

  assert.match(run(['model', 'add', '--file', file, '--data-dir', dir]).stdout, /stored model fit-2026-W47/);
  assert.equal(run(['model', 'add', '--file', file, '--data-dir', dir]).code, 0, 'the same content again is a no-op');
  writeFileSync(file, JSON.stringify({ ...FITTED, weights: { ...FITTED.weights, timeOfDay: 0.5 } }));
  userError(run(['model', 'add', '--file', file, '--data-dir', dir]), /already exists/);
  writeFileSync(file, JSON.stringify({ ...FITTED, version: 'neg', weights: { ...FITTED.weights, timeOfDay: -1 } }));
  userError(run(['model', 'add', '--file', file, '--data-dir', dir]), /weights\.timeOfDay/);

  const use = run(['model', 'use', 'fit-2026-W47', '--by', 'alice', '--reason', 'beat article-v1', '--data-dir', dir]);
  assert.equal(use.code, 0, use.stderr);
  assert.equal(use.stdout, 'active model: fit-2026-W47 (was article-v1)\n');

  const shown = JSON.parse(run(['model', 'show', '--data-dir', dir]).stdout) as { model: { version: string; weights: object }; active: boolean; activations: { by: string; reason?: string }[] };
  assert.equal(shown.model.version, 'fit-2026-W47');
  assert.deepEqual(shown.model.weights, FITTED.weights);
  assert.equal(shown.active, true);
  assert.deepEqual(shown.activations.map((a) => [a.by, a.reason]), [['alice', 'beat article-v1']]);

  const old = JSON.parse(run(['model', 'show', 'article-v1', '--data-dir', dir]).stdout) as { active: boolean };
  assert.equal(old.active, false);
  assert.match(run(['model', 'list', '--data-dir', dir]).stdout, /^\* fit-2026-W47 .* alice /m);

  // Roll back.
  assert.equal(run(['model', 'use', 'article-v1', '--by', 'bob', '--data-dir', dir]).stdout, 'active model: article-v1 (was fit-2026-W47)\n');
  const listed = JSON.parse(run(['model', 'list', '--json', '--data-dir', dir]).stdout) as { active: string; models: { version: string }[]; activations: unknown[] };
  assert.equal(listed.active, 'article-v1');
  assert.deepEqual(listed.models.map((m) => m.version), ['article-v1', 'fit-2026-W47']);
  assert.equal(listed.activations.length, 2);

  // explain with the data dir uses its active model.
  run(['model', 'use', 'fit-2026-W47', '--data-dir', dir]);
  const explained = JSON.parse(run(['model', 'explain', '--json', JSON.stringify(SIGNAL), '--data-dir', dir]).stdout) as { modelVersion: string };
  assert.equal(explained.modelVersion, 'fit-2026-W47');

  userError(run(['model', 'use', 'nope', '--data-dir', dir]), /no model version nope/);
  userError(run(['model', 'show', 'nope', '--data-dir', dir]), /no model version nope/);
  userError(run(['model', 'list', '--data-dir', join(dir, 'missing')]), /no journal at/);
});

test('halt and resume on a data dir', () => {
  const dir = dataDir();
  const halt = run(['halt', '--reason', 'exchange maintenance', '--by', 'ops', '--data-dir', dir]);
  assert.equal(halt.code, 0, halt.stderr);
  assert.equal(halt.stdout, 'halted by ops: exchange maintenance (no new orders until hedgehook resume)\n');
  assert.equal(run(['resume', '--by', 'ops', '--data-dir', dir]).stdout, 'resumed by ops: new orders allowed\n');
  assert.equal(run(['resume', '--data-dir', dir]).stdout, 'not halted; nothing to resume\n');
  userError(run(['halt', '--reason', '', '--data-dir', dir]), /--reason/);
  userError(run(['halt', '--data-dir', join(dir, 'missing')]), /no journal at/);
});

/**
 * GET with one retry on a network error: a keep-alive socket the service closed while the
 * machine was busy (the CLI steps in between take seconds under load) fails the next
 * request on it; a GET is safe to send again.
 */
async function get(url: string): Promise<Response> {
  try {
    return await fetch(url);
  } catch {
    return fetch(url);
  }
}

type SettledView = { state: string; reason: string | null; decision: Record<string, unknown> | null; orders: unknown[] };

async function settled(url: string, id: string): Promise<SettledView> {
  // Polls until the worker settled the signal; the test's own timeout is the only limit.
  for (;;) {
    const view = (await (await get(`${url}/api/signals/${id}`)).json()) as SettledView;
    if (view.state !== 'received' && view.state !== 'processing') return view;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function post(url: string, payload: object): Promise<string> {
  const hook = signedWebhook(payload);
  const res = await fetch(`${url}/webhooks/default`, { method: 'POST', headers: hook.headers, body: hook.body });
  assert.equal(res.status, 202);
  return ((await res.json()) as { id: string }).id;
}

test('halt from the CLI reaches a running service: its next signal is skipped with HH_RISK_HALTED', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-halt-'));
  const config = writeConfig(dir, { logLevel: 'warn' });
  const service = await startServiceProcess({ dataDir: dir, config });
  try {
    const payload = { symbol: 'TRXUSDT.P', action: 'open', strength: 0.8, price: 0.2412, position: { side: 'long', size: 50_000, leverage: 10 } };
    const before = await settled(service.url, await post(service.url, payload));
    assert.equal(before.state, 'hedged', before.reason ?? '');
    const placed = before.orders as { side: string; filled: number; venue: string }[];
    assert.equal(placed[0]!.side, 'sell');
    assert.ok(placed[0]!.filled > 0);
    assert.equal(typeof before.decision?.ratio, 'number');
    assert.ok((before.decision?.targetHedge as number) < 0);
    assert.equal(typeof (before.decision?.contributions as Record<string, number>).positionSize, 'number');

    const halt = run(['halt', '--reason', 'venue maintenance', '--by', 'ops', '--data-dir', dir]);
    assert.equal(halt.code, 0, halt.stderr);
    const during = await settled(service.url, await post(service.url, { ...payload, action: 'update' }));
    assert.equal(during.state, 'skipped');
    assert.match(during.reason!, /^HH_RISK_HALTED: kill switch engaged/);
    assert.equal((await (await get(`${service.url}/api/halt`)).json() as { halted: boolean; reason: string }).reason, 'venue maintenance');

    assert.equal(run(['resume', '--data-dir', dir]).code, 0);
    const after = await settled(service.url, await post(service.url, { ...payload, action: 'update' }));
    assert.doesNotMatch(after.reason ?? '', /HH_RISK_HALTED/, 'resumed: decided on its merits again');
    assert.ok(['hedged', 'skipped'].includes(after.state));

    // `model use` on the running service's data dir, seen by the API.
    writeFileSync(join(dir, 'fit.json'), JSON.stringify(FITTED));
    assert.equal(run(['model', 'add', '--file', join(dir, 'fit.json'), '--data-dir', dir]).code, 0);
    assert.equal(run(['model', 'use', FITTED.version, '--data-dir', dir]).code, 0);
    const models = (await (await get(`${service.url}/api/models`)).json()) as { active: string };
    assert.equal(models.active, FITTED.version);
    const next = await settled(service.url, await post(service.url, { ...payload, action: 'update' }));
    assert.equal(next.decision?.modelVersion, FITTED.version);

    const positions = (await (await get(`${service.url}/api/positions`)).json()) as { positions: { account: string; main: { side: string; size: number } }[] };
    assert.deepEqual(positions.positions.map((p) => [p.account, p.main.side, p.main.size]), [['main', 'long', 50_000]]);
  } finally {
    service.child.kill('SIGTERM');
    assert.equal(await service.exited, 0, service.output());
  }
});

test('serve runs the weekly refit: a run missed while it was down is made up after start and logged, once (a restart finds it done); model.refit.enabled false turns it off', { timeout: 120_000 }, async () => {
  const on = mkdtempSync(join(tmpdir(), 'hh-refit-'));
  const service = await startServiceProcess({ dataDir: on, config: writeConfig(on, { logLevel: 'info', model: { refit: { catchUpDelayMs: 0 } } }) });
  try {
    const line = await waitFor(() => service.output().split('\n').find((l) => l.includes('weekly refit:')));
    // A new journal holds no realised hedge yet: the run says so and proposes nothing.
    assert.match(JSON.parse(line).msg, /^weekly refit: nothing proposed: 0 samples in 8 weeks, at least \d+ in the last 4 are needed$/);
    assert.equal(((await (await get(`${service.url}/api/models`)).json()) as { models: unknown[] }).models.length, 1, 'only the default model');
  } finally {
    service.child.kill('SIGTERM');
    assert.equal(await service.exited, 0, service.output());
  }
  // Restarted, it does not run that week's refit again: the run is recorded in the journal file.
  const restarted = await startServiceProcess({ dataDir: on, config: writeConfig(on, { logLevel: 'info', model: { refit: { catchUpDelayMs: 0 } } }) });
  try {
    const line = await waitFor(() => restarted.output().split('\n').find((l) => l.includes('weekly refit:')));
    assert.match(JSON.parse(line).msg, new RegExp(`^weekly refit: the run of \\S+ was done by [^:]+:${service.child.pid} \\(insufficient\\); the next is at `));
  } finally {
    restarted.child.kill('SIGTERM');
    assert.equal(await restarted.exited, 0, restarted.output());
  }

  const off = mkdtempSync(join(tmpdir(), 'hh-refit-off-'));
  const quiet = await startServiceProcess({ dataDir: off, config: writeConfig(off, { logLevel: 'info', model: { refit: { enabled: false, catchUpDelayMs: 0 } } }) });
  try {
    await post(quiet.url, { symbol: 'TRXUSDT.P', action: 'update', price: 0.2412 });
    await new Promise((r) => setTimeout(r, 1_000));
    assert.doesNotMatch(quiet.output(), /weekly refit/);
  } finally {
    quiet.child.kill('SIGTERM');
    assert.equal(await quiet.exited, 0, quiet.output());
  }
});

async function waitFor<T>(probe: () => T | undefined, limitMs = 30_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() - start > limitMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
