/** The V8 code cache behind the `play` launcher (src/cli/code-cache.ts), in child processes. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const LOADER = fileURLToPath(new URL('../../src/cli/code-cache.ts', import.meta.url));
let dir: string;
let bundle: string;
let cacheFile: string;

/** Loads `bundle` through the code cache in a new process, as the launcher does; returns what its `answer()` returned. */
function load(fullRun: boolean): string {
  const script = `import { loadWithCodeCache, requireFor } from ${JSON.stringify(LOADER)};
    const exports = loadWithCodeCache(${JSON.stringify(bundle)}, requireFor(${JSON.stringify(bundle)}, {}), { fullRun: ${fullRun} });
    process.stdout.write(String(exports.answer()));`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.is(result.status, 0, result.stderr);
  return result.stdout;
}

function writeBundle(answer: string, mtimeSeconds: number): void {
  writeFileSync(bundle, `const path = require('node:path');\nexports.answer = () => ${JSON.stringify(answer)} + path.sep;\n`);
  utimesSync(bundle, mtimeSeconds, mtimeSeconds);
}

const header = () => readFileSync(cacheFile).subarray(0, readFileSync(cacheFile).indexOf(0x0a)).toString('latin1');

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'play-code-cache-'));
  bundle = join(dir, 'bundle.cjs');
  cacheFile = `${bundle}.v8-cache`;
});

test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('the first run writes the cache, stamped with the bundle; the next run uses it and leaves it', () => {
  writeBundle('one', 1_000_000);
  assert.is(load(false), 'one/');
  const { size } = statSync(bundle);
  assert.is(header(), `${size} 1000000000 partial`);
  const written = statSync(cacheFile).mtimeMs;
  assert.is(load(false), 'one/');
  assert.is(statSync(cacheFile).mtimeMs, written, 'a usable cache is not written again');
});

test('a rebuilt bundle of the same length never runs with the old code: its new stamp refuses the cache', () => {
  writeBundle('one', 1_000_000);
  load(true);
  writeBundle('two', 2_000_000);
  assert.is(load(true), 'two/');
  assert.match(header(), / 2000000000 full$/);
});

test('a cache written by a listing run is replaced after the first full run, then kept', () => {
  writeBundle('one', 1_000_000);
  load(false);
  assert.match(header(), / partial$/);
  load(true);
  assert.match(header(), / full$/);
  const written = statSync(cacheFile).mtimeMs;
  load(false);
  assert.is(statSync(cacheFile).mtimeMs, written, 'a listing run keeps the full cache');
});

test('a cache that cannot be written leaves the run alone and no temp file behind', () => {
  writeBundle('one', 1_000_000);
  mkdirSync(cacheFile);
  assert.is(load(true), 'one/');
  assert.ok(statSync(cacheFile).isDirectory());
  assert.equal(readdirSync(dir).filter((name) => name.endsWith('.tmp')), []);
});

test('a damaged cache (wrong header) is ignored and rewritten', () => {
  writeBundle('one', 1_000_000);
  writeFileSync(cacheFile, 'garbage without a header');
  assert.is(load(true), 'one/');
  assert.ok(existsSync(cacheFile));
  assert.match(header(), / full$/);
});

test('a bundle that is not ASCII is still read as UTF-8', () => {
  writeFileSync(bundle, "exports.answer = () => 'déjà ' + /[а-я]+/.exec('жук')[0];\n");
  assert.is(load(true), 'déjà жук');
  assert.is(load(true), 'déjà жук', 'and through its code cache');
});

test.run();
