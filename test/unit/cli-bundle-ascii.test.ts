/** The build step that leaves the bundle ASCII (src/cli/bundle-ascii.ts), and the bundle it leaves. */
import { isAscii } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInThisContext } from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeNonAscii } from '../../src/cli/bundle-ascii.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('escaped code is ASCII and means the same: regular expressions, strings, comments, astral characters', () => {
  const source = [
    "(() => { // a comment → with arrows, § and ²",
    "/** doc: é */",
    "const word = /^[a-zA-Zа-яА-Я_\\u00C0-\\u00FF]+$/;",
    "return { cyrillic: word.test('жук'), latin: word.test('été'), greek: word.test('λ'), text: 'déjà 😀' + `ñ` }; })()",
  ].join('\n');
  const escaped = escapeNonAscii(source);
  assert.ok(isAscii(Buffer.from(escaped)), escaped);
  assert.equal(runInThisContext(escaped), runInThisContext(source));
  assert.equal(runInThisContext(escaped), { cyrillic: true, latin: true, greek: false, text: 'déjà 😀ñ' });
});

test('ASCII text is left as it is', () => {
  const text = "const a = /[\\u0430-\\u044f]/; // plain\n";
  assert.is(escapeNonAscii(text), text);
});

test('npm run build leaves dist/cli/play.cjs ASCII, so the launcher reads it without decoding UTF-8', () => {
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
  assert.is(build.status, 0, build.stderr);
  const bundle = readFileSync(path.join(ROOT, 'dist/cli/play.cjs'));
  assert.ok(bundle.length > 100_000);
  assert.ok(isAscii(bundle), `non-ASCII byte at ${bundle.findIndex((b) => b > 0x7f)}`);
});

test.run();
