/** Every metric is documented in docs/metrics.md, and the Grafana dashboard uses only real names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startMonitoredService } from '../helpers/monitored-service.ts';

const DOCS = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
const GRAFANA = readFileSync(new URL('../../docs/grafana/hedgehook.json', import.meta.url), 'utf8');
/** prom-client's process and runtime defaults, documented upstream. */
const DEFAULTS = /^hedgehook_(process_|nodejs_)/;

test('every hedgehook metric is in docs/metrics.md and every Grafana query names a real metric', async () => {
  const svc = await startMonitoredService();
  try {
    // Labelled series appear once something was observed.
    const t = svc.monitoring.telemetry;
    t.observeOrder({ venue: 'primary', outcome: 'filled', latencyMs: 20 });
    t.setVenueHealth({ venue: 'primary', up: true });
    t.setEquity({ account: 'main', hedged: 1, unhedged: 1 });
    t.setMargin({ account: 'main', venue: 'primary', symbol: 'TRX/USDT:USDT', ratio: 0.1 });
    svc.metrics.observeAlertNotification('sent');
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    const names = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!).filter((n) => !DEFAULTS.test(n));
    assert.ok(names.length >= 20, `found ${names.length} metrics`);
    const undocumented = names.filter((n) => !DOCS.includes(`\`${n}\``));
    assert.deepEqual(undocumented, []);

    const dashboard = JSON.parse(GRAFANA) as { panels: { targets?: { expr: string }[] }[] };
    const used = new Set(dashboard.panels.flatMap((p) => p.targets ?? []).flatMap((t) => [...t.expr.matchAll(/hedgehook_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ''))));
    assert.ok(used.size >= 15, `the dashboard uses ${used.size} metrics`);
    assert.deepEqual([...used].filter((n) => !names.includes(n)), []);
  } finally {
    await svc.stop();
  }
});
