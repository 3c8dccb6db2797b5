/**
 * `hedgehook dlq list|replay|purge` on the journal of a running or stopped service: the
 * data dir's SQLite file (WAL lets the service and the command both write), or the shared
 * PostgreSQL database, where a replay goes to the outbox and the services publish it.
 */
import type { Command } from 'commander';
import { HedgehookError } from '../../core/errors.ts';
import type { DeadLetterEntry } from '../../core/ports.ts';
import { withState, type DirOptions } from '../data-dir.ts';

function formatTable(entries: DeadLetterEntry[]): string {
  if (entries.length === 0) return 'the dead-letter queue is empty';
  const rows = entries.map((e) => [
    e.signalId,
    String(e.seq),
    e.source,
    e.partitionKey,
    String(e.attempts),
    new Date(e.deadAt).toISOString(),
    `${e.lastError.code}: ${e.lastError.message}`.slice(0, 80),
  ]);
  const head = ['SIGNAL', 'SEQ', 'SOURCE', 'KEY', 'ATTEMPTS', 'DEAD AT', 'LAST ERROR'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description('inspect and replay the dead-letter queue');
  const common = (cmd: Command) =>
    cmd
      .option('--data-dir <dir>', 'the service data dir (env HEDGEHOOK_DATA_DIR, default ./data)')
      .option('--config <file>', 'configuration file (env HEDGEHOOK_CONFIG)');

  common(dlq.command('list').description('list entries in original order'))
    .option('--json', 'print JSON')
    .action(async (opts: DirOptions & { json?: boolean }) => {
      await withState(opts, async ({ dlq: journal }) => {
        const entries = await journal.list();
        process.stdout.write(`${opts.json ? JSON.stringify(entries, null, 2) : formatTable(entries)}\n`);
      });
    });

  common(dlq.command('replay').description('put entries back on the queue, in their original order'))
    .option('--id <id>', 'the signal id of one entry')
    .option('--all', 'every entry')
    .action(async (opts: DirOptions & { id?: string; all?: boolean }) => {
      if (Boolean(opts.id) === Boolean(opts.all)) throw new HedgehookError('HH_ERR_USAGE', 'give exactly one of --id ID or --all');
      await withState(opts, async ({ dlq: journal }) => {
        const result = await journal.replay(opts.all ? 'all' : { ids: [opts.id!] }, Date.now());
        if (opts.id && result.replayed.length === 0) throw new HedgehookError('HH_ERR_NOT_IN_DLQ', `${opts.id} is not in the dead-letter queue`);
        process.stdout.write(`replayed ${result.replayed.length}${result.replayed.length ? `: ${result.replayed.join(' ')}` : ''}\n`);
      });
    });

  common(dlq.command('purge').description('remove one entry from the DLQ (the signal stays in the journal as dead)'))
    .requiredOption('--id <id>', 'the signal id of the entry')
    .action(async (opts: DirOptions & { id: string }) => {
      await withState(opts, async ({ dlq: journal }) => {
        const purged = await journal.purge(opts.id, Date.now());
        if (!purged) throw new HedgehookError('HH_ERR_NOT_IN_DLQ', `${opts.id} is not in the dead-letter queue`);
        process.stdout.write(`purged ${opts.id}\n`);
      });
    });
}
