import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validatePayload } from '../../src/ingest/payload.ts';
import { DEFAULT_REFERENCE, referenceSignals } from '../../src/backtest/reference-signals.ts';
import { parseSignalLines, signalLines } from '../../src/backtest/signals-file.ts';
import { parseStrategies } from '../../src/backtest/strategies.ts';
import { DEFAULT_MODEL } from '../../src/model/registry.ts';
import { bars, MINUTE } from './helpers.ts';
import { seededRandom } from '../../src/core/random.ts';

// Three days of a random walk with trends, one bar a minute.
function walk(seed: number): ReturnType<typeof bars> {
  const random = seededRandom(seed);
  let p = 0.25;
  let drift = 0;
  const points: [number, number, number][] = [];
  for (let i = 0; i < 3 * 24 * 60; i++) {
    if (i % 240 === 0) drift = (random() - 0.5) * 0.0006;
    const next = p * (1 + drift + (random() - 0.5) * 0.002);
    points.push([Math.min(p, next) * 0.9995, Math.max(p, next) * 1.0005, next]);
    p = next;
  }
  return bars(points);
}

describe('the reference momentum bot', () => {
  const settings = { ...DEFAULT_REFERENCE, equity: 10_000, leverage: 10 };
  const b = walk(11);

  it('is deterministic: same bars and seed, same signals; another seed, other signals', () => {
    const a = referenceSignals(b, MINUTE, settings);
    assert.ok(a.length > 10, `only ${a.length} signals`);
    assert.deepEqual(referenceSignals(b, MINUTE, settings), a);
    assert.notDeepEqual(referenceSignals(b, MINUTE, { ...settings, seed: 2 }), a);
  });

  it('sends valid webhook payloads: one position at a time, opened and closed, at 10x', () => {
    const signals = referenceSignals(b, MINUTE, settings);
    let open = false;
    for (const s of signals) {
      assert.deepEqual(validatePayload(JSON.parse(JSON.stringify(s.payload))), s.payload);
      assert.equal(s.payload.position?.leverage, 10);
      assert.equal(s.time, s.payload.time);
      if (s.payload.action === 'open') {
        assert.equal(open, false, 'opens only when flat');
        open = true;
        assert.ok(s.payload.position!.size * s.payload.price! <= 10_000 * 10);
      } else {
        assert.equal(open, true, `${s.payload.action} without a position`);
        if (s.payload.action === 'close') open = false;
      }
    }
    assert.ok(signals.some((s) => s.payload.action === 'close'));
  });

  it('round-trips through the signal file format', () => {
    const signals = referenceSignals(b, MINUTE, settings);
    assert.deepEqual(parseSignalLines(signalLines(signals), 'ref.jsonl', 'TRX/USDT:USDT'), signals);
  });
});

describe('--strategy', () => {
  it('expands all and reads static ratios; rejects the rest', () => {
    assert.deepEqual(parseStrategies('all', DEFAULT_MODEL).map((s) => [s.name, s.model.version]), [
      ['none', 'static-0'], ['static:0.5', 'static-0.5'], ['static:1', 'static-1'], ['model', 'article-v1'],
    ]);
    assert.deepEqual(parseStrategies('static:0.25,model', DEFAULT_MODEL).map((s) => s.name), ['static:0.25', 'model']);
    assert.throws(() => parseStrategies('static:1.5', DEFAULT_MODEL), /between 0 and 1/);
    assert.throws(() => parseStrategies('hedge-everything', DEFAULT_MODEL), /none, static:R/);
  });
});
