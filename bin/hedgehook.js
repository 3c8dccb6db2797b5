#!/usr/bin/env node
// Runs the build (dist/, made by `npm ci` through `prepare`, and by `npm run build`) when it
// is at least as new as the sources, and the TypeScript sources through tsx otherwise, with
// one line on stderr saying so: a stale build must never answer for edited sources.
// Running built saves the tsx loader, a thread with a V8 isolate of its own: ~30 MB of RSS
// (README, "The build").
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Why dist/ cannot be trusted, or undefined when it can. */
function staleBecause() {
  // scripts/build.mjs writes it before it reads any source
  const built = mtime(join(root, 'dist', 'BUILD_STAMP'));
  if (built === undefined) return 'no build in dist/';
  for (const file of ['tsconfig.json', 'tsconfig.build.json']) {
    if ((mtime(join(root, file)) ?? 0) > built) return `${file} changed after the last build`;
  }
  // ~200 stat calls, a few ms; directories too, so an added or removed file counts. A copy
  // without src/ has only dist/ to run.
  const newer = newerUnder(join(root, 'src'), built);
  return newer === undefined ? undefined : `src/${newer} changed after the last build`;
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
}

/** A path under dir (relative to it) modified after `time`, or undefined. */
function newerUnder(dir, time) {
  if ((mtime(dir) ?? 0) > time) return '.';
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = newerUnder(path, time);
      if (inner !== undefined) return inner === '.' ? `${entry.name}/` : `${entry.name}/${inner}`;
    } else if ((mtime(path) ?? 0) > time) return entry.name;
  }
  return undefined;
}

const stale = staleBecause();
if (stale === undefined) {
  await import('../dist/cli/main.js');
} else {
  process.stderr.write(`hedgehook: ${stale}: running the TypeScript sources through tsx (slower start, more memory); \`npm run build\` builds them\n`);
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
