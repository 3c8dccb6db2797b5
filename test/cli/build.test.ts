/**
 * The build (scripts/build.mjs, run by `npm ci` and `npm test`) and bin/hedgehook.js's choice
 * between it and the sources. Each test works on a copy of the project in a temp dir, so the
 * tree's own dist/ (which the other tests run) is left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServiceProcess, writeConfig } from '../helpers/service-process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function copyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hh-build-'));
  for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) copyFileSync(join(ROOT, file), join(dir, file));
  for (const sub of ['bin', 'scripts', 'src']) cpSync(join(ROOT, sub), join(dir, sub), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function node(args: string[]) {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const build = (dir: string) => node([join(dir, 'scripts', 'build.mjs')]);
const hedgehook = (dir: string, ...args: string[]) => node([join(dir, 'bin', 'hedgehook.js'), ...args]);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

test('the build puts every module and asset of src/ at the same path under dist/, and the command runs it', async () => {
  const dir = copyProject();
  try {
    const b = build(dir);
    assert.equal(b.code, 0, b.stderr);
    const dist = new Set(filesUnder(join(dir, 'dist')));
    for (const file of filesUnder(join(dir, 'src'))) {
      const built = file.endsWith('.ts') ? file.replace(/\.ts$/, '.js') : file;
      assert.ok(dist.has(built), `dist/${built} is missing`);
    }
    assert.doesNotMatch(readFileSync(join(dir, 'dist', 'cli', 'main.js'), 'utf8'), /from '\.[^']*\.ts'/, 'relative imports name the .js files');

    // Without src/ there is nothing but dist/ to run: the version comes from package.json
    // two levels above dist/cli/, the dashboard from dist/server/dashboard/.
    rmSync(join(dir, 'src'), { recursive: true });
    const v = hedgehook(dir, '--version');
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout, `${VERSION}\n`);
    assert.equal(v.stderr, '', 'no notice when the build is used');

    const dataDir = join(dir, 'data');
    const hh = await startServiceProcess({ dataDir, config: writeConfig(dataDir, {}), bin: join(dir, 'bin', 'hedgehook.js') });
    try {
      for (const [path, file] of [['/', 'index.html'], ['/dashboard/app.js', 'app.js'], ['/dashboard/charts.js', 'charts.js'], ['/dashboard/style.css', 'style.css']] as const) {
        const res = await fetch(`${hh.url}${path}`);
        assert.equal(res.status, 200, path);
        assert.equal(await res.text(), readFileSync(join(ROOT, 'src', 'server', 'dashboard', file), 'utf8'), path);
      }
      assert.doesNotMatch(hh.output(), /through tsx/);
    } finally {
      hh.child.kill('SIGTERM');
      await hh.exited;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a build older than the sources, or none, never runs: the sources do, after one line saying why', () => {
  const dir = copyProject();
  try {
    assert.equal(build(dir).code, 0);
    // a build that would fail loudly if it ran
    writeFileSync(join(dir, 'dist', 'cli', 'main.js'), "throw new Error('the stale build ran');\n");
    const stamp = statSync(join(dir, 'dist', 'BUILD_STAMP')).mtime;
    const later = new Date(stamp.getTime() + 5_000);

    utimesSync(join(dir, 'src', 'cli', 'main.ts'), later, later);
    const stale = hedgehook(dir, '--version');
    assert.equal(stale.code, 0, stale.stderr);
    assert.equal(stale.stdout, `${VERSION}\n`);
    assert.match(stale.stderr, /^hedgehook: src\/cli\/main\.ts changed after the last build: running the TypeScript sources through tsx .*`npm run build`.*\n$/);

    // the same check lets a build newer than every source run (here, the one that throws)
    const newer = new Date(stamp.getTime() + 10_000);
    utimesSync(join(dir, 'dist', 'BUILD_STAMP'), newer, newer);
    const fresh = hedgehook(dir, '--version');
    assert.notEqual(fresh.code, 0);
    assert.match(fresh.stderr, /the stale build ran/);

    // a file added under src/ changes its directory's time
    writeFileSync(join(dir, 'src', 'core', 'added.ts'), 'export {};\n');
    utimesSync(join(dir, 'src', 'core'), new Date(newer.getTime() + 5_000), new Date(newer.getTime() + 5_000));
    assert.match(hedgehook(dir, '--version').stderr, /^hedgehook: src\/core\/ changed after the last build/);

    rmSync(join(dir, 'dist'), { recursive: true });
    const none = hedgehook(dir, '--version');
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, `${VERSION}\n`);
    assert.match(none.stderr, /^hedgehook: no build in dist\/: running the TypeScript sources through tsx/);
    assert.equal(none.stderr.trim().split('\n').length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a build that fails leaves the previous dist/ in place', () => {
  const dir = copyProject();
  try {
    assert.equal(build(dir).code, 0);
    const stamp = statSync(join(dir, 'dist', 'BUILD_STAMP')).mtimeMs;
    writeFileSync(join(dir, 'src', 'core', 'broken.ts'), 'export const = ;\n');
    const b = build(dir);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /src\/core\/broken\.ts/);
    assert.match(b.stderr, /hedgehook build: failed, dist\/ left as it was/);
    assert.equal(statSync(join(dir, 'dist', 'BUILD_STAMP')).mtimeMs, stamp);
    assert.ok(existsSync(join(dir, 'dist', 'cli', 'main.js')));
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('dist.')), [], 'no temp dir left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
