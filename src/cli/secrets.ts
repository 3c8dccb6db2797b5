/**
 * Where secrets come from: the environment, a secrets file in the data dir (mode 0600),
 * or, for the default source only, one generated on first start. Never from logs.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HedgehookError } from '../core/errors.ts';
import { TRADINGVIEW_ADDRESSES, type SourceSettings } from '../ingest/source.ts';
import type { Config } from './config.ts';

export interface Announce {
  (line: string): void;
}

/** Reads a secret file, or creates it with `make()` and mode 0600; says whether it was created. */
export function readOrCreateSecret(path: string, make: () => string): { value: string; created: boolean } {
  if (existsSync(path)) return { value: readFileSync(path, 'utf8').trim(), created: false };
  const value = make();
  // 'wx' fails if another process created it meanwhile, rather than overwriting its secret.
  writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { value, created: true };
}

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export function resolveSources(
  config: Config,
  dataDir: string,
  env: NodeJS.ProcessEnv,
  announce: Announce,
): Map<string, SourceSettings> {
  const out = new Map<string, SourceSettings>();
  for (const [name, src] of Object.entries(config.sources)) {
    const secrets: string[] = [];
    if (src.secret) secrets.push(src.secret);
    if (src.secretEnv) {
      const fromEnv = env[src.secretEnv];
      if (!fromEnv) throw new HedgehookError('HH_ERR_CONFIG_INVALID', `sources.${name}.secretEnv: environment variable ${src.secretEnv} is not set`);
      secrets.push(fromEnv);
    }
    if (secrets.length === 0 && name === 'default') {
      const fromEnv = env.HEDGEHOOK_WEBHOOK_SECRET;
      if (fromEnv) {
        secrets.push(fromEnv);
      } else {
        const file = join(dataDir, 'webhook-secret');
        const make = src.scheme === 'standard' ? generateWebhookSecret : () => randomBytes(24).toString('base64url');
        const { value, created } = readOrCreateSecret(file, make);
        secrets.push(value);
        if (created) {
          announce(`generated a webhook secret for source "default" and saved it to ${file} (mode 0600):`);
          announce(`  ${value}`);
          announce('  it is shown only this once; give it to your strategy, or set HEDGEHOOK_WEBHOOK_SECRET instead');
        }
      }
    }
    if (secrets.length === 0) {
      throw new HedgehookError('HH_ERR_CONFIG_INVALID', `sources.${name}: needs "secret" or "secretEnv"`);
    }
    secrets.push(...(src.previousSecrets ?? []));
    out.set(name, {
      name,
      scheme: src.scheme,
      secrets,
      allowlist: src.allowlist === 'tradingview' ? [...TRADINGVIEW_ADDRESSES] : src.allowlist,
      maxBodyBytes: src.maxBodyBytes,
      rateLimit: src.rateLimit,
      toleranceSeconds: src.toleranceSeconds,
    });
  }
  return out;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/** The API token: required only when the service listens beyond loopback. */
export function resolveApiToken(config: Config, host: string, dataDir: string, env: NodeJS.ProcessEnv, announce: Announce): string | undefined {
  const given = env.HEDGEHOOK_API_TOKEN ?? config.server.apiToken;
  if (given) return given;
  if (isLoopback(host)) return undefined;
  const file = join(dataDir, 'api-token');
  const { value, created } = readOrCreateSecret(file, () => randomBytes(32).toString('base64url'));
  if (created) {
    announce(`listening beyond loopback: the API needs "Authorization: Bearer <token>"; a token was saved to ${file} (mode 0600):`);
    announce(`  ${value}`);
  }
  return value;
}
