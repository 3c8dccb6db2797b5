/**
 * `npm run soak -- --seconds N [--rate R] [--kills K] [--accounts A] [--seed S] [--json FILE] [--data-dir DIR]`
 *
 * Exit code 0 when the reconciliation finds nothing lost and nothing twice, 1 when it
 * finds a violation (or the run itself fails), 2 for bad flags.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatTally } from './format.ts';
import { runSoak } from './soak.ts';

function usage(message: string): never {
  process.stderr.write(`soak: ${message}\nusage: npm run soak -- --seconds N [--rate R] [--kills K] [--accounts A] [--seed S] [--json FILE] [--data-dir DIR]\n`);
  process.exit(2);
}

function positive(name: string, text: string | undefined, fallback: number, integer = true): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) usage(`--${name} must be a positive ${integer ? 'whole ' : ''}number, got "${text}"`);
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      seconds: { type: 'string' },
      rate: { type: 'string' },
      kills: { type: 'string' },
      accounts: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean' },
    },
  }).values;
} catch (err) {
  usage((err as Error).message);
}
if (args.help) {
  process.stdout.write('soak: signed webhooks at a fixed rate, paper venues failing at random, SIGKILLs; then a reconciliation.\n');
  process.exit(0);
}
const seconds = positive('seconds', args.seconds, 60);
// One kill per 45 s of run by default, at least two.
const kills = args.kills === '0' ? 0 : positive('kills', args.kills, Math.max(2, Math.floor(seconds / 45)));
const options = {
  seconds,
  rate: positive('rate', args.rate, 20, false),
  kills,
  accounts: positive('accounts', args.accounts, 8),
  seed: args.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : positive('seed', args.seed, 1),
  ...(args['data-dir'] ? { dataDir: args['data-dir'] } : {}),
  log: (line: string) => process.stderr.write(`${line}\n`),
};

try {
  const report = await runSoak(options);
  process.stdout.write(`${formatTally(report)}\n`);
  if (args.json) {
    const { hooks: _hooks, ...rest } = report;
    writeFileSync(args.json, `${JSON.stringify(rest, null, 2)}\n`);
  }
  process.exit(report.violations.length === 0 ? 0 : 1);
} catch (err) {
  process.stderr.write(`soak: the run failed: ${(err as Error).message}\n`);
  process.exit(1);
}
