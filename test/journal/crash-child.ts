/**
 * Run as a child process by sqlite.test.ts: appends, claims, and dies by SIGKILL while the
 * claimed signals are "processing" — no close, no flush, no exit handlers.
 */
import { openSqliteJournal } from '../../src/journal/sqlite/index.ts';
import { makeSignal } from './fixtures.ts';

const path = process.argv[2];
if (!path) throw new Error('usage: crash-child.ts JOURNAL_PATH');
const journal = openSqliteJournal({ path });
await Promise.all([
  journal.append(makeSignal({ n: 1, key: 'A' })),
  journal.append(makeSignal({ n: 2, key: 'A' })),
  journal.append(makeSignal({ n: 3, key: 'B' })),
]);
const claimed = await journal.claim(8, Date.now());
process.stdout.write(`${JSON.stringify(claimed.map((d) => d.seq))}\n`);
process.kill(process.pid, 'SIGKILL');
