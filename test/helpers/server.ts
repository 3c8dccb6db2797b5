/** An in-process server over the memory journal, for HTTP tests through fastify.inject. */
import { Writable } from 'node:stream';
import { ManualClock } from '../../src/core/clock.ts';
import { InMemoryControlStore } from '../../src/core/controls.ts';
import { DecisionState } from '../../src/engine/decision-state.ts';
import { InMemoryModelStore } from '../../src/model/registry.ts';
import { createMemoryJournal } from '../../src/journal/memory.ts';
import type { SourceSettings } from '../../src/ingest/source.ts';
import { createLogger } from '../../src/cli/logger.ts';
import { buildServer, type ServerOptions } from '../../src/server/app.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { TEST_SECRET } from './service-process.ts';

export const GITHUB_SECRET = "It's a Secret to Everybody";
export const TV_PASSPHRASE = 'correct horse battery staple';

export function source(name: string, scheme: SourceSettings['scheme'], secrets: string[], extra: Partial<SourceSettings> = {}): SourceSettings {
  return { name, scheme, secrets, maxBodyBytes: 64 * 1024, rateLimit: { burst: 1000, perSecond: 1000 }, toleranceSeconds: 300, ...extra };
}

export function testServer(overrides: Partial<Omit<ServerOptions, 'clock'>> & { extraSources?: SourceSettings[] } = {}) {
  // Real wall-clock time: signatures made with Date.now() must fall inside the tolerance.
  const clock = new ManualClock(Date.now());
  const journal = createMemoryJournal();
  const logs: string[] = [];
  const logger = createLogger('debug', new Writable({ write(chunk, _enc, cb) { logs.push(chunk.toString()); cb(); } }));
  const sources = new Map<string, SourceSettings>(
    [
      source('default', 'standard', [TEST_SECRET]),
      source('gh', 'github', [GITHUB_SECRET]),
      source('tv', 'tradingview', [TV_PASSPHRASE]),
      ...(overrides.extraSources ?? []),
    ].map((s) => [s.name, s]),
  );
  const metrics = createMetrics({ queueDepth: () => journal.depth(), dlqSize: () => journal.size(), journalStats: () => journal.stats() });
  const models = overrides.models ?? new InMemoryModelStore();
  const controls = overrides.controls ?? new InMemoryControlStore();
  const state = new DecisionState();
  const server = buildServer({
    journal,
    queue: journal,
    dlq: journal,
    positions: () => state.positions(),
    sources,
    clock,
    logger,
    metrics,
    trustProxy: false,
    requestTimeoutMs: 10_000,
    headersTimeoutMs: 5_000,
    keepAliveTimeoutMs: 5_000,
    ...overrides,
    models,
    controls,
  });
  return { ...server, journal, logs, clock, metrics, models, controls, state };
}
