/**
 * The choice of stores (src/cli/stores.ts) and its configuration (src/cli/stores-config.ts),
 * without servers: defaults, the checks that span sections, the SQLite stores opened
 * through it, and `hedgehook migrate` on a data dir. The PostgreSQL and NATS stores are
 * exercised against the real servers in test/integration/scale-out-*.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHedgehookError } from '../../src/core/errors.ts';
import { openStores, postgresUrl, sqliteJournalPath } from '../../src/cli/stores.ts';
import { journalConfigSchema, queueConfigSchema, storesConfigIssues, storesConfigOf } from '../../src/cli/stores-config.ts';
import { silentLogger } from '../../src/journal/types.ts';
import { BIN } from '../helpers/service-process.ts';
import { makeSignal } from '../journal/fixtures.ts';

const isConfigError = (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_CONFIG_INVALID';

test('stores config: SQLite and the local queue unless told otherwise; postgres and nats get their defaults', () => {
  assert.deepEqual(storesConfigOf({}), { journal: { kind: 'sqlite', synchronous: 'full' }, queue: { kind: 'local' } });
  assert.deepEqual(journalConfigSchema.parse({ synchronous: 'normal' }), { kind: 'sqlite', synchronous: 'normal' });
  const pg = journalConfigSchema.parse({ kind: 'postgres', url: 'postgres://h@db/x' });
  assert.equal(pg.kind === 'postgres' && pg.schema, 'hedgehook');
  assert.equal(pg.kind === 'postgres' && pg.pool.max, 10);
  const nats = queueConfigSchema.parse({ kind: 'nats', url: 'nats://n:4222' });
  assert.ok(nats.kind === 'nats');
  assert.deepEqual([nats.stream, nats.partitions, nats.ackWaitMs, nats.maxDeliver, nats.replicas, nats.consume], ['HEDGEHOOK', 16, 30_000, 10, 1, true]);
  assert.throws(() => storesConfigOf({ journal: { kind: 'postgres', url: 'mysql://x' }, queue: { kind: 'nats', url: 'http://x' } }), (e: unknown) => isConfigError(e) && /journal\.url/.test((e as Error).message) && /queue\.url/.test((e as Error).message));
  assert.throws(() => storesConfigOf({ journal: { kind: 'postgres', url: 'postgres://x', schema: 'Bad-Name' } }), isConfigError);
});

test('stores config: NATS needs the PostgreSQL journal, and maxDeliver above the worker\'s attempts', () => {
  const nats = queueConfigSchema.parse({ kind: 'nats', url: 'nats://n:4222', maxDeliver: 5 });
  const issues = storesConfigIssues({ journal: journalConfigSchema.parse({}), queue: nats, worker: { maxAttempts: 5 } });
  assert.deepEqual(issues.map(([path]) => path.join('.')), ['queue.kind', 'queue.maxDeliver']);
  assert.deepEqual(storesConfigIssues({ journal: journalConfigSchema.parse({ kind: 'postgres', url: 'postgres://x' }), queue: nats, worker: { maxAttempts: 4 } }), []);
});

test('the PostgreSQL URL comes from the file or the environment, and its absence is one clear line', () => {
  const base = journalConfigSchema.parse({ kind: 'postgres' });
  assert.ok(base.kind === 'postgres');
  assert.equal(postgresUrl(base, { HEDGEHOOK_POSTGRES_URL: 'postgres://from-env/db' }), 'postgres://from-env/db');
  assert.equal(postgresUrl({ ...base, urlEnv: 'MY_PG' }, { MY_PG: 'postgres://mine/db' }), 'postgres://mine/db');
  assert.throws(() => postgresUrl(base, {}), (e: unknown) => isConfigError(e) && /HEDGEHOOK_POSTGRES_URL/.test((e as Error).message));
});

test('openStores refuses the NATS queue on SQLite before opening anything', async () => {
  const config = { journal: journalConfigSchema.parse({}), queue: queueConfigSchema.parse({ kind: 'nats', url: 'nats://127.0.0.1:1' }) };
  await assert.rejects(openStores(config, { dataDir: '/nonexistent', logger: silentLogger }), isConfigError);
});

test('openStores on SQLite: one file in the data dir holds journal, queue, DLQ, registry, kill switch and order legs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-stores-'));
  try {
    const stores = await openStores(storesConfigOf({}), { dataDir: dir, logger: silentLogger });
    assert.equal(stores.kind, 'sqlite');
    const r = await stores.journal.append(makeSignal(1));
    assert.equal(r.status, 'accepted');
    const [d] = await stores.queue.claim(1, 1000);
    await stores.queue.settle(d!, { state: 'skipped' }, 1001);
    assert.equal(await stores.dlq.size(), 0);
    assert.equal((await stores.models.active()).version, 'article-v1');
    await stores.controls.halt({ by: 't', at: 1 });
    assert.deepEqual(await stores.orders.unsettled(), []);
    await stores.close();
    const again = await openStores(storesConfigOf({}), { dataDir: dir, logger: silentLogger });
    assert.equal((await again.journal.getSignal(makeSignal(1).id))?.state, 'skipped');
    assert.equal((await again.controls.killSwitch()).halted, true);
    await again.close();
    assert.match(sqliteJournalPath(dir), /journal\.db$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hedgehook migrate on a SQLite data dir creates the journal and says its version', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-migrate-'));
  try {
    const r = spawnSync(process.execPath, [BIN, 'migrate', '--data-dir', join(dir, 'data')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^sqlite journal .*journal\.db: schema version \d+\n$/);
    const help = spawnSync(process.execPath, [BIN, 'migrate', '--help'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: hedgehook migrate/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
