import type { PostgresMigration } from '../migrate.ts';

/**
 * Reads by (account, symbol) key. With several processes, the one that takes a key's next
 * signal reloads that key's position and hedge before deciding (src/engine/decision-state.ts,
 * `reloadKeyState`): the key's latest signals and all its order legs, on every decision, so
 * both must be index range scans rather than walks of the whole table.
 */
export const migration: PostgresMigration = {
  version: 4,
  name: 'key reads',
  up: `
    CREATE INDEX signals_by_partition ON signals (partition_key, seq);
    CREATE INDEX order_legs_by_key ON order_legs (account, symbol, id);
  `,
};
