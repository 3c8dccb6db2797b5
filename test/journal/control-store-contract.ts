/**
 * The ControlStore contract (the kill switch): every implementation — in memory, SQLite,
 * PostgreSQL — must behave the same. Each test gets a fresh store from `open`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlStore } from '../../src/core/controls.ts';

export interface ControlFixture {
  store: ControlStore;
  cleanup(): void | Promise<void>;
}

export function controlContract(name: string, open: () => ControlFixture | Promise<ControlFixture>): void {
  describe(`${name} (the ControlStore contract)`, () => {
    it('is not halted at first; halt and resume record who, when and why', async () => {
      const { store, cleanup } = await open();
      try {
        assert.deepEqual(await store.killSwitch(), { halted: false });
        assert.deepEqual(await store.halt({ by: 'alice', at: 100, reason: 'exchange maintenance' }), { halted: true, by: 'alice', at: 100, reason: 'exchange maintenance' });
        assert.deepEqual(await store.killSwitch(), { halted: true, by: 'alice', at: 100, reason: 'exchange maintenance' });
        assert.deepEqual(await store.halt({ by: 'bob', at: 150 }), { halted: true, by: 'bob', at: 150 });
        assert.deepEqual(await store.resume({ by: 'carol', at: 200 }), { halted: false, by: 'carol', at: 200 });
        assert.deepEqual(await store.killSwitch(), { halted: false, by: 'carol', at: 200 });
        assert.deepEqual(await store.history(), [
          { action: 'halt', by: 'alice', at: 100, reason: 'exchange maintenance' },
          { action: 'halt', by: 'bob', at: 150 },
          { action: 'resume', by: 'carol', at: 200 },
        ]);
      } finally {
        await cleanup();
      }
    });
  });
}
