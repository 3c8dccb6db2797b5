/**
 * The soak in `npm test`: 30 s of signed webhooks at a fixed rate over several keys,
 * paper venues failing at random, at least two SIGKILLs of the real service, then the
 * reconciliation (bench/soak/reconcile.ts). `npm run soak -- --seconds N` is the long run.
 *
 * The second half checks the checker: the same journal with a duplicate `processed`
 * event, a lost signal and a doubled fill must each be caught, so a PASS is not vacuous.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Decimal } from '../../src/core/decimal.ts';
import { formatTally } from '../../bench/soak/format.ts';
import { makePlan, windowConfig } from '../../bench/soak/plan.ts';
import { reconcile } from '../../bench/soak/reconcile.ts';
import { runSoak } from '../../bench/soak/soak.ts';
import { freePort, startService } from '../../bench/soak/service.ts';
import { seededRandom } from '../../src/core/random.ts';
import { signalOutcomeSql } from '../../src/journal/sqlite/index.ts';
import { TEST_SECRET } from '../helpers/service-process.ts';

const SEED = process.env.SOAK_SEED ? Number(process.env.SOAK_SEED) : Math.floor(Math.random() * 2 ** 31);

test('soak: 30 s of webhooks, venue faults and SIGKILLs lose nothing and place nothing twice', { timeout: 240_000 }, async (t) => {
  t.diagnostic(`seed ${SEED} (SOAK_SEED=${SEED} repeats this run)`);
  const report = await runSoak({ seconds: 30, rate: 15, kills: 2, accounts: 6, seed: SEED });
  for (const line of formatTally(report).split('\n')) t.diagnostic(line);

  assert.deepEqual(report.violations, []);
  assert.ok(report.kills.length >= 2, `${report.kills.length} kills`);
  const t1 = report.tally;
  assert.ok(t1, 'the run reached the reconciliation');
  assert.equal(t1.signals, report.sent, 'one journaled signal per webhook sent');
  assert.equal(report.acknowledged.accepted + report.acknowledged.duplicate, report.sent, 'every webhook acknowledged');
  assert.ok(t1.filledLegs > 0 && t1.placementsChecked > 0, 'orders were really placed and checked');
  assert.equal(t1.apiSignalsChecked, t1.signals);

  await t.test('the reconciliation catches a duplicate, a loss and a fill counted twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hedgehook-soak-tampered-'));
    cpSync(report.dataDir, dir, { recursive: true });
    const db = new Database(join(dir, 'journal.db'));
    try {
      const settled = db.prepare("SELECT seq FROM signals WHERE state IN ('hedged', 'skipped') ORDER BY seq LIMIT 1").get() as { seq: number };
      db.prepare("INSERT INTO signal_events (signal_seq, type, at, detail) VALUES (?, 'processed', 0, NULL)").run(settled.seq);
      const lost = db.prepare('SELECT seq FROM signals ORDER BY seq DESC LIMIT 1').get() as { seq: number };
      db.prepare("UPDATE signals SET dedup_key = 'msg_tampered' WHERE seq = ?").run(lost.seq);
      const leg = db.prepare(
        `SELECT l.id, l.filled FROM order_legs l JOIN signals s ON s.id = l.signal_id
         WHERE s.state = 'hedged' AND json_extract(${signalOutcomeSql('s')}, '$.decision.outcome') = 'hedge' AND CAST(l.filled AS REAL) > 0
         ORDER BY l.id LIMIT 1`,
      ).get() as { id: number; filled: string };
      db.prepare('UPDATE order_legs SET filled = ? WHERE id = ?').run(Decimal.from(leg.filled).mul(2).toString(), leg.id);
    } finally {
      db.close();
    }
    const config = join(dir, 'tampered-config.json');
    const last = makePlan({ seconds: 30, kills: 2, random: seededRandom(1) }).at(-1)!;
    writeFileSync(config, JSON.stringify(windowConfig(last)));
    const port = await freePort();
    const service = await startService({ dataDir: dir, config, port, secret: TEST_SECRET });
    try {
      // The webhooks as the sender recorded them; the tampered journal must disagree.
      const { violations } = await reconcile({ dataDir: dir, url: `http://127.0.0.1:${port}`, hooks: report.hooks });
      const checks = new Set(violations.map((v) => v.check));
      assert.ok(checks.has('processed twice'), JSON.stringify(violations));
      assert.ok(checks.has('lost'), JSON.stringify(violations));
      assert.ok(checks.has('placed twice'), JSON.stringify(violations));
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  });
});
