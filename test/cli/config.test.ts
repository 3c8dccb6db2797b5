import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, parseConfig } from '../../src/cli/config.ts';
import { isHedgehookError } from '../../src/core/errors.ts';
import { resolveApiToken, resolveSources } from '../../src/cli/secrets.ts';

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isHedgehookError(err));
    assert.equal(err.code, 'HH_ERR_CONFIG_INVALID');
    return err.message;
  }
  assert.fail('expected a configuration error');
}

test('defaults make an empty configuration work', () => {
  const c = parseConfig({});
  assert.equal(c.server.host, '127.0.0.1');
  assert.equal(c.server.port, 8080);
  assert.deepEqual(Object.keys(c.sources), ['default']);
  assert.equal(c.sources.default!.scheme, 'standard');
  assert.equal(c.sources.default!.maxBodyBytes, 64 * 1024);
  assert.deepEqual(c.journal, { kind: 'sqlite', synchronous: 'full' });
  assert.deepEqual(c.queue, { kind: 'local' });
  assert.equal(c.worker.maxAttempts, 5);
});

test('each mistake is reported on its own line with where it is', () => {
  const message = configError(() => parseConfig({ server: { port: 'eighty' }, sources: { tv: { scheme: 'telegram' } }, extra: 1 }, 'cfg.yaml'));
  const lines = message.split('\n');
  assert.equal(lines.length, 3, message);
  assert.ok(lines.every((l) => l.startsWith('cfg.yaml: ')));
  assert.ok(lines.some((l) => l.includes('server.port')));
  assert.ok(lines.some((l) => l.includes('sources.tv.scheme')));
  assert.ok(lines.some((l) => l.includes('extra')));
});

test('YAML and JSON files load; a broken file is one clear line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-config-'));
  writeFileSync(join(dir, 'ok.yaml'), 'server:\n  port: 9090\nsources:\n  tv: { scheme: tradingview, secret: pass, allowlist: tradingview }\n');
  const c = loadConfigFile(join(dir, 'ok.yaml'));
  assert.equal(c.server.port, 9090);
  assert.equal(c.sources.tv!.allowlist, 'tradingview');
  writeFileSync(join(dir, 'bad.json'), '{"server": ');
  assert.match(configError(() => loadConfigFile(join(dir, 'bad.json'))), /bad\.json: not valid JSON/);
});

test('the default secret is generated once, kept with mode 0600, and announced once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-secret-'));
  const said: string[] = [];
  const first = resolveSources(parseConfig({}), dir, {}, (l) => said.push(l));
  const secret = first.get('default')!.secrets[0]!;
  assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  assert.equal(statSync(join(dir, 'webhook-secret')).mode & 0o777, 0o600);
  assert.ok(said.some((l) => l.includes(secret)));
  const again: string[] = [];
  const second = resolveSources(parseConfig({}), dir, {}, (l) => again.push(l));
  assert.equal(second.get('default')!.secrets[0], secret);
  assert.deepEqual(again, []);
  const fromEnv = resolveSources(parseConfig({}), dir, { HEDGEHOOK_WEBHOOK_SECRET: 'whsec_abcd' }, () => {});
  assert.deepEqual(fromEnv.get('default')!.secrets, ['whsec_abcd']);
});

test('other sources need a secret; secretEnv must be set; tradingview allowlist expands', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-secret-'));
  assert.match(configError(() => resolveSources(parseConfig({ sources: { gh: { scheme: 'github' } } }), dir, {}, () => {})), /sources\.gh/);
  assert.match(configError(() => resolveSources(parseConfig({ sources: { gh: { scheme: 'github', secretEnv: 'GH_SECRET' } } }), dir, {}, () => {})), /GH_SECRET/);
  const tv = resolveSources(parseConfig({ sources: { tv: { scheme: 'tradingview', secretEnv: 'TV', allowlist: 'tradingview' } } }), dir, { TV: 'p' }, () => {});
  assert.equal(tv.get('tv')!.allowlist!.length, 4);
});

test('an API token is required beyond loopback only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-token-'));
  const c = parseConfig({});
  assert.equal(resolveApiToken(c, '127.0.0.1', dir, {}, () => {}), undefined);
  assert.equal(resolveApiToken(c, '::1', dir, {}, () => {}), undefined);
  const token = resolveApiToken(c, '0.0.0.0', dir, {}, () => {});
  assert.ok(token && token.length >= 32);
  assert.equal(statSync(join(dir, 'api-token')).mode & 0o777, 0o600);
  assert.equal(resolveApiToken(c, '0.0.0.0', dir, { HEDGEHOOK_API_TOKEN: 'from-env' }, () => {}), 'from-env');
});

