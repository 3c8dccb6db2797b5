/**
 * The registry, the controls and the scheduled runs (one shared connection) and the order legs
 * to the journal file: what the service and the `model` / `halt` commands open next to (or
 * instead of) the journal.
 */
import type { ModelVersion } from '../../core/model.ts';
import { openStateConnection, type StateConnectionOptions } from './connection.ts';
import { SqliteControlStore } from './control-store.ts';
import { SqliteModelStore } from './model-store.ts';
import { SqliteOrderStore } from './order-store.ts';
import { SqliteScheduledRuns } from './scheduled-runs.ts';

export interface SqliteStateOptions extends StateConnectionOptions {
  path: string;
  defaultModel: ModelVersion;
  validate: (input: unknown) => ModelVersion;
}

export interface SqliteState {
  models: SqliteModelStore;
  controls: SqliteControlStore;
  orders: SqliteOrderStore;
  runs: SqliteScheduledRuns;
  close(): void;
}

export function openSqliteState(options: SqliteStateOptions): SqliteState {
  const db = openStateConnection(options.path, options);
  let legs: ReturnType<typeof openStateConnection> | undefined;
  try {
    const models = new SqliteModelStore(db, options);
    const controls = new SqliteControlStore(db, options);
    const runs = new SqliteScheduledRuns(db);
    // Order legs on a connection of their own: synchronous=NORMAL (see order-store.ts for why).
    legs = openStateConnection(options.path, { ...options, synchronous: 'normal' });
    const orders = new SqliteOrderStore(legs);
    const legsDb = legs;
    return {
      models,
      controls,
      orders,
      runs,
      close() {
        if (db.open) db.close();
        if (legsDb.open) legsDb.close();
      },
    };
  } catch (err) {
    db.close();
    legs?.close();
    throw err;
  }
}
