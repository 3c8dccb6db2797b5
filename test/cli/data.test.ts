/**
 * `hedgehook data fetch` as a user runs it: a real process, pointed with --url at the
 * fake Binance (test/fakes/binance) running in this test process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from 'commander';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMoment } from '../../src/cli/commands/data.ts';
import { readPriceCsv } from '../fakes/binance/klines.ts';
import { FakeBinance } from '../fakes/binance/server.ts';
import { BIN } from '../helpers/service-process.ts';
import { sampleDataMissing, sampleFile } from '../support/env.ts';

const SAMPLE = 'trxusdt-perp-1m-20230703-20230817.csv';

/** Async, so the fake in this process can answer while the command runs. */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('data fetch pages a day of real minute bars into the price-file format, quietly when not on a terminal', { skip: sampleDataMissing(SAMPLE), timeout: 60_000 }, async () => {
  const series = readPriceCsv(sampleFile(SAMPLE));
  const fake = await FakeBinance.start({ klines: { 'TRXUSDT:1m': series } });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'hh-data-'));
    const out = join(dir, 'trx.csv');
    // 2023-07-10, a whole UTC day: 1440 bars, three pages of 500.
    const r = await run(['data', 'fetch', '--exchange', 'binanceusdm', '--symbol', 'TRX/USDT:USDT', '--timeframe', '1m', '--since', '2023-07-10', '--until', '2023-07-11T00:00:00Z', '--out', out], { HEDGEHOOK_CCXT_URL_OVERRIDE: fake.url });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, `wrote 1440 1m bars of TRX/USDT:USDT from binanceusdm (2023-07-10T00:00Z .. 2023-07-10T23:59Z) to ${out}\n`);
    const day = series.filter((b) => b.openTime >= Date.UTC(2023, 6, 10) && b.openTime < Date.UTC(2023, 6, 11));
    const expected = ['open_time,open,high,low,close,volume', ...day.map((b) => [b.openTime, b.open, b.high, b.low, b.close, b.volume].map((v) => String(Number(v))).join(',')), ''].join('\n');
    assert.equal(readFileSync(out, 'utf8'), expected);
    assert.equal(fake.requestsTo('GET /fapi/v1/klines').length, 3);
  } finally {
    await fake.close();
  }
});

test('dates on the command line: UTC dates, ISO times (UTC when no offset), epoch ms; anything else refused', () => {
  assert.equal(parseMoment('2023-07-10'), Date.UTC(2023, 6, 10));
  assert.equal(parseMoment('2023-07-10T12:30'), Date.UTC(2023, 6, 10, 12, 30));
  assert.equal(parseMoment('2023-07-10T12:30:15.250+02:00'), Date.UTC(2023, 6, 10, 10, 30, 15, 250));
  assert.equal(parseMoment('1688947200000'), Date.UTC(2023, 6, 10));
  for (const bad of ['yesterday', '2023-7-10', '2023-02-30', '2023-07-10T25:00', '1688947200', '']) {
    assert.throws(() => parseMoment(bad), InvalidArgumentError, bad);
  }
});

test('data fetch: a bad flag or an unknown symbol is one line and exit 2; an unreachable exchange one line and exit 1', { timeout: 60_000 }, async () => {
  const fake = await FakeBinance.start();
  const dir = mkdtempSync(join(tmpdir(), 'hh-data-'));
  const out = join(dir, 'x.csv');
  try {
    const [badTimeframe, badSymbol, unreachable] = await Promise.all([
      run(['data', 'fetch', '--since', '2023-07-10', '--timeframe', '7m', '--out', out, '--url', fake.url]),
      run(['data', 'fetch', '--since', '2023-07-10', '--symbol', 'DOGE/EUR:EUR', '--out', out, '--url', fake.url]),
      // Nothing listens on port 9 of localhost: the exchange is unreachable (not the user's fault: exit 1).
      run(['data', 'fetch', '--since', '2023-07-10', '--out', out, '--url', 'http://127.0.0.1:9']),
    ]);
    for (const r of [badTimeframe!, badSymbol!, unreachable!]) {
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^hedgehook: /);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    assert.equal(badTimeframe!.code, 2);
    assert.match(badTimeframe!.stderr, /--timeframe 7m/);
    assert.equal(badSymbol!.code, 2);
    assert.match(badSymbol!.stderr, /DOGE\/EUR:EUR/);
    assert.equal(unreachable!.code, 1);
    assert.match(unreachable!.stderr, /binanceusdm: unreachable/);
    assert.equal(existsSync(out), false, 'no file is written when the fetch fails');
  } finally {
    await fake.close();
  }
});
