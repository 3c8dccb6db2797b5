import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertsConfigSchema } from '../../src/alerts/config.ts';
import { estimatedMarginRatio, evaluateRules, type AlertSnapshot } from '../../src/alerts/rules.ts';

const cfg = alertsConfigSchema.parse({ silence: { afterMs: 600_000 } });

function snapshot(over: Partial<AlertSnapshot> = {}): AlertSnapshot {
  return {
    now: 1_000_000,
    startedAt: 900_000,
    sources: [{ name: 'default', lastSeenAt: 990_000 }],
    dlqSize: 0,
    killSwitch: { halted: false },
    ack: { valueMs: 2, samples: 100 },
    venues: [{ venue: 'primary', up: true, reason: null, total: 20, failed: 0 }],
    margins: [],
    ...over,
  };
}

const keys = (s: AlertSnapshot, firing: string[] = []) => evaluateRules(s, cfg, new Set(firing)).map((c) => c.key);

test('a healthy service raises nothing', () => {
  assert.deepEqual(keys(snapshot()), []);
});

test('venue: down fires at once; failing needs enough orders; resolves only below the recover line', () => {
  assert.deepEqual(keys(snapshot({ venues: [{ venue: 'backup', up: false, reason: 'HH_ERR_VENUE_UNAVAILABLE', total: 0, failed: 0 }] })), ['venue:backup']);
  const v = (total: number, failed: number) => snapshot({ venues: [{ venue: 'primary', up: true, reason: null, total, failed }] });
  assert.deepEqual(keys(v(4, 4)), [], 'four failures are below minOrders');
  assert.deepEqual(keys(v(10, 5)), ['venue:primary'], 'half failed fires');
  assert.deepEqual(keys(v(10, 4)), [], '40% does not fire…');
  assert.deepEqual(keys(v(10, 4), ['venue:primary']), ['venue:primary'], '…but keeps a firing alert firing (hysteresis)');
  assert.deepEqual(keys(v(10, 2), ['venue:primary']), [], 'at the recover line it resolves');
  const [c] = evaluateRules(v(10, 6), cfg);
  assert.match(c!.summary, /6 of its last 10 orders/);
});

test('dlq: fires from minSize, resolves when drained', () => {
  assert.deepEqual(keys(snapshot({ dlqSize: 3 })), ['dlq']);
  assert.match(evaluateRules(snapshot({ dlqSize: 3 }), cfg)[0]!.summary, /^3 signals in the dead-letter queue/);
  assert.deepEqual(keys(snapshot({ dlqSize: 0 }), ['dlq']), []);
});

test('silence: a source quiet for the configured period fires; counted from start-up when never heard', () => {
  assert.deepEqual(keys(snapshot({ now: 990_000 + 600_000 })), ['silence:default']);
  assert.deepEqual(keys(snapshot({ now: 990_000 + 599_999 })), []);
  const never = evaluateRules(snapshot({ sources: [{ name: 'tv' }], now: 900_000 + 600_000 }), cfg);
  assert.deepEqual(never.map((c) => c.key), ['silence:tv']);
  assert.match(never[0]!.summary, /none since start-up/);
  const perSource = alertsConfigSchema.parse({ silence: { sources: { tv: 60_000 } } });
  const s = snapshot({ sources: [{ name: 'default', lastSeenAt: 0 }, { name: 'tv', lastSeenAt: 930_000 }] });
  assert.deepEqual(evaluateRules(s, perSource).map((c) => c.key), ['silence:tv'], 'only listed sources are watched without afterMs');
});

