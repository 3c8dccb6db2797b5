/**
 * `hedgehook migrate`: brings the configured journal's schema to the latest version (and,
 * with the NATS queue, creates or updates the JetStream streams and consumers), then says
 * what it did. Every process also does this at start-up; the command is for deployments
 * that migrate before rolling out new processes, with an account allowed to change the schema.
 */
import type { Command } from 'commander';
import { MIGRATIONS, latestVersion, openSqliteJournal, openSqliteState } from '../../journal/sqlite/index.ts';
import { DEFAULT_MODEL, parseModelVersion } from '../../model/registry.ts';
import { HedgehookError } from '../../core/errors.ts';
import { loadConfig, resolveDataDir } from '../options.ts';
import { postgresUrl, sqliteJournalPath } from '../stores.ts';
import { storesConfigOf } from '../stores-config.ts';
import { mkdirSync } from 'node:fs';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('bring the journal schema (and the JetStream streams) to this version of hedgehook')
    .option('--config <file>', 'configuration file (env HEDGEHOOK_CONFIG)')
    .option('--data-dir <dir>', 'the data dir of a SQLite journal (env HEDGEHOOK_DATA_DIR, default ./data)')
    .action(async (opts: { config?: string; dataDir?: string }) => {
      const env = process.env;
      const config = loadConfig(opts.config, env);
      const stores = storesConfigOf(config);
      const out = (line: string) => process.stdout.write(`${line}\n`);
      if (stores.journal.kind === 'sqlite') {
        const dir = resolveDataDir(opts.dataDir, config, env);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const path = sqliteJournalPath(dir);
        const journal = openSqliteJournal({ path, synchronous: stores.journal.synchronous });
        openSqliteState({ path, defaultModel: DEFAULT_MODEL, validate: parseModelVersion }).close();
        await journal.close();
        out(`sqlite journal ${path}: schema version ${latestVersion(MIGRATIONS)}`);
      } else {
        // Loaded only when used: pg and nats are memory a SQLite service never needs.
        const { POSTGRES_MIGRATIONS, PostgresDatabase, migratePostgres } = await import('../../journal/postgres/index.ts');
        const db = new PostgresDatabase({ url: postgresUrl(stores.journal, env), schema: stores.journal.schema, pool: { max: 1 } });
        try {
          const report = await migratePostgres(db, POSTGRES_MIGRATIONS);
          out(
            report.applied.length === 0
              ? `postgres schema ${report.schema}: up to date at version ${report.to}`
              : `postgres schema ${report.schema}: version ${report.from} → ${report.to} (${report.applied.map((m) => `${m.version} ${m.name}`).join(', ')})`,
          );
        } finally {
          await db.close();
        }
      }
      if (stores.queue.kind === 'nats') {
        const { kind: _kind, url, consume: _consume, ...rest } = stores.queue;
        const { ensureTopology, resolveJetStreamSettings } = await import('../../journal/nats/index.ts');
        const { connect } = await import('nats');
        const settings = resolveJetStreamSettings(rest);
        let nc;
        try {
          nc = await connect({ servers: url, name: 'hedgehook-migrate' });
        } catch (err) {
          throw new HedgehookError('HH_ERR_JOURNAL_UNAVAILABLE', `cannot connect to NATS: ${err instanceof Error ? err.message : String(err)}`);
        }
        try {
          await ensureTopology(await nc.jetstreamManager(), settings);
          out(`jetstream stream ${settings.stream}: ${settings.partitions} partitions, ack wait ${settings.ackWaitMs} ms, max deliver ${settings.maxDeliver}, ${settings.replicas} replica(s)`);
        } finally {
          await nc.close();
        }
      }
    });
}
