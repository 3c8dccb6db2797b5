/** The baseline: a bare Fastify route that only answers 202, measured in the same run. */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/webhooks/:source', async (_req, reply) => reply.code(202).send({ ok: true }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening on ${address}\n`);
