/** The command line as a user meets it: a real process, its output and its exit code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, startServiceProcess, TEST_SECRET } from '../helpers/service-process.ts';

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--help works for every command', () => {
  for (const args of [['--help'], ['serve', '--help'], ['send', '--help'], ['dlq', '--help'], ['dlq', 'list', '--help'], ['dlq', 'replay', '--help'], ['dlq', 'purge', '--help']]) {
    const r = run(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /Usage: hedgehook/);
  }
});

test('bad flags, bad files and bad configs are one line and exit code 2, never a stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-cli-'));
  writeFileSync(join(dir, 'bad.yaml'), 'server:\n  port: -1\n');
  // Mistakes found only once the service listens (the venues and market data open behind
  // the listener): still one line and exit code 2, not an endless retry.
  writeFileSync(join(dir, 'no-keys.yaml'), 'marketData: { kind: simulated }\nvenues:\n  - { id: binance, kind: ccxt, exchange: binanceusdm }\n');
  writeFileSync(join(dir, 'no-prices.yaml'), `marketData: { kind: replay, file: ${JSON.stringify(join(dir, 'no-such-prices.csv'))} }\n`);
  const cases = [
    run(['serve', '--bogus']),
    run(['serve', '--port', 'abc']),
    run(['serve', '--config', join(dir, 'missing.yaml')]),
    run(['serve', '--config', join(dir, 'bad.yaml'), '--data-dir', dir]),
    run(['serve', '--config', join(dir, 'no-keys.yaml'), '--data-dir', join(dir, 'a'), '--port', '0'], { HEDGEHOOK_BINANCE_API_KEY: '', HEDGEHOOK_BINANCE_SECRET: '' }),
    run(['serve', '--config', join(dir, 'no-prices.yaml'), '--data-dir', join(dir, 'b'), '--port', '0']),
    run(['send', '--url', 'http://127.0.0.1:1/webhooks/default', '--secret', 's', '--file', join(dir, 'nope.json')]),
    run(['send', '--url', 'http://127.0.0.1:1/webhooks/default', '--secret', 's']),
    run(['dlq', 'list', '--data-dir', join(dir, 'empty')]),
    run(['dlq', 'replay', '--data-dir', dir]),
    run(['frobnicate']),
  ];
  for (const r of cases) {
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^hedgehook: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('send signs with each scheme against a running service, and dlq works on its data dir', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hh-cli-'));
  const config = join(dataDir, 'config.json');
  writeFileSync(config, JSON.stringify({
    sources: {
      default: { scheme: 'standard' },
      gh: { scheme: 'github', secret: 'gh-secret' },
      tv: { scheme: 'tradingview', secret: 'tv-pass' },
    },
    logLevel: 'warn',
  }));
  const service = await startServiceProcess({ dataDir, config });
  try {
    const url = (s: string) => `${service.url}/webhooks/${s}`;
    const json = JSON.stringify({ symbol: 'TRXUSDT.P', action: 'open' });
    const std = run(['send', '--url', url('default'), '--secret', TEST_SECRET, '--json', json, '--id', 'msg_cli_1']);
    assert.equal(std.code, 0, std.stderr);
    assert.match(std.stdout, /^202 \{"id":"sig_[a-z2-7]{20}","seq":1\}\n$/);
    const dup = run(['send', '--url', url('default'), '--secret', TEST_SECRET, '--json', json, '--id', 'msg_cli_1']);
    assert.match(dup.stdout, /^200 .*"duplicate":true/);
    const gh = run(['send', '--url', url('gh'), '--secret', 'gh-secret', '--scheme', 'github', '--json', json]);
    assert.match(gh.stdout, /^202 /);
    const tv = run(['send', '--url', url('tv'), '--secret', 'tv-pass', '--scheme', 'tradingview', '--json', json]);
    assert.match(tv.stdout, /^202 /);
    const wrong = run(['send', '--url', url('tv'), '--secret', 'nope', '--scheme', 'tradingview', '--json', json]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout, /^401 .*HH_ERR_PASSPHRASE_INVALID/);

    const list = run(['dlq', 'list', '--data-dir', dataDir]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /empty/);
    const listJson = run(['dlq', 'list', '--json', '--data-dir', dataDir]);
    assert.deepEqual(JSON.parse(listJson.stdout), []);
    const missing = run(['dlq', 'replay', '--id', 'sig_unknown', '--data-dir', dataDir]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /not in the dead-letter queue/);
  } finally {
    service.child.kill('SIGTERM');
    assert.equal(await service.exited, 0);
  }
});
