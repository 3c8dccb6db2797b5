import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { HedgehookError } from '../../core/errors.ts';
import { signGithub } from '../../ingest/schemes/github.ts';
import { signStandard } from '../../ingest/schemes/standard.ts';
import { existingFile } from '../options.ts';

interface SendOptions {
  url: string;
  secret?: string;
  scheme: string;
  json?: string;
  file?: string;
  id?: string;
}

/** Builds the exact bytes and headers a real sender would, for each scheme. */
export function buildSignedRequest(opts: { scheme: string; secret: string; body: string; id?: string; nowSeconds: number }) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  let body = opts.body;
  switch (opts.scheme) {
    case 'standard': {
      const id = opts.id ?? `msg_${randomUUID().replaceAll('-', '')}`;
      headers['webhook-id'] = id;
      headers['webhook-timestamp'] = String(opts.nowSeconds);
      headers['webhook-signature'] = signStandard(opts.secret, id, opts.nowSeconds, Buffer.from(body));
      break;
    }
    case 'github':
      if (opts.id) headers['x-github-delivery'] = opts.id;
      headers['x-hub-signature-256'] = signGithub(opts.secret, Buffer.from(body));
      break;
    case 'tradingview': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new HedgehookError('HH_ERR_USAGE', 'the tradingview scheme needs a JSON object body');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new HedgehookError('HH_ERR_USAGE', 'the tradingview scheme needs a JSON object body');
      }
      body = JSON.stringify({ ...parsed, passphrase: opts.secret });
      break;
    }
    default:
      throw new HedgehookError('HH_ERR_USAGE', `--scheme must be standard, github or tradingview, not "${opts.scheme}"`);
  }
  return { headers, body };
}

export function registerSend(program: Command): void {
  program
    .command('send')
    .description('sign and send one webhook; prints the status and the body of the answer')
    .requiredOption('--url <url>', 'the webhook URL, e.g. http://127.0.0.1:8080/webhooks/default')
    .option('--secret <secret>', 'the source secret or passphrase (default: env HEDGEHOOK_WEBHOOK_SECRET)')
    .option('--scheme <scheme>', 'standard | github | tradingview', 'standard')
    .option('--json <text>', 'the payload as JSON text')
    .option('--file <file>', 'read the payload from a file', existingFile)
    .option('--id <id>', 'delivery id (webhook-id / X-GitHub-Delivery); default: a new one')
    .action(async (opts: SendOptions) => {
      if ((opts.json === undefined) === (opts.file === undefined)) {
        throw new HedgehookError('HH_ERR_USAGE', 'give exactly one of --json TEXT or --file F');
      }
      const secret = opts.secret ?? process.env.HEDGEHOOK_WEBHOOK_SECRET;
      if (!secret) throw new HedgehookError('HH_ERR_USAGE', '--secret is required (or set HEDGEHOOK_WEBHOOK_SECRET)');
      let url: URL;
      try {
        url = new URL(opts.url);
      } catch {
        throw new HedgehookError('HH_ERR_USAGE', `--url is not a URL: ${opts.url}`);
      }
      const text = opts.json ?? readFileSync(opts.file!, 'utf8');
      const request = buildSignedRequest({ scheme: opts.scheme, secret, body: text, id: opts.id, nowSeconds: Math.floor(Date.now() / 1000) });
      let response: Response;
      try {
        response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(10_000) });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
        process.stderr.write(`hedgehook send: cannot reach ${url.origin}: ${cause}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${response.status} ${await response.text()}\n`);
      if (!response.ok) process.exitCode = 1;
    });
}
