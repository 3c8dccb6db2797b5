/** The ScheduledRuns contract in memory and in the journal's SQLite file (two connections, as two processes have). */
import { join } from 'node:path';
import { InMemoryScheduledRuns } from '../../src/core/scheduled-runs.ts';
import { openSqliteState } from '../../src/journal/sqlite/index.ts';
import { DEFAULT_MODEL, parseModelVersion } from '../../src/model/registry.ts';
import { tempDir } from './fixtures.ts';
import { scheduledRunsContract } from './scheduled-runs-contract.ts';

scheduledRunsContract('InMemoryScheduledRuns', () => ({ runs: new InMemoryScheduledRuns(), cleanup() {} }));

scheduledRunsContract('SqliteScheduledRuns', () => {
  const tmp = tempDir();
  const path = join(tmp.dir, 'journal.db');
  const one = openSqliteState({ path, defaultModel: DEFAULT_MODEL, validate: parseModelVersion });
  const two = openSqliteState({ path, defaultModel: DEFAULT_MODEL, validate: parseModelVersion });
  return {
    runs: one.runs,
    second: two.runs,
    cleanup: () => {
      one.close();
      two.close();
      tmp.remove();
    },
  };
});
