import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cachedParse } from '../../src/playbook/yaml-cache.js';
import { parseYamlFile, parseYamlText } from '../../src/playbook/yaml-source.js';

const dir = mkdtempSync(join(tmpdir(), 'play-yaml-cache-'));
const parser = join(dir, 'parser.js');
const source = join(dir, 'site.yml');
const savedCacheHome = process.env.XDG_CACHE_HOME;

test.before.each(() => {
  process.env.XDG_CACHE_HOME = join(dir, `cache-${Math.random().toString(36).slice(2)}`);
  writeFileSync(parser, 'parser v1');
  utimesSync(parser, 1_000, 1_000);
});

test.after(() => {
  if (savedCacheHome === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedCacheHome;
  rmSync(dir, { recursive: true, force: true });
});

/** cachedParse over the real YAML parser, counting the parses it had to do. */
function counting(): { parse: (text: string, display?: string) => unknown; count: () => number } {
  let parses = 0;
  return {
    parse: (text, display = 'site.yml') =>
      cachedParse(parser, source, display, text, () => {
        parses++;
        return parseYamlText(text, display);
      }),
    count: () => parses,
  };
}

test('the second read of the same text is the stored parse, equal to a fresh one (positions, NaN and all)', () => {
  const text = '- hosts: all\n  vars: {ratio: .nan, big: .inf, mode: 0644}\n  tasks: [{debug: {msg: hi}}]\n';
  const cache = counting();
  const first = cache.parse(text);
  const second = cache.parse(text);
  assert.is(cache.count(), 1);
  assert.equal(second, first);
  assert.equal(second, parseYamlText(text, 'site.yml'));
  assert.equal(readdirSync(join(process.env.XDG_CACHE_HOME!, 'play', 'yaml')).length, 1);
});

test('a change of text, of the path shown in messages, or of the parser build is a miss', () => {
  const cache = counting();
  cache.parse('a: 1\n');
  cache.parse('a: 2\n');
  assert.equal(cache.parse('a: 2\n'), parseYamlText('a: 2\n', 'site.yml'));
  assert.is(cache.count(), 2);
  const elsewhere = cache.parse('a: 2\n', '../other/site.yml') as { pos: { file: string } };
  assert.is(elsewhere.pos.file, '../other/site.yml');
  assert.is(cache.count(), 3);
  utimesSync(parser, 2_000, 2_000);
  cache.parse('a: 2\n', '../other/site.yml');
  assert.is(cache.count(), 4);
});

test('errors are not stored: a broken file fails on every read', () => {
  const cache = counting();
  for (let i = 0; i < 2; i++) assert.throws(() => cache.parse('a: [1\n'), /YAML syntax error/);
  assert.is(cache.count(), 2);
});

test('an unusable cache (corrupt entry, a directory that cannot be made) never fails the parse', () => {
  const cache = counting();
  cache.parse('a: 1\n');
  const entries = join(process.env.XDG_CACHE_HOME!, 'play', 'yaml');
  for (const name of readdirSync(entries)) writeFileSync(join(entries, name), 'not a serialized entry');
  assert.equal(cache.parse('a: 1\n'), parseYamlText('a: 1\n', 'site.yml'));
  process.env.XDG_CACHE_HOME = '/proc/play-no-such-dir';
  assert.equal(cache.parse('b: 1\n'), parseYamlText('b: 1\n', 'site.yml'));
});

test('past 2000 entries the oldest are dropped, down to 1000, the new one kept', () => {
  const entries = join(process.env.XDG_CACHE_HOME!, 'play', 'yaml');
  mkdirSync(entries, { recursive: true });
  for (let i = 0; i < 2001; i++) {
    const stale = join(entries, `stale-${i}.v8`);
    writeFileSync(stale, '');
    utimesSync(stale, 1_000 + i, 1_000 + i);
  }
  const cache = counting();
  cache.parse('fresh: 1\n');
  const left = readdirSync(entries);
  assert.is(left.length, 1000);
  assert.not.ok(left.includes('stale-1001.v8'));
  assert.ok(left.includes('stale-1002.v8'));
  cache.parse('fresh: 1\n');
  assert.is(cache.count(), 1);
});

test('parseYamlFile goes through the cache and still reads the file each time', () => {
  writeFileSync(source, 'x: 1\n');
  assert.equal(parseYamlFile(source, 'site.yml'), parseYamlText('x: 1\n', 'site.yml'));
  writeFileSync(source, 'x: 2\n');
  assert.equal(parseYamlFile(source, 'site.yml'), parseYamlText('x: 2\n', 'site.yml'));
});

test.run();
