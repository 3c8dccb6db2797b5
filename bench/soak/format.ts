/** The soak's printed tally. */
import type { SoakReport } from './soak.ts';

const list = (m: Record<string, number>) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

export function formatTally(r: SoakReport): string {
  const t = r.tally;
  const o = r.options;
  const ok = r.violations.length === 0;
  const lines = [
    `hedgehook soak: ${o.seconds} s at ${o.rate} webhooks/s over ${o.accounts} keys, seed ${o.seed} (data dir ${r.dataDir})`,
    `  run        ${r.elapsedS.toFixed(1)} s; ${r.windows.length} fault windows; ${r.starts} starts, ${r.kills.length} SIGKILL, ${r.gracefulStops} graceful stops (${r.badExits.length} bad exits); ${r.errorLogLines} error log lines`,
    ...(r.errorLogLines > 0 ? [`  error logs ${list(r.errorMessages)}`] : []),
    ...r.kills.map((k, i) => `  kill #${i + 1}    at ${k.atS.toFixed(1)} s: ${k.acknowledgedSoFar} acknowledged so far; ${k.signalsProcessing} signals processing, ${k.legsInFlight} order legs in flight, ${k.queueDepth} queued`),
    `  webhooks   ${r.sent} sent, ${r.acknowledged.accepted + r.acknowledged.duplicate} acknowledged (${r.acknowledged.accepted} × 202, ${r.acknowledged.duplicate} × 200 duplicate of an unanswered first attempt)`,
    `             answers: ${list(r.sender.answers)}; ${r.sender.resent} deliberate resends, ${r.sender.resendMismatches.length} not recognised as duplicates; drained ${r.drainS.toFixed(1)} s after the load`,
  ];
  if (t) {
    lines.push(
      `  journal    ${t.signals} signals over ${t.keys} keys: ${list(t.states)}; ${t.processedEvents} processed events, ${t.retryEvents} retries; ${t.rejections} rejected requests`,
      `  dlq        ${t.deadLetters} dead-lettered, each with its reason:`,
      ...Object.entries(t.deadReasons).sort((a, b) => b[1] - a[1]).map(([why, n]) => `             ${String(n).padStart(6)}  ${why}`),
      `  orders     ${t.legs} legs (${t.hedgeLegs} hedge, ${t.unwindLegs} unwind; ${t.filledLegs} with a fill): ${list(t.legsByStatus)}`,
      `             ${t.legsNotFoundAfterRestart} legs sent by a killed process and unknown to the restarted paper venue (failed); ${t.unsettledLegs} unsettled (dead-lettered signals only)`,
      `  checked    ${t.placementsChecked} hedged signals: fills so far = decided target; ${t.positionLegsChecked} (account, symbol, venue) positions = Σ fills; ${t.apiSignalsChecked} signals via the API`,
    );
  }
  lines.push(ok ? '  result     PASS: nothing lost, nothing processed or placed twice, positions = Σ fills, order per key kept' : `  result     FAIL: ${r.violations.length} violations`);
  for (const v of r.violations) lines.push(`    [${v.check}] ${v.detail}`);
  return lines.join('\n');
}
