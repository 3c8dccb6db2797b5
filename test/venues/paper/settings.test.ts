import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paperVenueSettingsSchema, parsePaperVenueSettings } from '../../../src/venues/paper/settings.ts';

test("the contract's short form gets every default", () => {
  const s = parsePaperVenueSettings({ id: 'primary', kind: 'paper', latencyMs: 20 });
  assert.equal(s.latencyMs, 20);
  assert.equal(s.down, false);
  assert.equal(s.rejectRate, 0);
  assert.equal(s.takerFee, 0.0005);
  assert.equal(s.makerFee, 0.0002);
  assert.equal(s.fundingIntervalHours, 8);
  assert.equal(s.positionMode, 'one-way');
  assert.equal(s.abortedRequests, 'applied');
});

test('mistakes are reported per field: range, unknown key, wrong kind, bad instrument', () => {
  const r = paperVenueSettingsSchema.safeParse({
    id: 'p', kind: 'ccxt', rejectRate: 1.5, latencyMs: -1, surprise: true,
    instruments: [{ symbol: 'X', tickSize: 'abc', stepSize: 1, minNotional: 5 }],
  });
  assert.equal(r.success, false);
  const paths = r.error!.issues.map((i) => i.path.join('.') || i.code).sort();
  assert.deepEqual(paths, ['instruments.0.tickSize', 'kind', 'latencyMs', 'rejectRate', 'unrecognized_keys']);
});
