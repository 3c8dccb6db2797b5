import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.ts';
import { AlertDelivery, backoffDelay, type DeliveryOptions, type DeliveryResult } from '../../src/alerts/delivery.ts';
import type { Notification } from '../../src/alerts/manager.ts';
import { settle, startSink, type Answer } from './sink.ts';

const note = (key: string, status: Notification['status'] = 'firing'): Notification => ({
  status,
  alert: { key, rule: 'venue', severity: 'critical', summary: `venue ${key} is down`, labels: { venue: key } },
  startsAt: Date.UTC(2026, 10, 24, 1, 30),
  ...(status === 'resolved' ? { endsAt: Date.UTC(2026, 10, 24, 1, 35) } : {}),
  suppressed: 0,
});

async function setup(answer: (n: number) => Answer, opts: Partial<DeliveryOptions> = {}) {
  const sink = await startSink(answer);
  const clock = new ManualClock(0);
  const results: DeliveryResult[] = [];
  const delivery = new AlertDelivery({
    url: sink.url,
    format: 'json',
    timeoutMs: 5_000,
    maxAttempts: 4,
    baseDelayMs: 1_000,
    maxDelayMs: 60_000,
    queueSize: 100,
    clock,
    onResult: (r) => results.push(r),
    ...opts,
  });
  return { sink, clock, results, delivery };
}

test('backoff doubles from the base and stops at the cap', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(a, 1000, 30_000)), [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
});

test('a notification is posted as JSON with its alert fields', async () => {
  const { sink, delivery, results } = await setup(() => ({ status: 204 }), { headers: { authorization: 'Bearer sink-token' } });
  try {
    delivery.send(note('backup'));
    await delivery.idle();
    assert.equal(sink.received.length, 1);
    const r = sink.received[0]!;
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers.authorization, 'Bearer sink-token');
    assert.deepEqual(r.body, {
      service: 'hedgehook',
      status: 'firing',
      key: 'backup',
      rule: 'venue',
      severity: 'critical',
      summary: 'venue backup is down',
      labels: { venue: 'backup' },
      startsAt: '2026-11-24T01:30:00.000Z',
      endsAt: null,
      suppressed: 0,
    });
    assert.deepEqual(results, ['sent']);
  } finally {
    await sink.close();
  }
});

test('slack, discord and telegram get the bodies their APIs take', async () => {
  for (const [format, check] of [
    ['slack', (b: Record<string, unknown>) => assert.match(String(b.text), /^🔴 FIRING \[critical\] venue backup is down \(hedgehook\)$/)],
    ['discord', (b: Record<string, unknown>) => {
      assert.match(String(b.content), /^✅ RESOLVED venue backup is down/);
      assert.deepEqual(b.allowed_mentions, { parse: [] });
    }],
    ['telegram', (b: Record<string, unknown>) => {
      assert.equal(b.chat_id, -100123);
      assert.match(String(b.text), /FIRING/);
    }],
  ] as const) {
    const { sink, delivery } = await setup(() => ({ status: 200 }), { format, telegramChatId: -100123 });
    try {
      delivery.send(note('backup', format === 'discord' ? 'resolved' : 'firing'));
      await delivery.idle();
      check(sink.received[0]!.body);
    } finally {
      await sink.close();
    }
  }
});

test('failed posts are retried with exponential backoff on the clock, in order', async () => {
  const { sink, clock, delivery, results } = await setup((n) => (n <= 2 ? { status: n === 1 ? 500 : 503 } : { status: 200 }));
  try {
    delivery.send(note('a'));
    delivery.send(note('a', 'resolved'));
    await sink.waitFor(1);
    await settle();
    assert.equal(sink.received.length, 1);
    clock.advance(999);
    await settle();
    assert.equal(sink.received.length, 1, 'nothing before the first backoff (1 s)');
    clock.advance(1);
    await sink.waitFor(2);
    await settle();
    clock.advance(1999);
    await settle();
    assert.equal(sink.received.length, 2, 'the second backoff is 2 s');
    clock.advance(1);
    await sink.waitFor(4);
    await delivery.idle();
    assert.deepEqual(sink.received.map((r) => r.body.status), ['firing', 'firing', 'firing', 'resolved'], 'the resolution waited for its firing');
    assert.deepEqual(results, ['retried', 'retried', 'sent', 'sent']);
  } finally {
    await sink.close();
  }
});

test('429 honours Retry-After; a 4xx is not retried; attempts are bounded', async () => {
  const { sink, clock, delivery, results } = await setup((n) => {
    if (n === 1) return { status: 429, headers: { 'retry-after': '7' } };
    if (n === 3) return { status: 400 };
    if (n >= 4) return { status: 502 };
    return { status: 200 };
  }, { maxAttempts: 2 });
  try {
    delivery.send(note('a'));
    delivery.send(note('b'));
    delivery.send(note('c'));
    await sink.waitFor(1);
    await settle();
    clock.advance(6_999);
    await settle();
    assert.equal(sink.received.length, 1);
    clock.advance(1);
    await sink.waitFor(4);
    await settle();
    assert.deepEqual(results.slice(0, 3), ['retried', 'sent', 'failed'], 'a retried after 7 s; b refused with 400, not retried');
    await settle();
    clock.advance(1_000);
    await sink.waitFor(5);
    await delivery.idle();
    assert.deepEqual(results, ['retried', 'sent', 'failed', 'retried', 'failed'], 'c gave up after maxAttempts');
    assert.deepEqual(sink.received.map((r) => r.body.key), ['a', 'a', 'b', 'c', 'c']);
  } finally {
    await sink.close();
  }
});

test('a sink that hangs holds up only its own bounded queue; a timeout is retried', async () => {
  const { sink, clock, delivery, results } = await setup(() => 'hang', { queueSize: 3, timeoutMs: 2_000 });
  try {
    for (let i = 0; i < 10; i++) delivery.send(note(`k${i}`));
    assert.equal(delivery.pending, 3, 'send returned at once and the queue stayed bounded');
    assert.deepEqual(results, Array(7).fill('dropped'), 'the oldest waiting notifications were dropped');
    await sink.waitFor(1);
    clock.advance(2_000);
    await settle();
    assert.deepEqual(results.slice(7), ['retried'], 'no answer within the timeout counts as a failed attempt');
    delivery.stop();
    assert.equal(delivery.pending, 0);
  } finally {
    await sink.close();
  }
});

test('an unreachable sink is retried too', async () => {
  const { sink, delivery, results } = await setup(() => ({ status: 200 }), { maxAttempts: 1 });
  await sink.close();
  delivery.send(note('a'));
  await delivery.idle();
  assert.deepEqual(results, ['failed']);
});
