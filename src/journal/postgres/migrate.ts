/**
 * Versioned schema migrations for PostgreSQL. `schema_migrations` is the truth: one row per
 * applied version. Everything runs in ONE transaction under a transaction-scoped advisory
 * lock keyed by the schema name, so N processes starting together (or `hedgehook migrate`
 * next to a running fleet) migrate exactly once and nobody sees a half-migrated schema:
 * PostgreSQL DDL is transactional.
 */
import { HedgehookError } from '../../core/errors.ts';
import type { PostgresDatabase } from './database.ts';

export interface PostgresMigration {
  version: number;
  name: string;
  /** SQL run as one multi-statement query inside the migration transaction. */
  up: string;
}

export interface MigrationReport {
  schema: string;
  /** The version before this run. */
  from: number;
  /** The version now (the latest this hedgehook knows). */
  to: number;
  applied: { version: number; name: string }[];
}

export function latestPostgresVersion(migrations: readonly PostgresMigration[]): number {
  return migrations.reduce((v, m) => Math.max(v, m.version), 0);
}

export async function migratePostgres(db: PostgresDatabase, migrations: readonly PostgresMigration[]): Promise<MigrationReport> {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  ordered.forEach((m, i) => {
    if (m.version !== i + 1) throw new HedgehookError('HH_ERR_INTERNAL', `PostgreSQL migrations must be numbered 1, 2, 3…; found ${m.version} at position ${i + 1}`);
  });
  const latest = latestPostgresVersion(ordered);
  const schema = db.schema;
  return db.transaction('cannot migrate the PostgreSQL journal', async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`hedgehook:migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
      version    integer     PRIMARY KEY,
      name       text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${schema}.schema_migrations`);
    const current = rows[0]?.v ?? 0;
    if (current > latest) {
      throw new HedgehookError(
        'HH_ERR_JOURNAL_UNAVAILABLE',
        `the PostgreSQL journal (schema ${schema}) has version ${current}, newer than this hedgehook knows (${latest}); upgrade hedgehook`,
        { retryable: false },
      );
    }
    const applied: { version: number; name: string }[] = [];
    for (const m of ordered) {
      if (m.version <= current) continue;
      // search_path is the session's (the pool sets it), so unqualified names land in `schema`.
      await client.query(m.up);
      await client.query(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push({ version: m.version, name: m.name });
      db.logger.info({ schema, version: m.version, name: m.name }, 'PostgreSQL journal migrated');
    }
    return { schema, from: current, to: latest, applied };
  });
}
