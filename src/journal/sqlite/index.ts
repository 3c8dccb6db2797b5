export { SqliteJournal, openSqliteJournal, type SqliteJournalOptions } from './journal.ts';
export { migrate, latestVersion, type Migration } from './migrate.ts';
export { MIGRATIONS } from './migrations/index.ts';
