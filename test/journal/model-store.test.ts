/**
 * The model registry and the kill switch in the journal file: the same contract as the
 * in-memory references, plus what only a file gives — persistence, and a second process
 * (the CLI) changing what a running service reads.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { InMemoryControlStore } from '../../src/core/controls.ts';
import { isHedgehookError } from '../../src/core/errors.ts';
import { SqliteControlStore, SqliteModelStore, latestVersion, migrate, openSqliteJournal, openSqliteState } from '../../src/journal/sqlite/index.ts';
import { MIGRATIONS } from '../../src/journal/sqlite/index.ts';
import { silentLogger } from '../../src/journal/types.ts';
import { DEFAULT_MODEL, parseModelVersion } from '../../src/model/registry.ts';
import { FITTED, modelStoreContract } from '../model/model-store-contract.ts';
import { controlContract } from './control-store-contract.ts';
import { tempDir } from './fixtures.ts';

const OPTIONS = { defaultModel: DEFAULT_MODEL, validate: parseModelVersion };

modelStoreContract('SqliteModelStore (own connection)', () => {
  const tmp = tempDir();
  const store = new SqliteModelStore(join(tmp.dir, 'journal.db'), OPTIONS);
  return { store, cleanup: () => (store.close(), tmp.remove()) };
});

modelStoreContract('SqliteModelStore (shared connection, after the journal created the file)', () => {
  const tmp = tempDir();
  const path = join(tmp.dir, 'journal.db');
  const journal = openSqliteJournal({ path });
  const state = openSqliteState({ path, ...OPTIONS });
  return {
    store: state.models,
    async cleanup() {
      state.close();
      await journal.close();
      tmp.remove();
    },
  };
});

describe('SqliteModelStore on a file', () => {
  it('keeps versions and activations across a reopen', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'journal.db');
    try {
      const first = new SqliteModelStore(path, OPTIONS);
      await first.put(FITTED);
      await first.setActive(FITTED.version, { at: 10, by: 'alice' });
      first.close();
      const again = new SqliteModelStore(path, OPTIONS);
      assert.deepEqual((await again.list()).map((m) => m.version), ['article-v1', 'fit-2026-W47']);
      assert.equal((await again.active()).version, 'fit-2026-W47');
      assert.deepEqual(await again.activations(), [{ version: 'fit-2026-W47', at: 10, by: 'alice' }]);
      again.close();
    } finally {
      tmp.remove();
    }
  });

  it('a `model use` from another connection is what active() returns next', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'journal.db');
    const service = new SqliteModelStore(path, OPTIONS);
    const cli = new SqliteModelStore(path, OPTIONS);
    try {
      assert.equal((await service.active()).version, 'article-v1');
      await cli.put(FITTED);
      await cli.setActive(FITTED.version, { at: 1, by: 'cli' });
      assert.equal((await service.active()).version, 'fit-2026-W47');
      await cli.setActive('article-v1', { at: 2, by: 'cli', reason: 'rollback' });
      assert.equal((await service.active()).version, 'article-v1');
      assert.equal((await service.activations()).length, 2);
    } finally {
      service.close();
      cli.close();
      tmp.remove();
    }
  });

  it('migrates a journal of schema version 1 and stores the default once', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'journal.db');
    try {
      const db = new Database(path);
      migrate(db, MIGRATIONS.filter((m) => m.version === 1), silentLogger);
      assert.equal(db.pragma('user_version', { simple: true }), 1);
      db.close();
      for (let i = 0; i < 2; i++) new SqliteModelStore(path, OPTIONS).close();
      const check = new Database(path, { readonly: true });
      assert.equal(check.pragma('user_version', { simple: true }), latestVersion(MIGRATIONS));
      assert.equal(check.prepare('SELECT COUNT(*) FROM models').pluck().get(), 1);
      assert.deepEqual(check.prepare('SELECT version, created_by, fitted_dataset FROM models').get(), { version: 'article-v1', created_by: 'hedgehook', fitted_dataset: null });
      check.close();
    } finally {
      tmp.remove();
    }
  });

  it('stores what a version was fitted on in queryable columns', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'journal.db');
    const store = new SqliteModelStore(path, OPTIONS);
    try {
      await store.put(FITTED);
      const db = new Database(path, { readonly: true });
      assert.deepEqual(db.prepare('SELECT created_by, fitted_dataset, fitted_from, fitted_to FROM models WHERE version = ?').get(FITTED.version), {
        created_by: 'learner',
        fitted_dataset: 'journal',
        fitted_from: FITTED.meta.fittedOn!.from,
        fitted_to: FITTED.meta.fittedOn!.to,
      });
      db.close();
    } finally {
      store.close();
      tmp.remove();
    }
  });

  it('a stored version that no longer validates is refused on read, not used', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'journal.db');
    try {
      const store = new SqliteModelStore(path, OPTIONS);
      await store.put(FITTED);
      await store.setActive(FITTED.version, { at: 1, by: 'a' });
      store.close();
      const db = new Database(path);
      db.prepare('UPDATE models SET body = ? WHERE version = ?').run(JSON.stringify({ ...FITTED, weights: { ...FITTED.weights, volatility: -1 } }), FITTED.version);
      db.close();
      const reopened = new SqliteModelStore(path, OPTIONS);
      await assert.rejects(reopened.active(), (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_MODEL_INVALID' && e.message.includes('weights.volatility'));
      reopened.close();
    } finally {
      tmp.remove();
    }
  });
});

controlContract('InMemoryControlStore', () => ({ store: new InMemoryControlStore(), cleanup() {} }));
controlContract('SqliteControlStore', () => {
  const tmp = tempDir();
  const store = new SqliteControlStore(join(tmp.dir, 'journal.db'));
  return { store, cleanup: () => (store.close(), tmp.remove()) };
});

describe('SqliteControlStore on a file', () => {
  it('a halt written by another connection is read by the next killSwitch()', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'journal.db');
    const service = openSqliteState({ path, ...OPTIONS });
    const cli = new SqliteControlStore(path);
    try {
      assert.equal((await service.controls.killSwitch()).halted, false);
      await cli.halt({ by: 'ops', at: 5, reason: 'venue down' });
      assert.deepEqual(await service.controls.killSwitch(), { halted: true, by: 'ops', at: 5, reason: 'venue down' });
      await cli.resume({ by: 'ops', at: 6 });
      assert.equal((await service.controls.killSwitch()).halted, false);
    } finally {
      cli.close();
      service.close();
      tmp.remove();
    }
  });
});
