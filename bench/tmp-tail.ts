import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { signedWebhook, startServiceProcess, writeConfig } from '../test/helpers/service-process.ts';
const PAYLOAD = { symbol: 'TRXUSDT.P', action: 'update', account: 'main', type: 'breakout', strength: 0.8, price: 0.2412, position: { side: 'long', size: 50000, leverage: 10 } };
const probeOut = process.argv[2] ?? '/tmp/keep/probe.jsonl';
const extra = (process.env.NODE_EXTRA ?? '').split(' ').filter(Boolean);
writeFileSync(probeOut, '');
const dataDir = mkdtempSync(join(tmpdir(), 'hh-tail-'));
const config = writeConfig(dataDir, { sources: { default: { scheme: 'standard', rateLimit: { burst: 1e6, perSecond: 1e6 } } }, journal: { synchronous: 'full' }, model: { refit: { enabled: false } }, logLevel: 'warn' });
const hh = await startServiceProcess({ dataDir, config, nodeArgs: ['--import', new URL('./tmp-probe.mjs', import.meta.url).pathname, ...extra], env: { PROBE_OUT: probeOut } });
async function sat(seconds: number) {
  const bodies = Array.from({ length: 4000 }, () => signedWebhook(PAYLOAD));
  let i = 0;
  await autocannon({ url: `${hh.url}/webhooks/default`, connections: 32, duration: seconds, requests: [{ method: 'POST', setupRequest: (r: any) => { const w = bodies[i++ % bodies.length]!; const s = signedWebhook(PAYLOAD); return { ...r, headers: s.headers, body: s.body }; } }] });
}
import { readFileSync as rf } from 'node:fs';
const ticks = () => { const f = rf(`/proc/${hh.pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return Number(f[11]) + Number(f[12]); };
async function drained() {
  for (;;) { const b = ticks(); await new Promise((r) => setTimeout(r, 250)); if (ticks() - b <= 1) return; }
}
async function loop(rate: number, seconds: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const total = rate * (seconds + 1), interval = 1000 / rate, warm = rate;
  const recs: { at: number; ms: number }[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  const u = new URL(hh.url);
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait - 0.5));
    while (performance.now() < due) await new Promise((r) => setImmediate(r));
    const { headers, body } = signedWebhook(PAYLOAD);
    inflight.push(new Promise<void>((resolve) => {
      const t0 = performance.now();
      const req = request({ agent, host: u.hostname, port: u.port, path: '/webhooks/default', method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => { res.resume(); res.on('end', () => { if (i >= warm) recs.push({ at: performance.timeOrigin + t0, ms: performance.now() - t0 }); resolve(); }); });
      req.on('error', () => resolve());
      req.end(body);
    }));
  }
  await Promise.all(inflight);
  agent.destroy();
  return recs;
}
if (!process.env.NOSAT) { await sat(2); await drained();
await sat(5); } await new Promise((r) => setTimeout(r, 500));
const t0 = Date.now();
await drained();
console.error('drain s', (Date.now() - t0) / 1000);
const all: any[] = [];
const dash = process.env.DASH === '1';
let polling = false;
const pollTimes: number[] = [];
async function poller() {
  while (polling) {
    const t = performance.now();
    await Promise.all([...(process.env.NOPERF ? [] : ['/api/dashboard/performance']), '/api/signals?limit=50', '/api/orders?limit=500', '/api/dashboard/summary', '/api/dashboard/series?minutes=60', '/api/positions'].map(async (p) => (await fetch(hh.url + p)).text()));
    pollTimes.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
for (let r = 0; r < 3; r++) {
  polling = dash; const pp = poller();
  const recs = await loop(1000, 5);
  polling = false; await pp;
  const lat = recs.map((x) => x.ms).sort((a, b) => a - b);
  console.log(`round ${r + 1}: p50 ${lat[Math.floor(lat.length * 0.5)]!.toFixed(2)} p99 ${lat[Math.ceil(lat.length * 0.99) - 1]!.toFixed(2)} max ${lat[lat.length - 1]!.toFixed(1)} n ${lat.length}`);
  all.push(recs);
  await drained();
}
if (dash) console.log('poll ms', pollTimes.map((x) => x.toFixed(0)).join(' '));
writeFileSync(probeOut + '.lat.json', JSON.stringify(all));
await new Promise((r) => setTimeout(r, 1000));
console.error('rounds-end', Date.now());
hh.child.kill('SIGTERM'); await hh.exited;