test('ack latency: fires above the objective with enough samples, resolves at or below it', () => {
  assert.deepEqual(keys(snapshot({ ack: { valueMs: 400, samples: 100 } })), ['ack-latency']);
  assert.deepEqual(keys(snapshot({ ack: { valueMs: 400, samples: 5 } })), [], 'too few samples for a verdict');
  assert.deepEqual(keys(snapshot({ ack: { valueMs: 400, samples: 5 } }), ['ack-latency']), ['ack-latency']);
  assert.deepEqual(keys(snapshot({ ack: { valueMs: 250, samples: 100 } }), ['ack-latency']), []);
  assert.deepEqual(keys(snapshot({ ack: { valueMs: null, samples: 0 } }), ['ack-latency']), []);
});

test('kill switch: fires while halted, naming who and why', () => {
  const [c] = evaluateRules(snapshot({ killSwitch: { halted: true, reason: 'venue maintenance', by: 'ops' } }), cfg);
  assert.equal(c!.key, 'kill-switch');
  assert.match(c!.summary, /by ops: venue maintenance/);
  assert.deepEqual(keys(snapshot({ killSwitch: { halted: false } }), ['kill-switch']), []);
});

test('margin: fires near liquidation with hysteresis', () => {
  const m = (ratio: number) => snapshot({ margins: [{ account: 'main', venue: 'binance', symbol: 'TRX/USDT:USDT', ratio, from: 'venue' }] });
  assert.deepEqual(keys(m(0.85)), ['margin:main:binance:TRX/USDT:USDT']);
  assert.deepEqual(keys(m(0.75)), []);
  assert.deepEqual(keys(m(0.75), ['margin:main:binance:TRX/USDT:USDT']), ['margin:main:binance:TRX/USDT:USDT']);
  assert.deepEqual(keys(m(0.6), ['margin:main:binance:TRX/USDT:USDT']), []);
});

test('every rule can be switched off', () => {
  const off = alertsConfigSchema.parse({ venue: { enabled: false }, dlq: { enabled: false }, ackLatency: { enabled: false }, killSwitch: { enabled: false }, margin: { enabled: false } });
  const bad = snapshot({
    dlqSize: 9,
    killSwitch: { halted: true },
    ack: { valueMs: 900, samples: 100 },
    venues: [{ venue: 'x', up: false, reason: null, total: 0, failed: 0 }],
    margins: [{ account: 'a', venue: 'v', symbol: 's', ratio: 0.99, from: 'venue' }],
    now: 10 ** 12,
  });
  assert.deepEqual(evaluateRules(bad, off), [], 'silence is off without a period');
});

test('the estimated margin ratio is the share of initial margin an adverse move ate', () => {
  const long = { side: 'long', size: 50_000, entryPrice: 0.25, leverage: 10 };
  assert.equal(estimatedMarginRatio(long, 0.25), 0);
  assert.ok(Math.abs(estimatedMarginRatio(long, 0.23)! - 0.8) < 1e-9, '8% down at 10x is 80% of the margin');
  assert.equal(estimatedMarginRatio(long, 0.3), 0, 'a favourable move uses no margin');
  assert.ok(Math.abs(estimatedMarginRatio({ ...long, side: 'short' }, 0.26)! - 0.4) < 1e-9);
  assert.equal(estimatedMarginRatio({ ...long, leverage: undefined } as never, 0.2), null);
  assert.equal(estimatedMarginRatio(long, null), null);
  assert.equal(estimatedMarginRatio({ ...long, side: 'flat' }, 0.2), null);
});

test('the alerts configuration reports mistakes by path', () => {
  const r = alertsConfigSchema.safeParse({ format: 'telegram', url: 'https://api.telegram.org/botX/sendMessage', venue: { failRatio: 0.2, recoverRatio: 0.3 } });
  assert.equal(r.success, false);
  const paths = r.error!.issues.map((i) => i.path.join('.')).sort();
  assert.deepEqual(paths, ['telegramChatId', 'venue.recoverRatio']);
  assert.equal(alertsConfigSchema.safeParse({ url: 'ftp://x' }).success, false);
  assert.equal(alertsConfigSchema.safeParse({ url: 'https://x.example/hook', urlEnv: 'HOOK' }).success, false);
});
