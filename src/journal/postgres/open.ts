import { HedgehookError } from '../../core/errors.ts';
import { unavailable } from '../common.ts';
import { PostgresDatabase, type PostgresSettings } from './database.ts';
import { migratePostgres } from './migrate.ts';
import { POSTGRES_MIGRATIONS } from './migrations/index.ts';

/**
 * Connects, creates the schema when missing and migrates it to the latest version (every
 * process does this at start-up; an advisory lock makes concurrent starts migrate once).
 */
export async function openPostgres(settings: PostgresSettings): Promise<PostgresDatabase> {
  const db = new PostgresDatabase(settings);
  try {
    await migratePostgres(db, POSTGRES_MIGRATIONS);
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    if (err instanceof HedgehookError) throw err;
    throw unavailable(`cannot open the PostgreSQL journal`, err);
  }
}
