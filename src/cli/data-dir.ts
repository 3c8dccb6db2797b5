/**
 * Opening the stores of a running or stopped service from a command: the journal file in
 * the data dir (SQLite, the default), or the shared PostgreSQL database of a scale-out
 * deployment — whichever the configuration names. Commands open the stores only (role
 * 'cli'): no consumer, no relay, no NATS connection.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { HedgehookError } from '../core/errors.ts';
import { silentLogger } from '../journal/types.ts';
import type { Config } from './config.ts';
import { loadConfig, resolveDataDir } from './options.ts';
import { journalPath } from './service.ts';
import { openStores, type Stores } from './stores.ts';
import { storesConfigOf } from './stores-config.ts';

export interface DirOptions {
  dataDir?: string;
  config?: string;
}

/** `--data-dir` and `--config`, as every data-dir command takes them. */
export function dirOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'the service data dir (env HEDGEHOOK_DATA_DIR, default ./data)')
    .option('--config <file>', 'configuration file (env HEDGEHOOK_CONFIG)');
}

/** The journal file of the data dir; it must exist (a typo must not start an empty one). */
export function existingJournal(opts: DirOptions, config: Config = loadConfig(opts.config, process.env)): string {
  const dir = resolveDataDir(opts.dataDir, config, process.env);
  const path = journalPath(dir);
  if (!existsSync(path)) throw new HedgehookError('HH_ERR_FILE_NOT_FOUND', `no journal at ${path} (use --data-dir)`);
  return path;
}

/**
 * Runs `fn` with the stores of the configured journal, then closes them. A SQLite journal
 * must exist already (a typo in --data-dir must not start an empty one).
 */
export async function withState<T>(opts: DirOptions, fn: (stores: Stores) => Promise<T>, config: Config = loadConfig(opts.config, process.env)): Promise<T> {
  const storesConfig = storesConfigOf(config);
  const dataDir = resolveDataDir(opts.dataDir, config, process.env);
  if (storesConfig.journal.kind === 'sqlite') existingJournal(opts, config);
  const stores = await openStores(storesConfig, { dataDir, logger: silentLogger, env: process.env, role: 'cli' });
  try {
    return await fn(stores);
  } finally {
    await stores.close();
  }
}


/** Who runs this command, for the audit trail: `--by`, else the OS user. */
export function whoAmI(by: string | undefined): string {
  if (by !== undefined) {
    if (by.trim() === '' || by.length > 64) throw new HedgehookError('HH_ERR_USAGE', '--by: 1 to 64 characters');
    return by;
  }
  return process.env.USER ?? process.env.USERNAME ?? 'cli';
}
