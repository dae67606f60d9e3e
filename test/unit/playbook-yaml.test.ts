import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExitCode, PlayError } from '../../src/errors.js';
import { parseKeyValue, splitArgs } from '../../src/playbook/kv.js';
import { parseYamlText, toPlain, type YMap } from '../../src/playbook/yaml-source.js';

function yamlError(text: string): PlayError {
  try {
    parseYamlText(text, 'x.yml');
  } catch (error) {
    if (error instanceof PlayError) return error;
    throw error;
  }
  throw new Error('expected a YAML error');
}

test('positions: every key and value knows its line and column', () => {
  const root = parseYamlText('- name: a\n  hosts: all\n  tasks:\n    - debug: msg=hi\n', 'site.yml')!;
  assert.is(root.kind, 'seq');
  const play = (root as { items: YMap[] }).items[0]!;
  assert.equal(play.pos, { file: 'site.yml', line: 1, col: 3 });
  const tasks = play.entries[2]!;
  assert.equal(tasks.keyPos, { file: 'site.yml', line: 3, col: 3 });
  const first = (tasks.value as { items: YMap[] }).items[0]!;
  assert.equal(first.entries[0]!.value.pos, { file: 'site.yml', line: 4, col: 14 });
});

test('YAML 1.1 as Ansible reads it: yes/no booleans, 0644 octal, merge keys', () => {
  const value = toPlain(parseYamlText('a: yes\nb: off\nc: 0644\nbase: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n', 'v.yml'));
  assert.equal(value, { a: true, b: false, c: 420, base: { x: 1, y: 2 }, d: { y: 3, x: 1 } });
});

test('!unsafe strings are kept as written', () => {
  assert.equal(toPlain(parseYamlText('a: !unsafe "{{ not a template }}"\n', 'v.yml')), { a: '{{ not a template }}' });
});

test('duplicate keys are errors at the second key', () => {
  const error = yamlError('a: 1\nb: 2\na: 3\n');
  assert.is(error.describe(), "x.yml:3:1: duplicate key 'a' in a mapping; each key may appear only once");
  assert.is(error.exitCode, ExitCode.PARSE_ERROR);
});

test('syntax errors carry the library message and the line', () => {
  const error = yamlError("- name: x\n  hosts: a: b\n");
  assert.ok(error.message.startsWith('YAML syntax error: '));
  assert.is(error.pos?.file, 'x.yml');
  assert.is(error.pos?.line, 2);
  assert.is(error.exitCode, 4);
});

test('an empty document is undefined', () => {
  assert.is(parseYamlText('# nothing\n', 'e.yml'), undefined);
});

test('splitArgs keeps quotes and template blocks whole', () => {
  assert.equal(splitArgs(`echo "a  b" 'c d' {{ x | default('y z') }}  end`), ['echo', '"a  b"', "'c d'", "{{ x | default('y z') }}", 'end']);
  assert.throws(() => splitArgs('echo "open'), /unbalanced/);
});

test('parseKeyValue: key=value words, quoted values unquoted, other words raw', () => {
  assert.equal(parseKeyValue('src=a.j2 dest="/etc/my file" mode=0644'), { options: { src: 'a.j2', dest: '/etc/my file', mode: '0644' }, raw: '' });
  assert.equal(parseKeyValue('echo a=b chdir=/tmp', (k) => k === 'chdir'), { options: { chdir: '/tmp' }, raw: 'echo a=b' });
  assert.equal(parseKeyValue('msg="{{ a }} = b"'), { options: { msg: '{{ a }} = b' }, raw: '' });
});

test('free-form text keeps its lines and spacing; only accepted key=value words are taken out', () => {
  const script = 'set -e\nfor i in 1 2; do\n  echo "$i  x"\ndone\n';
  assert.equal(parseKeyValue(script, (k) => k === 'chdir'), { options: {}, raw: script.trim() });
  assert.equal(parseKeyValue('echo a chdir=/tmp  b\necho c creates=/x', (k) => ['chdir', 'creates'].includes(k)), {
    options: { chdir: '/tmp', creates: '/x' },
    raw: 'echo a b\necho c',
  });
});

test.run();
