/**
 * `hedgehook halt|resume`: the kill switch, on the data dir of a running or stopped
 * service. A running service reads it for every decision, so a halt applies to the next
 * signal; signals are still journaled and decided, and recorded as skipped (HH_RISK_HALTED).
 */
import type { Command } from 'commander';
import { HedgehookError } from '../../core/errors.ts';
import { dirOptions, whoAmI, withState, type DirOptions } from '../data-dir.ts';

export function registerHalt(program: Command): void {
  dirOptions(program.command('halt').description('engage the kill switch: no new orders (webhooks are still journaled and decided)'))
    .option('--reason <text>', 'why, recorded with every skipped decision')
    .option('--by <name>', 'who (default: the OS user)')
    .action(async (opts: DirOptions & { reason?: string; by?: string }) => {
      if (opts.reason !== undefined && (opts.reason.trim() === '' || opts.reason.length > 500)) {
        throw new HedgehookError('HH_ERR_USAGE', '--reason: 1 to 500 characters');
      }
      const by = whoAmI(opts.by);
      await withState(opts, async ({ controls }) => {
        const state = await controls.halt({ by, at: Date.now(), ...(opts.reason !== undefined ? { reason: opts.reason } : {}) });
        process.stdout.write(`halted by ${state.by}${state.reason ? `: ${state.reason}` : ''} (no new orders until hedgehook resume)\n`);
      });
    });

  dirOptions(program.command('resume').description('release the kill switch: new orders are allowed again'))
    .option('--by <name>', 'who (default: the OS user)')
    .action(async (opts: DirOptions & { by?: string }) => {
      const by = whoAmI(opts.by);
      await withState(opts, async ({ controls }) => {
        const before = await controls.killSwitch();
        if (!before.halted) {
          process.stdout.write('not halted; nothing to resume\n');
          return;
        }
        await controls.resume({ by, at: Date.now() });
        process.stdout.write(`resumed by ${by}: new orders allowed\n`);
      });
    });
}
