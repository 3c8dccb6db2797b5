export { SqliteJournal, openSqliteJournal, signalOutcomeSql, type SqliteJournalOptions } from './journal.ts';
export { migrate, latestVersion, type Migration } from './migrate.ts';
export { MIGRATIONS } from './migrations/index.ts';
export { SqliteModelStore, type SqliteModelStoreOptions } from './model-store.ts';
export { SqliteControlStore } from './control-store.ts';
export { openSqliteState, type SqliteState, type SqliteStateOptions } from './state.ts';
export { SqliteOrderStore } from './order-store.ts';
export { SqliteScheduledRuns } from './scheduled-runs.ts';
