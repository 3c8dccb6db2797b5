/**
 * The receive step alone (verify, parse, validate, ids), in process, on the bench's
 * webhook: CPU time per call, and under callgrind an instruction count (subtract a
 * `--count 0` run).
 *
 *   node --import tsx bench/receive-micro.ts [--count N]
 */
import { systemClock } from '../src/core/clock.ts';
import { receive } from '../src/ingest/receive.ts';
import { RateLimiter } from '../src/ingest/rate-limit.ts';
import type { SourceSettings } from '../src/ingest/source.ts';
import { signedWebhook, TEST_SECRET } from '../test/helpers/service-process.ts';

const i = process.argv.indexOf('--count');
const COUNT = i >= 0 ? Number(process.argv[i + 1]) : 20000;
const PAYLOAD = { symbol: 'TRXUSDT.P', action: 'update', account: 'main', type: 'breakout', strength: 0.8, price: 0.2412, position: { side: 'long', size: 50000, leverage: 10 } };

const settings: SourceSettings = {
  name: 'default',
  scheme: 'standard',
  secrets: [TEST_SECRET],
  toleranceSeconds: 300,
  maxBodyBytes: 64 * 1024,
  rateLimit: { burst: 1_000_000_000, perSecond: 1_000_000_000 },
} as SourceSettings;
const deps = { clock: systemClock, rateLimiter: new RateLimiter(systemClock) };

// Signed ahead of time: signing is the sender's cost, not ours.
const requests = Array.from({ length: Math.max(COUNT, 1000) }, () => {
  const hook = signedWebhook(PAYLOAD);
  return {
    source: 'default',
    body: Buffer.from(hook.body),
    contentType: 'application/json',
    headers: { host: '127.0.0.1:8080', connection: 'keep-alive', 'content-length': String(hook.body.length), ...hook.headers },
    remoteAddr: '127.0.0.1',
  };
});
for (let n = 0; n < 1000; n++) receive(requests[n]!, settings, deps); // warm-up
const cpu0 = process.cpuUsage();
for (let n = 0; n < COUNT; n++) receive(requests[n]!, settings, deps);
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ phase: 'receive', ops: COUNT, cpuMicrosPerOp: COUNT ? Math.round(((cpu.user + cpu.system) / COUNT) * 10) / 10 : 0 })}\n`);
