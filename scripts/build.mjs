#!/usr/bin/env node
/**
 * `npm run build` (also `prepare`, so `npm ci` runs it, and the first step of `npm test`):
 * compiles src/ to dist/ with tsconfig.build.json and copies the files the code reads
 * next to itself (the dashboard's html/js/css). bin/hedgehook.js runs dist/ only while
 * dist/BUILD_STAMP is newer than everything under src/ (see there).
 *
 * It builds into a fresh directory and swaps it in with renames, so a service or a test
 * already running from dist/ (another `npm test` in the same tree) never reads a
 * half-written file.
 */
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
const STAMP = 'BUILD_STAMP'; // bin/hedgehook.js reads it by the same name

const started = performance.now();
const tmp = join(ROOT, `dist.tmp-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp);
// Written before any source is read: its mtime comes from the same clock as the sources'
// and precedes every read, so a source saved during the build counts as newer than dist/.
writeFileSync(join(tmp, STAMP), 'written by scripts/build.mjs when it started; bin/hedgehook.js runs dist/ only while no file under src/ is newer\n');

let ts;
try {
  // require(), not import(): the ESM loader would scan its 9 MB for named exports (~0.4 s)
  ts = createRequire(import.meta.url)('typescript');
} catch (err) {
  rmSync(tmp, { recursive: true, force: true });
  if (err?.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes("'typescript'")) throw err;
  // `npm ci --omit=dev` has no TypeScript: the install must not fail for it, the command
  // still works from the sources (bin/hedgehook.js says so on every start).
  const during = process.env.npm_lifecycle_event === 'prepare';
  process.stderr.write(`hedgehook build: typescript is not installed (npm ci --omit=dev?): ${during ? 'dist/ not built, bin/hedgehook.js will run the sources through tsx' : 'npm ci first'}\n`);
  process.exit(during ? 0 : 1);
}

const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.build.json'), { outDir: tmp }, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => fail([d]),
});
const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, configFileParsingDiagnostics: config.errors });
const emitted = program.emit();
const problems = [...config.errors, ...program.getOptionsDiagnostics(), ...program.getSyntacticDiagnostics(), ...emitted.diagnostics];
if (emitted.emitSkipped || problems.some((d) => d.category === ts.DiagnosticCategory.Error)) fail(problems);

let assets = 0;
(function copyAssets(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const from = join(dir, entry.name);
    if (entry.isDirectory()) copyAssets(from);
    else if (!entry.name.endsWith('.ts')) {
      const to = join(tmp, relative(SRC, from));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(from, to);
      assets++;
    }
  }
})(SRC);

// Another build in the same tree may swap its own dist/ in between: whichever lands last
// wins, both came from the sources of their stamp.
const replaced = [];
for (;;) {
  try {
    renameSync(tmp, DIST);
    break;
  } catch (err) {
    if ((err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') || replaced.length > 10) throw err;
    const old = join(ROOT, `dist.old-${process.pid}-${replaced.length}`);
    try {
      renameSync(DIST, old);
      replaced.push(old);
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
  }
}
for (const old of replaced) rmSync(old, { recursive: true, force: true });
process.stdout.write(`hedgehook build: dist/ from ${config.fileNames.length} modules and ${assets} assets in ${Math.round(performance.now() - started)} ms\n`);

function fail(diagnostics) {
  rmSync(tmp, { recursive: true, force: true });
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
  process.stderr.write(ts.formatDiagnostics(diagnostics, host));
  process.stderr.write('hedgehook build: failed, dist/ left as it was\n');
  process.exit(1);
}
