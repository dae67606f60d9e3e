import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderTemplate } from '../../src/vars/index.js';

const FILE = { file: 'templates/run.sh.hbs', line: 1, col: 1 };
const dir = mkdtempSync(join(tmpdir(), 'play-quote-'));
const canary = join(dir, 'pwned');

const hostile = [
  "it's",
  `'; touch ${canary} #`,
  `$(touch ${canary})`,
  `\`touch ${canary}\``,
  `"double" and $HOME and \${PATH}`,
  'line one\nline two\n',
  '',
  'ünïcødé ✓ 显卡',
  '-n',
  '*',
  ' leading and trailing ',
  'back\\slash',
  "'",
  "''",
];

/** What `/bin/sh` makes of the rendered word: printf prints its argument unchanged. */
function throughShell(word: string): string {
  return execFileSync('/bin/sh', ['-c', `printf %s ${word}`], { encoding: 'utf8', cwd: dir });
}

test('quote makes one shell word that the shell gives back byte for byte', () => {
  for (const value of hostile) {
    const word = renderTemplate('{{quote value}}', { value }, FILE);
    assert.is(throughShell(word), value, `for ${JSON.stringify(value)} rendered as ${word}`);
  }
  assert.is(existsSync(canary), false, 'nothing hostile was executed');
});

test('quote renders plain words as they are and quotes the empty string', () => {
  assert.is(renderTemplate('{{quote value}}', { value: '/etc/modprobe.d/vfio.conf' }, FILE), '/etc/modprobe.d/vfio.conf');
  assert.is(renderTemplate('{{quote value}}', { value: '' }, FILE), "''");
  assert.is(renderTemplate('{{quote value}}', { value: 42 }, FILE), '42');
});

test('quote of a list quotes each item, so the shell sees each as one argument', () => {
  const items = ['a b', "c'd", '$(e)'];
  const words = renderTemplate('{{quote items}}', { items }, FILE);
  const out = execFileSync('/bin/sh', ['-c', `printf '[%s]' ${words}`], { encoding: 'utf8' });
  assert.is(out, "[a b][c'd][$(e)]");
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
