/** Opening the journal file of a running or stopped service from a command. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { HedgehookError } from '../core/errors.ts';
import type { SqliteState } from '../journal/sqlite/index.ts';
import type { Config } from './config.ts';
import { loadConfig, resolveDataDir } from './options.ts';
import { journalPath, openState } from './service.ts';

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

/** Runs `fn` with the model registry and the controls of the data dir, then closes them. */
export async function withState<T>(opts: DirOptions, fn: (state: SqliteState) => Promise<T>): Promise<T> {
  const state = openState(existingJournal(opts));
  try {
    return await fn(state);
  } finally {
    state.close();
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
