/**
 * `hedgehook serve` as a child process on a fixed port and data dir, so that the sender
 * keeps one URL across restarts (a fresh port per start could be handed to some other
 * program on a shared machine while the sender still retries the old one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

const BIN = new URL('../../bin/hedgehook.js', import.meta.url).pathname;

export interface SoakService {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code, or the signal's name. */
  exited: Promise<number | string>;
  /** The last lines the process wrote (stdout and stderr). */
  tail(): string;
  /** pino lines at level error (50) or above. */
  errorLines(): string[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const KEEP_CHARS = 64 * 1024;

export async function startService(opts: { dataDir: string; config: string; port: number; secret: string; timeoutMs?: number }): Promise<SoakService> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(opts.port), '--data-dir', opts.dataDir, '--config', opts.config], {
    env: { ...process.env, HEDGEHOOK_WEBHOOK_SECRET: opts.secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let partial = '';
  const errors: string[] = [];
  const take = (chunk: Buffer) => {
    const text = chunk.toString();
    out = (out + text).slice(-KEEP_CHARS);
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const m = /^\{"level":(\d+)/.exec(line);
      if (m && Number(m[1]) >= 50) errors.push(line.slice(0, 2000));
    }
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not start within ${opts.timeoutMs ?? 60_000} ms:\n${out}`));
    }, opts.timeoutMs ?? 60_000);
    const onData = () => {
      if (/listening on http:\/\/\S+/.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`service exited before listening:\n${out}`));
    });
  });
  return { child, pid: child.pid!, exited, tail: () => out.slice(-4000), errorLines: () => [...errors] };
}
