import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A constant-time bearer-token check; hashing first keeps the comparison length-independent. */
export function bearerGuard(token: string | undefined) {
  if (!token) return undefined;
  const expected = createHash('sha256').update(token).digest();
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    const ok = timingSafeEqual(createHash('sha256').update(given).digest(), expected);
    if (!ok) {
      reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'HH_ERR_UNAUTHORIZED', message: 'missing or wrong bearer token' });
      return reply;
    }
  };
}
