import { existsSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { HedgehookError } from '../core/errors.ts';
import { loadConfigFile, parseConfig, type Config } from './config.ts';
import { defaultDataDir } from './service.ts';
import { resolve } from 'node:path';

export function portArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('must be a port number from 0 to 65535');
  return n;
}

export function existingFile(value: string): string {
  if (!existsSync(value)) throw new InvalidArgumentError(`no such file: ${value}`);
  return value;
}

/** Flag, then environment, then file: the usual precedence, in one place. */
export function loadConfig(flag: string | undefined, env: NodeJS.ProcessEnv): Config {
  const path = flag ?? env.HEDGEHOOK_CONFIG;
  return path ? loadConfigFile(path) : parseConfig({});
}

export function resolveDataDir(flag: string | undefined, config: Config, env: NodeJS.ProcessEnv): string {
  if (flag) return resolve(flag);
  if (env.HEDGEHOOK_DATA_DIR) return resolve(env.HEDGEHOOK_DATA_DIR);
  if (config.dataDir) return resolve(config.dataDir);
  return defaultDataDir(env);
}

export function resolvePort(flag: number | undefined, config: Config, env: NodeJS.ProcessEnv): number {
  if (flag !== undefined) return flag;
  if (env.HEDGEHOOK_PORT !== undefined) {
    try {
      return portArg(env.HEDGEHOOK_PORT);
    } catch {
      throw new HedgehookError('HH_ERR_USAGE', `HEDGEHOOK_PORT: must be a port number from 0 to 65535`);
    }
  }
  return config.server.port;
}
