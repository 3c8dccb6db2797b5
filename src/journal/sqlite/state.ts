/**
 * The registry and the controls over one shared connection to the journal file: what the
 * service and the `model` / `halt` commands open next to (or instead of) the journal.
 */
import type { ModelVersion } from '../../core/model.ts';
import { openStateConnection, type StateConnectionOptions } from './connection.ts';
import { SqliteControlStore } from './control-store.ts';
import { SqliteModelStore } from './model-store.ts';

export interface SqliteStateOptions extends StateConnectionOptions {
  path: string;
  defaultModel: ModelVersion;
  validate: (input: unknown) => ModelVersion;
}

export interface SqliteState {
  models: SqliteModelStore;
  controls: SqliteControlStore;
  close(): void;
}

export function openSqliteState(options: SqliteStateOptions): SqliteState {
  const db = openStateConnection(options.path, options);
  try {
    const models = new SqliteModelStore(db, options);
    const controls = new SqliteControlStore(db, options);
    return {
      models,
      controls,
      close() {
        if (db.open) db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
