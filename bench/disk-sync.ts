/**
 * The disk's baseline for the fixed-rate latency: how long `fdatasync` takes on the
 * filesystem the journal is on, measured in the same run as the service. An ack under
 * `journal.synchronous: full` waits for the WAL's fsync (and for one already in flight),
 * so this tail bounds the ack's tail from below the way the bare route bounds HTTP.
 *
 * Each sample writes 24 KiB (six pages, a small group commit's WAL frames) at the next
 * offset of a file that grows, as the WAL does until it starts over, and fsyncs it.
 */
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile } from './open-loop.ts';

export interface DiskSync {
  samples: number;
  bytesPerSync: number;
  fdatasyncMs: { p50: number; p90: number; p99: number; max: number };
}

export function benchDiskSync(dir: string, samples = 2000): DiskSync {
  const path = join(dir, 'disk-sync.bin');
  const chunk = Buffer.alloc(24 * 1024, 0x5a);
  const times: number[] = [];
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      writeSync(fd, chunk, 0, chunk.length, i * chunk.length);
      fdatasyncSync(fd);
      times.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => Math.round(percentile(times, p) * 1000) / 1000;
  return { samples, bytesPerSync: chunk.length, fdatasyncMs: { p50: at(50), p90: at(90), p99: at(99), max: at(100) } };
}
