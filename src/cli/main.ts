/**
 * The `hedgehook` command. Every failure the user can fix is one line on stderr and
 * exit code 2; nothing prints a stack trace.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerBacktest } from './commands/backtest.ts';
import { registerData } from './commands/data.ts';
import { registerDlq } from './commands/dlq.ts';
import { registerHalt } from './commands/halt.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerModel } from './commands/model.ts';
import { registerSend } from './commands/send.ts';
import { registerServe } from './commands/serve.ts';
import { reportFailure } from './failure.ts';

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
    process.exitCode = reportFailure(err);
  }
}

await main(process.argv);
