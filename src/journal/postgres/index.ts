export { openPostgres } from './open.ts';
export { PostgresDatabase, asJournalError, assertSchemaName, DEFAULT_SCHEMA, type PostgresSettings, type PostgresPoolSettings } from './database.ts';
export { migratePostgres, latestPostgresVersion, type PostgresMigration, type MigrationReport } from './migrate.ts';
export { POSTGRES_MIGRATIONS } from './migrations/index.ts';
export { PostgresJournal, type PostgresJournalOptions } from './journal.ts';
export { PostgresOutbox } from './outbox.ts';
export { PostgresModelStore, type PostgresModelStoreOptions } from './model-store.ts';
export { PostgresControlStore } from './control-store.ts';
export { PostgresOrderStore } from './order-store.ts';
