import type { FastifyInstance } from 'fastify';
import type { Journal } from '../core/ports.ts';
import type { Metrics } from './metrics.ts';
import { bearerGuard } from './bearer.ts';

export function registerHealth(
  app: FastifyInstance,
  deps: { journal: Journal; state: { draining: boolean }; metrics: Metrics; apiToken?: string },
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    if (deps.state.draining) return reply.code(503).send({ status: 'draining' });
    const writable = await deps.journal.isWritable();
    if (!writable) return reply.code(503).send({ status: 'journal not writable' });
    return { status: 'ready' };
  });

  const guard = bearerGuard(deps.apiToken);
  app.get('/metrics', { onRequest: guard ? [guard] : [] }, async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
