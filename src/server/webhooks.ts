/**
 * POST /webhooks/:source — verify, validate, journal, and only then answer 202.
 * Every rejection is answered with one line naming the reason and recorded in the journal.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import { HedgehookError, isHedgehookError, type ErrorCode } from '../core/errors.ts';
import type { Journal } from '../core/ports.ts';
import { auditHeaders, prepareSource, receive, redactBody } from '../ingest/receive.ts';
import { RateLimiter } from '../ingest/rate-limit.ts';
import type { SourceSettings } from '../ingest/source.ts';
import type { Metrics } from './metrics.ts';
import { statusFor } from './status.ts';

interface WebhookDeps {
  journal: Journal;
  sources: ReadonlyMap<string, SourceSettings>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  state: { draining: boolean };
}

type Outcome = 'accepted' | 'duplicate' | 'rejected';

declare module 'fastify' {
  interface FastifyRequest {
    hhOutcome?: Outcome;
    /** For the live event: the signal id when journaled, the HH_ERR_ code when rejected. */
    hhSignalId?: string;
    hhReason?: string;
  }
}

/** Fastify's own errors, raised before our handler runs, in our vocabulary. */
function fromFastifyError(err: FastifyError): HedgehookError {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HedgehookError('HH_ERR_BODY_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HedgehookError(err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'HH_ERR_UNSUPPORTED_MEDIA_TYPE' : 'HH_ERR_BAD_REQUEST');
    default:
      if (err.statusCode === 413) return new HedgehookError('HH_ERR_BODY_TOO_LARGE');
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
        return new HedgehookError('HH_ERR_BAD_REQUEST', (err.message || 'bad request').split('\n')[0]);
      }
      return new HedgehookError('HH_ERR_INTERNAL', 'internal error', { cause: err });
  }
}

/** Only configured source names become metric labels, so a scanner cannot explode cardinality. */
function sourceLabel(deps: WebhookDeps, source: string): string {
  return deps.sources.has(source) ? source : 'unknown';
}

export function registerWebhooks(app: FastifyInstance, deps: WebhookDeps): void {
  const rateLimiter = new RateLimiter(deps.clock);
  // Derive keys and allowlists now, so a bad secret fails at start-up rather than on the first webhook.
  for (const settings of deps.sources.values()) prepareSource(settings);
  const bodyLimit = Math.max(64 * 1024, ...[...deps.sources.values()].map((s) => s.maxBodyBytes));

  app.register(async (scope) => {
    // Verification needs the exact bytes: no parser may touch the body before we do, and
    // every content type reaches the handler so the rejection order stays ours (404 first).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

    scope.addHook('onResponse', async (req, reply) => {
      const source = sourceLabel(deps, (req.params as { source?: string }).source ?? '');
      deps.metrics.observeWebhook(source, req.hhOutcome ?? 'rejected', reply.elapsedTime, req.hhSignalId, req.hhReason);
    });

    scope.setErrorHandler(async (err: FastifyError, req, reply) => {
      const hhErr = isHedgehookError(err) ? err : fromFastifyError(err);
      if (hhErr.code === 'HH_ERR_INTERNAL') req.log.error({ err }, 'webhook handler failed');
      return reject(deps, req, reply, hhErr);
    });

    scope.post<{ Params: { source: string } }>('/webhooks/:source', async (req, reply) => {
      if (deps.state.draining) throw new HedgehookError('HH_ERR_SHUTTING_DOWN');
      const settings = deps.sources.get(req.params.source);
      if (!settings) throw new HedgehookError('HH_ERR_UNKNOWN_SOURCE', `unknown source "${req.params.source.slice(0, 64)}"`);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const signal = receive(
        { source: settings.name, body, contentType: req.headers['content-type'], headers: req.headers, remoteAddr: req.ip },
        settings,
        { clock: deps.clock, rateLimiter },
      );
      const result = await deps.journal.append(signal);
      req.hhOutcome = result.status;
      req.hhSignalId = result.id;
      if (result.status === 'duplicate') return reply.code(200).send({ id: result.id, duplicate: true });
      return reply.code(202).send({ id: result.id, seq: result.seq });
    });
  });
}

/** Failures that happen only once the sender proved who it is: their body is worth keeping whole. */
const AFTER_AUTH = new Set<string>(['HH_ERR_MALFORMED_JSON', 'HH_ERR_INVALID_PAYLOAD', 'HH_ERR_RATE_LIMITED', 'HH_ERR_JOURNAL_UNAVAILABLE']);
/** Anyone can send an unauthenticated body; keeping a short excerpt stops disk-filling floods. */
const UNAUTHENTICATED_EXCERPT = 512;

function reject(deps: WebhookDeps, req: FastifyRequest, reply: FastifyReply, err: HedgehookError) {
  const status = statusFor(err.code as ErrorCode);
  const source = (req.params as { source?: string }).source ?? '';
  const settings = deps.sources.get(source);
  req.hhOutcome = 'rejected';
  req.hhReason = err.code;
  deps.metrics.rejections.inc({ source: sourceLabel(deps, source), reason: err.code });
  deps.journal.recordRejection({
    at: deps.clock.now(),
    source: source.slice(0, 64),
    remoteAddr: req.ip,
    status,
    code: err.code,
    reason: err.message,
    bodyExcerpt: Buffer.isBuffer(req.body) && settings
      ? redactBody(settings, req.body, AFTER_AUTH.has(err.code) ? settings.maxBodyBytes : UNAUTHENTICATED_EXCERPT)
      : undefined,
    headers: auditHeaders(req.headers),
  });
  req.log.info({ source, status, code: err.code, reason: err.message, ip: req.ip }, 'webhook rejected');
  if (status === 429) reply.header('retry-after', '1');
  return reply.code(status).send({ error: err.code, message: err.message });
}
