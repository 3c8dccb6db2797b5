/**
 * `hedgehook backtest` and `hedgehook model fit` as a user runs them: a real process on the
 * shared TRX data (test/support/env.ts), its output, its files and its exit code.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleDataMissing, sampleFile } from '../support/env.ts';

const BIN = new URL('../../bin/hedgehook.js', import.meta.url).pathname;
const HOURLY = 'trxusdt-perp-1h-20250501-20251231.csv';
const HOURLY_FUNDING = 'trxusdt-perp-funding-20250501-20251231.csv';
const MINUTE = 'trxusdt-perp-1m-20230703-20230817.csv';
const MINUTE_FUNDING = 'trxusdt-perp-funding-20230704-20230817.csv';
const SPOT = 'trxusdt-spot-5m-20240101-20240907.csv';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CONTRACT_KEYS = ['name', 'positions', 'liquidations', 'liquidationRate', 'hedgeCost', 'fees', 'funding', 'slippage', 'netPnl', 'maxDrawdown'];

describe('hedgehook backtest on the shared data', { skip: sampleDataMissing(HOURLY) }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-bt-'));

  it('writes the contract JSON, a self-contained HTML report and the table; byte-identical when run again', () => {
    const args = ['backtest', '--prices', sampleFile(HOURLY), '--funding', sampleFile(HOURLY_FUNDING), '--deterministic'];
    const a = run([...args, '--json', join(dir, 'a.json'), '--html', join(dir, 'a.html')]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stderr, '', 'no progress bar when stderr is not a terminal');
    const lines = a.stdout.split('\n');
    assert.match(lines[0]!, /^STRATEGY\s+POSITIONS\s+LIQ/);
    assert.deepEqual(lines.slice(1, 5).map((l) => l.split(/\s+/)[0]), ['none', 'static:0.5', 'static:1', 'model']);
    const json = readFileSync(join(dir, 'a.json'), 'utf8');
    const report = JSON.parse(json);
    assert.deepEqual(Object.keys(report).slice(0, 3), ['events', 'elapsedMs', 'strategies']);
    assert.equal(report.elapsedMs, 0);
    assert.equal(report.events, (5880 + report.run.signals.count) * 4);
    for (const s of report.strategies) {
      assert.deepEqual(Object.keys(s).slice(0, CONTRACT_KEYS.length), CONTRACT_KEYS);
      assert.ok(s.positions > 0 && Number.isFinite(s.netPnl));
      assert.ok(Array.isArray(s.bySignalType) && s.bySignalType.length > 0);
    }
    assert.equal(report.strategies[0].hedgeCost, 0, 'none never hedges');
    assert.ok(report.strategies[2].hedgeCost > report.strategies[1].hedgeCost, 'a full hedge costs more than half of one');
    assert.equal(report.run.placement, 'same-account');
    assert.equal(report.run.funding, HOURLY_FUNDING);
    const html = readFileSync(join(dir, 'a.html'), 'utf8');
    assert.match(html, /<svg/);
    assert.match(html, /Hedge ratio/);
    assert.match(html, /Cost breakdown/);
    assert.doesNotMatch(html, /<script|https?:\/\//, 'no script and no network');

    const b = run([...args, '--json', join(dir, 'b.json')]);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(readFileSync(join(dir, 'b.json'), 'utf8'), json);
    assert.equal(b.stdout, a.stdout);
  });

  it('reads Binance\'s 12-column kline dump like the shared format: the same report', () => {
    const rows = readFileSync(sampleFile(HOURLY), 'utf8').trim().split('\n').slice(1);
    const klines = rows.map((r) => {
      const [t, o, h, l, c, v] = r.split(',');
      return [t, o, h, l, c, v, Number(t) + 3_599_999, '0', '1', '0', '0', '0'].join(',');
    });
    writeFileSync(join(dir, 'klines.csv'), klines.join('\n') + '\n');
    const base = ['backtest', '--funding', sampleFile(HOURLY_FUNDING), '--strategy', 'none,model', '--deterministic'];
    assert.equal(run([...base, '--prices', sampleFile(HOURLY), '--json', join(dir, 'ohlcv.json')]).code, 0);
    const k = run([...base, '--prices', join(dir, 'klines.csv'), '--json', join(dir, 'klines.json')]);
    assert.equal(k.code, 0, k.stderr);
    const strip = (file: string) => JSON.stringify(JSON.parse(readFileSync(join(dir, file), 'utf8')).strategies);
    assert.equal(strip('klines.json'), strip('ohlcv.json'));
  });

  it('replays the 1-minute perpetual and the 5-minute spot files', { skip: sampleDataMissing(MINUTE) || sampleDataMissing(SPOT) }, () => {
    for (const [prices, extra] of [[MINUTE, ['--funding', sampleFile(MINUTE_FUNDING)]], [SPOT, []]] as const) {
      const r = run(['backtest', '--prices', sampleFile(prices), ...extra, '--strategy', 'none', '--json', join(dir, `${prices}.json`)]);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(readFileSync(join(dir, `${prices}.json`), 'utf8'));
      assert.equal(report.strategies.length, 1);
      assert.ok(report.strategies[0].positions > 10, prices);
      assert.ok(report.elapsedMs > 0);
    }
  });

  it('replays a signal file, and the reference bot\'s signals written out replay the same', () => {
    const signals = join(dir, 'signals.jsonl');
    const a = run(['backtest', '--prices', sampleFile(HOURLY), '--strategy', 'static:0.5', '--deterministic', '--write-signals', signals, '--json', join(dir, 'ref.json')]);
    assert.equal(a.code, 0, a.stderr);
    const first = JSON.parse(readFileSync(signals, 'utf8').split('\n')[0]!);
    assert.equal(typeof first.time, 'string');
    const b = run(['backtest', '--prices', sampleFile(HOURLY), '--strategy', 'static:0.5', '--deterministic', '--signals', signals, '--json', join(dir, 'file.json')]);
    assert.equal(b.code, 0, b.stderr);
    const strip = (file: string) => JSON.stringify(JSON.parse(readFileSync(join(dir, file), 'utf8')).strategies);
    assert.equal(strip('file.json'), strip('ref.json'));
  });

  it('bad flags and bad files are one line and exit code 2', () => {
    writeFileSync(join(dir, 'bad.csv'), 'open_time,open,high,low,close,volume\n1746057600000,0.24,0.25,0.23,abc,1\n');
    writeFileSync(join(dir, 'bad.jsonl'), '{"symbol":"TRXUSDT.P","action":"open"}\n');
    const cases = [
      run(['backtest', '--prices', sampleFile(HOURLY), '--strategy', 'static:2']),
      run(['backtest', '--prices', sampleFile(HOURLY), '--strategy', 'dynamic']),
      run(['backtest', '--prices', sampleFile(HOURLY), '--leverage', '0']),
      run(['backtest', '--prices', join(dir, 'missing.csv')]),
      run(['backtest', '--prices', join(dir, 'bad.csv')]),
      run(['backtest', '--prices', sampleFile(HOURLY), '--signals', join(dir, 'bad.jsonl')]),
      run(['backtest', '--prices', sampleFile(HOURLY), '--margin', 'portfolio']),
      run(['model', 'fit', '--prices', join(dir, 'missing.csv')]),
    ];
    for (const r of cases) {
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    assert.match(cases[4]!.stderr, /bad\.csv:2: close is not a number/);
    assert.match(cases[5]!.stderr, /bad\.jsonl:1: time: required/);
  });

  it('model fit: walk-forward report with both models, the candidate written as a model version', () => {
    const out = join(dir, 'fit.json');
    const report = join(dir, 'fit-report.json');
    const r = run(['model', 'fit', '--prices', sampleFile(HOURLY), '--funding', sampleFile(HOURLY_FUNDING), '--out', out, '--json', report]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /out of sample \(\d+ decisions\): fitted \d+ liquidations, hedge cost [\d.]+; active article-v1 \d+ liquidations/);
    const fit = JSON.parse(readFileSync(report, 'utf8'));
    assert.ok(fit.weeks.length >= 3, String(fit.weeks.length));
    for (let i = 1; i < fit.weeks.length; i++) assert.ok(fit.weeks[i].week > fit.weeks[i - 1].week);
    assert.ok(fit.weeks.every((w: { candidate: unknown; active: unknown }) => w.candidate && w.active));
    const model = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(model.meta.parent, 'article-v1');
    assert.ok(Object.values(model.weights).every((w) => typeof w === 'number' && w >= 0 && w <= 1));
    // The candidate drives the backtest's 'model' strategy.
    const b = run(['backtest', '--prices', sampleFile(HOURLY), '--model', out, '--strategy', 'model', '--deterministic', '--json', join(dir, 'fitted.json')]);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(JSON.parse(readFileSync(join(dir, 'fitted.json'), 'utf8')).strategies[0].modelVersion, model.version);
  });
});
