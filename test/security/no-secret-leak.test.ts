/**
 * No secret leaves the process: a real `hedgehook serve`, bound beyond loopback (so the
 * API token is in play), logging at `trace`, with a webhook secret, a GitHub secret, a
 * TradingView passphrase, an API token and exchange-key variables in its environment.
 * It receives valid webhooks, wrong ones built to tempt a leak (a wrong passphrase that
 * starts with the right one, a truncated alert holding the passphrase, the secret sent as
 * a signature, the API token on a webhook) and the whole hostile corpus; the API, the
 * metrics and the dashboard are read with the token. Then every byte the service wrote —
 * its output, the files of its data dir (SQLite journal and WAL) — and every answer it
 * gave are searched for each secret, raw, base64 and hex.
 *
 * The same run checks, on the SQLite journal, that no hostile body gets a 5xx or stops
 * the service, that every rejection is recorded, and that what was accepted is worked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { signGithub } from '../../src/ingest/schemes/github.ts';
import { signStandard } from '../../src/ingest/schemes/standard.ts';
import { startServiceProcess, writeConfig } from '../helpers/service-process.ts';
import { hostileBodies } from '../server/hostile-corpus.ts';

const marker = (what: string) => `${what}${randomBytes(18).toString('hex')}`;
const SECRETS = {
  webhook: `whsec_${randomBytes(24).toString('base64')}`,
  github: marker('ghsecret'),
  passphrase: marker('tvpass'),
  apiToken: marker('apitoken'),
  primaryKey: marker('primarykey'),
  primarySecret: marker('primarysecret'),
  backupKey: marker('backupkey'),
};

/** Every form a secret could be written in. */
function forms(secret: string): string[] {
  const out = [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex')];
  if (secret.startsWith('whsec_')) out.push(secret.slice(6), Buffer.from(secret.slice(6), 'base64').toString('hex'));
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function assertNoSecret(where: string, haystack: Buffer | string) {
  const bytes = Buffer.isBuffer(haystack) ? haystack : Buffer.from(haystack);
  for (const [name, secret] of Object.entries(SECRETS)) {
    for (const form of forms(secret)) assert.equal(bytes.indexOf(form), -1, `the ${name} secret (${form.slice(0, 12)}…) is in ${where}`);
  }
}

test('no secret reaches the logs, the journal, the API, the metrics or the dashboard; hostile bodies never crash serve', { timeout: 240_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hedgehook-leak-'));
  const configDir = mkdtempSync(join(tmpdir(), 'hedgehook-leak-config-'));
  const config = writeConfig(configDir, {
    sources: {
      default: { scheme: 'standard', rateLimit: { burst: 10_000, perSecond: 10_000 } },
      gh: { scheme: 'github', secretEnv: 'HH_LEAK_GH_SECRET', rateLimit: { burst: 10_000, perSecond: 10_000 } },
      tv: { scheme: 'tradingview', secretEnv: 'HH_LEAK_TV_PASSPHRASE', rateLimit: { burst: 10_000, perSecond: 10_000 } },
    },
    server: { host: '0.0.0.0' },
    logLevel: 'trace',
    risk: { maxOrdersPerMinute: 10_000 },
  });
  const service = await startServiceProcess({
    dataDir,
    config,
    timeoutMs: 90_000,
    env: {
      HEDGEHOOK_WEBHOOK_SECRET: SECRETS.webhook,
      HH_LEAK_GH_SECRET: SECRETS.github,
      HH_LEAK_TV_PASSPHRASE: SECRETS.passphrase,
      HEDGEHOOK_API_TOKEN: SECRETS.apiToken,
      HEDGEHOOK_PRIMARY_API_KEY: SECRETS.primaryKey,
      HEDGEHOOK_PRIMARY_SECRET: SECRETS.primarySecret,
      HEDGEHOOK_BACKUP_API_KEY: SECRETS.backupKey,
    },
  });
  const base = service.url.replace('0.0.0.0', '127.0.0.1');
  const answers: string[] = [];
  let rejected = 0;
  const accepted: string[] = [];
  const post = async (path: string, headers: Record<string, string>, body: Buffer | string) => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });
    } catch (err) {
      // A body over the limit is answered 413 and the connection closed without reading
      // the rest; a client still writing then fails with EPIPE/ECONNRESET before it can
      // read the answer. Recorded as a rejection like any other (the rejections are
      // compared with the journal below).
      const code = (err as { cause?: { code?: string } }).cause?.code;
      if (Buffer.byteLength(body) > 64 * 1024 && (code === 'EPIPE' || code === 'ECONNRESET')) {
        rejected++;
        return 413;
      }
      throw err;
    }
    const text = await res.text();
    answers.push(text);
    assert.ok(res.status < 500, `${path}: ${res.status} ${text}`);
    if (res.status >= 400) rejected++;
    else accepted.push((JSON.parse(text) as { id: string }).id);
    return res.status;
  };
  const standard = (body: Buffer | string, id = `msg_${randomBytes(6).toString('hex')}`) => {
    const ts = Math.floor(Date.now() / 1000);
    return { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signStandard(SECRETS.webhook, id, ts, Buffer.from(body)) };
  };
  const json = { 'content-type': 'application/json' };
  const payload = { symbol: 'TRXUSDT.P', action: 'open', strength: 0.7, price: 0.2412, position: { side: 'long', size: 40_000, leverage: 5 } };

  try {
    // ── valid, on each scheme ──
    assert.equal(await post('/webhooks/default', standard(JSON.stringify(payload)), JSON.stringify(payload)), 202);
    const ghBody = JSON.stringify({ ...payload, id: 'gh-1' });
    assert.equal(await post('/webhooks/gh', { ...json, 'x-hub-signature-256': signGithub(SECRETS.github, ghBody) }, ghBody), 202);
    assert.equal(await post('/webhooks/tv', json, JSON.stringify({ passphrase: SECRETS.passphrase, ...payload, id: 'tv-1' })), 202);

    // ── wrong ones that tempt a leak ──
    assert.equal(await post('/webhooks/tv', json, JSON.stringify({ passphrase: `${SECRETS.passphrase}x`, ...payload })), 401);
    assert.equal(await post('/webhooks/tv', json, `{"passphrase":"${SECRETS.passphrase}","symbol":"TRXUSDT.P","action":`), 401);
    assert.equal(await post('/webhooks/tv', json, `{"passphrase":"${SECRETS.passphrase}","symbol":"TRXUSDT.P","action":"nuke"}`), 400);
    assert.equal(await post('/webhooks/gh', { ...json, 'x-hub-signature-256': SECRETS.github }, ghBody), 401);
    assert.equal(await post('/webhooks/gh', { ...json, 'x-hub-signature-256': `sha256=${'0'.repeat(64)}`, authorization: `Bearer ${SECRETS.apiToken}` }, ghBody), 401);
    assert.equal(await post('/webhooks/default', { ...standard('{}'), 'webhook-signature': SECRETS.webhook }, JSON.stringify(payload)), 401);
    assert.equal(await post('/webhooks/default', { ...json, 'webhook-id': 'x', 'webhook-timestamp': '1', 'webhook-signature': `v1,${SECRETS.webhook.slice(6)}` }, '{}'), 401);

    // ── the hostile corpus on each scheme, authenticated ──
    for (const hostile of hostileBodies()) {
      await post('/webhooks/default', standard(hostile.body), hostile.body);
      await post('/webhooks/gh', { ...json, 'x-hub-signature-256': signGithub(SECRETS.github, hostile.body) }, hostile.body);
      const at = hostile.body.indexOf('{') + 1;
      const tvBody = hostile.object ? Buffer.concat([hostile.body.subarray(0, at), Buffer.from(`"passphrase":${JSON.stringify(SECRETS.passphrase)},`), hostile.body.subarray(at)]) : hostile.body;
      await post('/webhooks/tv', json, tvBody);
    }
    assert.equal((await fetch(`${base}/healthz`)).status, 200, 'serve survived the corpus');

    // ── the API beyond loopback: the token is required, and with it everything is readable ──
    assert.equal((await fetch(`${base}/api/signals`)).status, 401);
    assert.equal((await fetch(`${base}/metrics`)).status, 401);
    assert.equal((await fetch(`${base}/api/signals`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const auth = { authorization: `Bearer ${SECRETS.apiToken}` };
    const deadline = Date.now() + 120_000;
    for (;;) {
      const metrics = await (await fetch(`${base}/metrics`, { headers: auth })).text();
      if (/^hedgehook_queue_depth 0$/m.test(metrics)) break;
      assert.ok(Date.now() < deadline, 'the queue did not drain');
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const id of accepted) {
      const res = await fetch(`${base}/api/signals/${id}`, { headers: auth });
      const text = await res.text();
      answers.push(text);
      assert.equal(res.status, 200);
      assert.match((JSON.parse(text) as { state: string }).state, /^(hedged|skipped|rejected|dead)$/, `${id} was not worked: ${text}`);
    }
    for (const path of ['/api/signals?limit=1000', '/api/orders?limit=1000', '/api/positions', '/api/dlq', '/api/rejections', '/api/models', '/api/halt', '/api/market', '/metrics', '/healthz', '/readyz']) {
      const res = await fetch(`${base}${path}`, { headers: auth });
      answers.push(`${path} ${res.status} ${await res.text()}`);
    }
    const events = await fetch(`${base}/api/events`, { headers: auth, signal: AbortSignal.timeout(1_500) }).then((r) => r.text()).catch((err: Error) => `(stream cut: ${err.name})`);
    answers.push(events);
    const html = await (await fetch(`${base}/`)).text();
    answers.push(html);
    for (const asset of html.matchAll(/(?:src|href)="(\/[^"]+)"/g)) answers.push(await (await fetch(`${base}${asset[1]}`)).text());
    assert.match(html, /<html/i, 'the dashboard was served');
  } finally {
    service.child.kill('SIGTERM');
    assert.equal(await service.exited, 0, `graceful shutdown failed:\n${service.output().slice(-2000)}`);
  }

  const output = service.output();
  assert.match(output, /"msg":"webhook rejected"/, 'the rejections were logged, with their reasons and headers');
  assertNoSecret('the service output', output);
  answers.forEach((a, i) => assertNoSecret(`answer #${i}`, a));
  for (const file of filesUnder(dataDir)) assertNoSecret(file, readFileSync(file));

  const db = new Database(join(dataDir, 'journal.db'), { readonly: true });
  try {
    const n = (db.prepare('SELECT COUNT(*) AS n FROM rejections').get() as { n: number }).n;
    assert.equal(n, rejected, 'every rejection is recorded in the journal');
  } finally {
    db.close();
  }
});
