/**
 * Runs `hedgehook serve` as a real child process (for crash tests and benchmarks) and
 * signs webhooks the way an outside sender would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signStandard } from '../../src/ingest/schemes/standard.ts';

export const BIN = new URL('../../bin/hedgehook.js', import.meta.url).pathname;
export const TEST_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  pid: number;
  output: () => string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string>;
}

/**
 * Writes a config file. Tests price from the simulated feed unless they say otherwise: the
 * default (`auto`) would use live exchange prices on a machine with internet access, and
 * the test payloads' prices would then be "too far from the market".
 */
export function writeConfig(dir: string, config: unknown): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ marketData: { kind: 'simulated' }, ...(config as object) }));
  return path;
}

/** `bin` runs another copy of the command (test/cli/build.test.ts builds one in a temp dir). */
export async function startServiceProcess(opts: { dataDir: string; config?: string; env?: Record<string, string>; nodeArgs?: string[]; timeoutMs?: number; bin?: string }): Promise<ServiceProcess> {
  const args = [...(opts.nodeArgs ?? []), opts.bin ?? BIN, 'serve', '--port', '0', '--data-dir', opts.dataDir];
  args.push('--config', opts.config ?? writeConfig(opts.dataDir, {}));
  const child = spawn(process.execPath, args, {
    env: { ...process.env, HEDGEHOOK_WEBHOOK_SECRET: TEST_SECRET, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${out}`)), opts.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`service exited before listening:\n${out}`));
    });
  });
  return { child, url, pid: child.pid!, output: () => out, exited };
}

export function signedWebhook(payload: unknown, opts: SignOptions = {}) {
  return signedRaw(JSON.stringify(payload), opts);
}

interface SignOptions {
  id?: string;
  secret?: string;
  nowSeconds?: number;
}

/** Signs exact bytes, for bodies that are not (valid) JSON. */
export function signedRaw(body: string, opts: SignOptions = {}) {
  const id = opts.id ?? `msg_${randomUUID()}`;
  const ts = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  return {
    id,
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': signStandard(opts.secret ?? TEST_SECRET, id, ts, Buffer.from(body)),
    },
  };
}
