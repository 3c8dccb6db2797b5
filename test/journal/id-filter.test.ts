import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { IdFilter } from '../../src/journal/sqlite/id-filter.ts';

describe('the id filter (id-filter.ts)', () => {
  test('an empty filter has nothing', () => {
    const f = new IdFilter();
    assert.equal(f.mayHave('msg_anything'), false);
    assert.equal(f.size, 0);
    assert.equal(f.bytes, 0);
  });

  test('never misses an id it was given, across the layers it grows, and rarely claims one it was not', () => {
    const f = new IdFilter();
    const added = Array.from({ length: 300_000 }, (_, i) => (i % 3 === 0 ? `msg_${randomUUID()}` : `tv_${i.toString(36)}_${randomUUID().slice(0, 8)}`));
    for (const id of added) f.add(id);
    assert.equal(f.size, added.length);
    for (const id of added) if (!f.mayHave(id)) assert.fail(`lost ${id}`);
    // Five layers (16k … 256k ids): each adds at most 0.1% false positives.
    let falsePositives = 0;
    const probes = 200_000;
    for (let i = 0; i < probes; i++) if (f.mayHave(`msg_${randomUUID()}`)) falsePositives++;
    assert.ok(falsePositives / probes < 0.006, `false positive rate ${falsePositives / probes}`);
    // About 16 bits per id in the layers it has: 16k+32k+…+256k ids of capacity.
    assert.ok(f.bytes <= (2 * 300_000 * 16 * 2) / 8, `${f.bytes} bytes`);
  });

  test('ids that differ in one character, or only in length, are told apart', () => {
    const f = new IdFilter();
    const base = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    f.add(base);
    let claimed = 0;
    for (let i = 0; i < base.length; i++) {
      for (const c of 'abcXYZ019_') {
        const other = base.slice(0, i) + c + base.slice(i + 1);
        if (other !== base && f.mayHave(other)) claimed++;
      }
    }
    for (let n = 1; n < base.length; n++) if (f.mayHave(base.slice(0, n))) claimed++;
    assert.equal(claimed, 0);
    assert.equal(f.mayHave(base), true);
  });
});
