/** The API of issue 3: positions, the kill switch and the model registry. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FITTED } from '../model/model-store-contract.ts';
import { testServer } from '../helpers/server.ts';

const TOKEN = 'a-long-random-api-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

test('GET /api/positions shows the ledger: main position per account and symbol, hedges, exposure', async () => {
  const s = testServer();
  assert.deepEqual((await s.app.inject({ url: '/api/positions' })).json(), { positions: [] });
  s.state.reportSignal({ account: 'main', symbol: 'TRX/USDT:USDT', action: 'open', position: { side: 'long', size: 50_000, entryPrice: 0.2381, leverage: 10 } }, 1_000);
  const res = await s.app.inject({ url: '/api/positions' });
  assert.equal(res.statusCode, 200);
  const [p, ...rest] = (res.json() as { positions: Record<string, unknown>[] }).positions;
  assert.equal(rest.length, 0);
  assert.equal(p!.account, 'main');
  assert.equal(p!.symbol, 'TRX/USDT:USDT');
  assert.deepEqual(p!.main, { account: 'main', symbol: 'TRX/USDT:USDT', side: 'long', size: 50_000, entryPrice: 0.2381, leverage: 10, source: 'payload', updatedAt: 1_000, unrealisedPnl: null });
  assert.deepEqual(p!.hedges, []);
  assert.equal(p!.netHedge, 0);
  assert.equal(p!.netExposure, 50_000);
  assert.equal(p!.hedgeRatio, 0);
});

test('POST /api/halt and /api/resume switch the kill switch, with who, when and why', async () => {
  const s = testServer();
  assert.deepEqual((await s.app.inject({ url: '/api/halt' })).json(), { halted: false, reason: null, by: null, at: null });
  const halt = await s.app.inject({ method: 'POST', url: '/api/halt', payload: { reason: 'exchange maintenance', by: 'alice' } });
  assert.equal(halt.statusCode, 200);
  assert.deepEqual(halt.json(), { halted: true, reason: 'exchange maintenance', by: 'alice', at: new Date(s.clock.now()).toISOString() });
  assert.equal((await s.controls.killSwitch()).halted, true);
  assert.deepEqual((await s.app.inject({ url: '/api/halt' })).json(), halt.json());

  const resume = await s.app.inject({ method: 'POST', url: '/api/resume' });
  assert.equal(resume.statusCode, 200);
  const body = resume.json() as { halted: boolean; by: string };
  assert.equal(body.halted, false);
  assert.match(body.by, /^api /, 'without a name, the API and the caller address are recorded');
  assert.equal((await s.controls.killSwitch()).halted, false);

  // A halt without a body is fine; a bad body is 400 and changes nothing.
  assert.equal((await s.app.inject({ method: 'POST', url: '/api/halt' })).statusCode, 200);
  await s.app.inject({ method: 'POST', url: '/api/resume' });
  const bad = await s.app.inject({ method: 'POST', url: '/api/halt', payload: { reason: '', typo: 1 } });
  assert.equal(bad.statusCode, 400);
  assert.equal((bad.json() as { error: string }).error, 'HH_ERR_BAD_REQUEST');
  assert.equal((await s.controls.killSwitch()).halted, false);
  assert.deepEqual((await s.controls.history()).map((e) => e.action), ['halt', 'resume', 'halt', 'resume']);
});

test('GET /api/models lists the versions, the active one and the activations', async () => {
  const s = testServer();
  let res = (await s.app.inject({ url: '/api/models' })).json() as { active: string; models: { version: string }[]; activations: unknown[] };
  assert.equal(res.active, 'article-v1');
  assert.deepEqual(res.models.map((m) => m.version), ['article-v1']);
  assert.deepEqual(res.activations, []);
  await s.models.put(FITTED);
  await s.models.setActive(FITTED.version, { at: Date.UTC(2026, 11, 1), by: 'alice', reason: 'better out of sample' });
  res = (await s.app.inject({ url: '/api/models' })).json() as typeof res;
  assert.equal(res.active, 'fit-2026-W47');
  assert.deepEqual(res.models.map((m) => m.version), ['article-v1', 'fit-2026-W47']);
  assert.deepEqual(res.activations, [{ version: 'fit-2026-W47', at: '2026-12-01T00:00:00.000Z', by: 'alice', reason: 'better out of sample' }]);
});

test('positions, models and the kill switch are behind the API token like the rest of the API', async () => {
  const s = testServer({ apiToken: TOKEN });
  for (const [method, url] of [['GET', '/api/positions'], ['GET', '/api/models'], ['GET', '/api/halt'], ['POST', '/api/halt'], ['POST', '/api/resume']] as const) {
    assert.equal((await s.app.inject({ method, url })).statusCode, 401, `${method} ${url}`);
  }
  assert.equal((await s.controls.killSwitch()).halted, false, 'an unauthorised halt changes nothing');
  assert.equal((await s.app.inject({ method: 'POST', url: '/api/halt', headers: auth })).statusCode, 200);
  assert.equal((await s.controls.killSwitch()).halted, true);
  assert.equal((await s.app.inject({ url: '/api/positions', headers: auth })).statusCode, 200);
  assert.equal((await s.app.inject({ url: '/api/models', headers: auth })).statusCode, 200);
});