test('risk, account and model sections: defaults, and one line per mistake', () => {
  const c = parseConfig({});
  assert.deepEqual(c.risk, { maxHedgeNotional: 100_000, maxOrdersPerMinute: 30, maxSignalAgeMs: 30_000, maxPriceDeviation: 0.02, maxClockSkewMs: 5_000 });
  assert.deepEqual(c.account, { riskTolerance: 0.5, equity: 10_000 });
  assert.equal(c.model.defaultVolatility, 0.35);
  assert.deepEqual(c.model.positionCurve, { kind: 'saturating', halfAt: 5 });
  assert.deepEqual(c.model.ewma, { lambda: 0.94, barIntervalMs: 60_000, minReturns: 10 });

  const custom = parseConfig({ risk: { maxHedgeNotional: 5_000, maxSignalAgeMs: 10_000 }, account: { riskTolerance: 0.8, equity: 2_500 }, model: { positionCurve: { kind: 'linear', fullAt: 20 } } });
  assert.equal(custom.risk.maxHedgeNotional, 5_000);
  assert.equal(custom.risk.maxOrdersPerMinute, 30);
  assert.deepEqual(custom.account, { riskTolerance: 0.8, equity: 2_500 });
  assert.deepEqual(custom.model.positionCurve, { kind: 'linear', fullAt: 20 });

  const message = configError(() =>
    parseConfig({ risk: { maxHedgeNotional: -1, maxSignalAge: 5 }, account: { riskTolerance: 1.5, equity: 0 }, model: { ewma: { lambda: 1 } } }, 'cfg.yaml'),
  );
  const lines = message.split('\n');
  assert.equal(lines.length, 5, message);
  for (const where of ['risk.maxHedgeNotional', 'maxSignalAge', 'account.riskTolerance', 'account.equity', 'model.ewma.lambda']) {
    assert.ok(lines.some((l) => l.startsWith('cfg.yaml: ') && l.includes(where)), `${where} in:\n${message}`);
  }
});

test('model.refit and model.autoPromote: the weekly refit on by default, proposing only; one line per mistake', () => {
  const c = parseConfig({});
  assert.equal(c.model.refit.enabled, true);
  assert.equal(c.model.refit.historyWeeks, 8);
  assert.equal(c.model.autoPromote, false);
  assert.equal(parseConfig({ model: { refit: { enabled: false }, autoPromote: true } }).model.autoPromote, true);
  const message = configError(() => parseConfig({ model: { refit: { historyWeeks: 4, trainWeeks: 4, weekday: 9 }, autoPromote: 'yes' } }, 'cfg.yaml'));
  const lines = message.split('\n');
  assert.equal(lines.length, 3, message);
  for (const where of ['model.refit.weekday', 'model.refit.trainWeeks: trainWeeks must be fewer than historyWeeks', 'model.autoPromote']) {
    assert.ok(lines.some((l) => l.startsWith('cfg.yaml: ') && l.includes(where)), `${where} in:\n${message}`);
  }
});

test('the scale-out stores: PostgreSQL and NATS sections parse with their defaults; a NATS queue without PostgreSQL, or maxDeliver not above the worker\'s attempts, is one line each', () => {
  const c = parseConfig({ journal: { kind: 'postgres', url: 'postgres://hh@db:5432/hh' }, queue: { kind: 'nats', url: 'nats://nats:4222' } });
  assert.equal(c.journal.kind, 'postgres');
  assert.equal(c.journal.kind === 'postgres' && c.journal.schema, 'hedgehook');
  assert.equal(c.queue.kind === 'nats' && c.queue.partitions, 16);
  const message = configError(() => parseConfig({ queue: { kind: 'nats', url: 'nats://nats:4222', maxDeliver: 3 }, worker: { maxAttempts: 5 } }, 'cfg.yaml'));
  assert.deepEqual(message.split('\n').map((l) => l.split(':')[1]!.trim()).sort(), ['queue.kind', 'queue.maxDeliver']);
  assert.match(configError(() => parseConfig({ journal: { kind: 'postgres', url: 'mysql://x' } })), /journal\.url: must be a postgres:\/\/ URL/);
});
