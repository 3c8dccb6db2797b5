/**
 * The `hedgehook` command. Every failure the user can fix is one line on stderr and
 * exit code 2; nothing prints a stack trace.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isHedgehookError } from '../core/errors.ts';
import { registerBacktest } from './commands/backtest.ts';
import { registerData } from './commands/data.ts';
import { registerDlq } from './commands/dlq.ts';
import { registerHalt } from './commands/halt.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerModel } from './commands/model.ts';
import { registerSend } from './commands/send.ts';
import { registerServe } from './commands/serve.ts';

const USER_ERRORS = new Set([
  'HH_ERR_USAGE',
  'HH_ERR_CONFIG_INVALID',
  'HH_ERR_FILE_NOT_FOUND',
  'HH_ERR_NOT_IN_DLQ',
  // bad input to `model explain`, `model use|show|add`
  'HH_ERR_BAD_REQUEST',
  'HH_ERR_MALFORMED_JSON',
  'HH_ERR_INVALID_PAYLOAD',
  'HH_ERR_INVALID_NUMBER',
  'HH_ERR_PRICE_UNAVAILABLE',
  'HH_ERR_MODEL_INVALID',
  'HH_ERR_MODEL_NOT_FOUND',
  'HH_ERR_MODEL_VERSION_EXISTS',
  // bad price, funding or signal files of `backtest`, `model fit`
  'HH_ERR_PRICE_FILE_INVALID',
]);

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('hedgehook')
    .description('receive trading webhooks, size a hedge, place it across exchanges')
    .version(version())
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({ outputError: (text, write) => write(`hedgehook: ${text.replace(/^error: /, '').trimEnd()}\n`) });
  registerServe(program);
  registerSend(program);
  registerDlq(program);
  registerModel(program);
  registerHalt(program);
  registerMigrate(program);
  registerData(program);
  registerBacktest(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (isHedgehookError(err)) {
      process.stderr.write(`hedgehook: ${err.message.replaceAll('\n', '\nhedgehook: ')}\n`);
      process.exitCode = USER_ERRORS.has(err.code) ? 2 : 1;
      return;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      process.stderr.write(`hedgehook: cannot listen: ${(err as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`hedgehook: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
