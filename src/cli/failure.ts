/**
 * How a command reports a failure: one line on stderr, exit code 2 for what the user can
 * fix (a flag, a file, the configuration), 1 for the rest; never a stack trace.
 */
import { firstLine, isHedgehookError } from '../core/errors.ts';

export const USER_ERRORS = new Set([
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

/** Writes the failure's line and returns the exit code. */
export function reportFailure(err: unknown, write: (text: string) => void = (text) => process.stderr.write(text)): number {
  if (isHedgehookError(err)) {
    write(`hedgehook: ${err.message.replaceAll('\n', '\nhedgehook: ')}\n`);
    return USER_ERRORS.has(err.code) ? 2 : 1;
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    write(`hedgehook: cannot listen: ${(err as Error).message}\n`);
    return 2;
  }
  write(`hedgehook: ${firstLine(err)}\n`);
  return 1;
}
