import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertManager } from '../../src/alerts/manager.ts';
import type { Condition } from '../../src/alerts/rules.ts';

const cond = (key: string, summary = key): Condition => ({ key, rule: 'venue', severity: 'critical', summary, labels: {} });
const sent = (r: ReturnType<AlertManager['update']>) => r.notifications.map((n) => `${n.status}:${n.alert.key}`);

test('a condition that holds is announced once, and resolved once', () => {
  const m = new AlertManager({ cooldownMs: 0, maxPerMinute: 10 });
  assert.deepEqual(sent(m.update([cond('a')], 0)), ['firing:a']);
  for (let t = 1; t <= 5; t++) assert.deepEqual(sent(m.update([cond('a', `a at ${t}`)], t * 1000)), []);
  const r = m.update([], 9000);
  assert.deepEqual(sent(r), ['resolved:a']);
  assert.equal(r.notifications[0]!.startsAt, 0);
  assert.equal(r.notifications[0]!.endsAt, 9000);
  assert.equal(r.notifications[0]!.alert.summary, 'a at 5', 'the resolution carries the latest numbers');
  assert.deepEqual(sent(m.update([], 10_000)), []);
});

test('a flapping condition is announced once per cooldown, and its unannounced episodes never resolve', () => {
  const m = new AlertManager({ cooldownMs: 60_000, maxPerMinute: 100 });
  const out: string[] = [];
  for (let t = 0; t < 50; t++) out.push(...sent(m.update(t % 2 === 0 ? [cond('v')] : [], t * 1000)));
  assert.deepEqual(out, ['firing:v', 'resolved:v'], '25 flaps in 50 s make one alert');
  // Still flapping after the cooldown: one more, not 25.
  for (let t = 60; t < 110; t++) out.push(...sent(m.update(t % 2 === 0 ? [cond('v')] : [], t * 1000)));
  assert.deepEqual(out, ['firing:v', 'resolved:v', 'firing:v', 'resolved:v']);
});

test('an alert held back by the cooldown is announced when the cooldown ends if it still holds', () => {
  const m = new AlertManager({ cooldownMs: 60_000, maxPerMinute: 100 });
  m.update([cond('d')], 0);
  m.update([], 1000);
  assert.deepEqual(sent(m.update([cond('d')], 2000)), []);
  assert.deepEqual(sent(m.update([cond('d')], 59_999)), []);
  const r = m.update([cond('d')], 60_000);
  assert.deepEqual(sent(r), ['firing:d']);
  assert.equal(r.notifications[0]!.startsAt, 2000, 'the episode started when the condition came back');
  assert.equal(r.notifications[0]!.suppressed, 1);
});

test('no storm: at most maxPerMinute firings a minute; the rest wait and are not lost', () => {
  const m = new AlertManager({ cooldownMs: 0, maxPerMinute: 3 });
  const many = Array.from({ length: 10 }, (_, i) => cond(`k${i}`));
  const first = m.update(many, 0);
  assert.deepEqual(sent(first), ['firing:k0', 'firing:k1', 'firing:k2']);
  assert.deepEqual(sent(m.update(many, 30_000)), []);
  const next = m.update(many, 60_001);
  assert.deepEqual(sent(next), ['firing:k3', 'firing:k4', 'firing:k5']);
  assert.equal(next.notifications[0]!.suppressed, 7, 'the first to go out says how many waited');
  assert.equal(next.notifications[1]!.suppressed, 0);
  // Resolutions are never held: one per announced firing.
  assert.deepEqual(sent(m.update([], 60_002)), ['resolved:k0', 'resolved:k1', 'resolved:k2', 'resolved:k3', 'resolved:k4', 'resolved:k5']);
});

test('transitions report every fire and resolve, announced or not (the dashboard shows all)', () => {
  const m = new AlertManager({ cooldownMs: 0, maxPerMinute: 1 });
  const r1 = m.update([cond('a'), cond('b')], 0);
  assert.deepEqual(r1.transitions.map((t) => `${t.firing}:${t.key}`), ['true:a', 'true:b']);
  assert.deepEqual([...m.firing()].sort(), ['a', 'b']);
  const r2 = m.update([], 1);
  assert.deepEqual(r2.transitions.map((t) => `${t.firing}:${t.key}`), ['false:a', 'false:b']);
  assert.deepEqual(sent(r2), ['resolved:a'], 'b was never announced, so its resolution is not either');
});
