/**
 * What a test needs from the machine: the real servers (PostgreSQL, NATS…) and the sample
 * market data of ../shared/data. On a user's machine a missing one skips the test with
 * the reason; CI sets REQUIRE_SERVICES=1 / REQUIRE_SAMPLE_DATA=1 and then it fails.
 *
 * Use: `test('…', { skip: sampleDataMissing() }, …)` or, for a server,
 * `const skip = await serviceMissing('postgres', 'postgres://postgres@127.0.0.1:5432/postgres', probe)`.
 */
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { resolve } from 'node:path';

const required = (name: string): boolean => process.env[name] === '1' || process.env[name] === 'true';

/** The directory of the shared sample data (HEDGEHOOK_SAMPLE_DATA, default ../shared/data). */
export function sampleDataDir(): string {
  return resolve(process.env.HEDGEHOOK_SAMPLE_DATA ?? '../shared/data');
}

/** The path of one sample file. */
export function sampleFile(name: string): string {
  return resolve(sampleDataDir(), name);
}

/**
 * false when the file is there; else the skip reason, or a throw under REQUIRE_SAMPLE_DATA.
 * Pass it as the `skip` option of a test.
 */
export function sampleDataMissing(name?: string): false | string {
  const path = name ? sampleFile(name) : sampleDataDir();
  if (existsSync(path)) return false;
  const why = `sample data not found at ${path} (set HEDGEHOOK_SAMPLE_DATA)`;
  if (required('REQUIRE_SAMPLE_DATA')) throw new Error(`REQUIRE_SAMPLE_DATA=1: ${why}`);
  return why;
}

/** true when a TCP connection to host:port opens within `timeoutMs`. */
export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/**
 * false when the server answers; else the skip reason, or a throw under REQUIRE_SERVICES.
 * `probe` may do more than a TCP connect (log in, check JetStream); it should throw when
 * the server is not usable.
 */
export async function serviceMissing(
  name: string,
  host: string,
  port: number,
  probe?: () => Promise<void>,
): Promise<false | string> {
  let why: string | undefined;
  if (!(await portOpen(host, port))) why = `${name} not reachable at ${host}:${port}`;
  else if (probe) {
    try {
      await probe();
    } catch (err) {
      why = `${name} at ${host}:${port} not usable: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  if (why === undefined) return false;
  if (required('REQUIRE_SERVICES')) throw new Error(`REQUIRE_SERVICES=1: ${why}`);
  return why;
}
