import { existsSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { playErrorFrom } from '../helpers/files.js';
import { PlayError, type SourcePos } from '../../src/errors.js';
import { checkExpression, evaluate, evaluateCondition } from '../../src/vars/index.js';

const TASK: SourcePos = { file: 'roles/gpu-vfio/tasks/main.yml', line: 27, col: 7 };

const vars = {
  a: 1,
  b: 2,
  on: true,
  off: false,
  nothing: null,
  name: 'node1',
  text: 'iommu=pt and more',
  empty_list: [],
  empty_text: '',
  gpus: ['10de:1eb8', '10de:10f8'],
  node: { nic: { name: 'eth0' }, 'with-dash': 'd' },
  version: '8',
  count_text: '3.7',
  rc0: { rc: 0, stdout: 'DMAR: IOMMU enabled\nok', stdout_lines: ['DMAR: IOMMU enabled', 'ok'], changed: false, failed: false },
  failed_result: { rc: 1, failed: true, changed: false },
  changed_result: { changed: true },
  skipped_result: { skipped: true, changed: false },
  looped: { changed: false, results: [{ changed: false }, { changed: true }] },
};

const ev = (expr: string) => evaluate(expr, vars, TASK);
const cond = (expr: string) => evaluateCondition(expr, vars, TASK);

const failure = playErrorFrom;

test('and, or, not with Python precedence and short-circuit', () => {
  assert.is(cond('a == 1 and b == 2'), true);
  assert.is(cond('off or on and off'), false); // or binds looser than and
  assert.is(cond('not off and on'), true);
  assert.is(cond('not a == 2'), true); // not (a == 2)
  assert.is(cond('(off or on) and not off'), true);
  assert.is(ev('off or name'), 'node1'); // Python returns the operand
  assert.is(cond('off and undefined_thing'), false); // never reads the right side
  assert.is(cond('on or undefined_thing'), true);
});

test('literals: True/False/None/true/false, numbers, strings, lists, tuples', () => {
  assert.is(ev('True'), true);
  assert.is(ev('false'), false);
  assert.is(ev('None'), null);
  assert.is(ev('nothing == None'), true);
  assert.is(ev('2 ** 3 * 2'), 16);
  assert.is(ev('7 // 2 + 7 % 4'), 6);
  assert.is(ev('-1 < a'), true);
  assert.equal(ev("['x', 1]"), ['x', 1]);
  assert.equal(ev("('7', '8')"), ['7', '8']);
  assert.equal(ev("('only',)"), ['only']);
  assert.is(ev('"tab\\there"'), 'tab\there');
  assert.is(ev("name ~ '-' ~ a"), 'node1-1');
});

test('is defined / is not defined / is undefined, also on nested paths', () => {
  assert.is(cond('a is defined'), true);
  assert.is(cond('zzz is defined'), false);
  assert.is(cond('zzz is not defined'), true);
  assert.is(cond('zzz is undefined'), true);
  assert.is(cond('node.nic.name is defined'), true);
  assert.is(cond('node.nic.mtu is defined'), false);
  assert.is(cond('node.bond.mtu.value is defined'), false);
  assert.is(cond('nothing.x is defined'), false);
  assert.is(cond("node['nic']['name'] is defined"), true);
  assert.is(cond('gpus[5] is defined'), false);
  assert.is(cond('nothing is none'), true);
  assert.is(cond('zzz is defined and zzz.x == 1'), false);
});

test('in / not in for lists, strings and dicts', () => {
  assert.is(cond("'10de:1eb8' in gpus"), true);
  assert.is(cond("'10de:0000' not in gpus"), true);
  assert.is(cond("'iommu=pt' in text"), true);
  assert.is(cond("version in ('7', '8')"), true);
  assert.is(cond("version in ['7']"), false);
  assert.is(cond("'nic' in node"), true);
  assert.is(cond("'IOMMU enabled' in rc0.stdout"), true);
});

test('keywords inside string literals are left alone', () => {
  assert.is(ev("'a and b or not c is defined'"), 'a and b or not c is defined');
  assert.is(cond("'and' in text"), true);
  assert.is(cond("\"not in\" not in text"), true);
  assert.is(ev("'None' ~ 'True'"), 'NoneTrue');
});

test('comparisons, indexing and attribute access', () => {
  assert.is(cond('a < b and b >= 2 and a != b'), true);
  assert.is(cond("name == 'node1'"), true);
  assert.is(ev('gpus[0]'), '10de:1eb8');
  assert.is(ev('gpus[-1]'), '10de:10f8');
  assert.is(ev("node['with-dash']"), 'd');
  assert.is(ev('node.nic.name'), 'eth0');
  assert.is(cond("rc0.stdout_lines[0] == 'DMAR: IOMMU enabled'"), true);
  assert.is(cond('empty_list == []'), true);
  assert.is(cond("gpus == ['10de:1eb8', '10de:10f8']"), true);
  assert.match(failure(() => ev('version >= 8')).message, /'>=' cannot compare string with int/);
});

test('filters: bool int float length default lower upper string trim join first last', () => {
  assert.is(ev("'yes' | bool"), true);
  assert.is(ev("'Off' | bool"), false);
  assert.is(ev('on | bool'), true);
  assert.is(ev('count_text | int'), 3);
  assert.is(ev("'x' | int"), 0);
  assert.is(ev("version | int >= 8"), true);
  assert.is(ev('count_text | float'), 3.7);
  assert.is(ev('gpus | length'), 2);
  assert.is(ev('text | length'), 17);
  assert.is(ev("zzz | default('fallback')"), 'fallback');
  assert.is(ev("node.bond.mode | default('active-backup')"), 'active-backup');
  assert.is(ev('empty_text | default(5, true)'), 5);
  assert.is(ev("name | d('x')"), 'node1');
  assert.is(ev("'NVIDIA' | lower"), 'nvidia');
  assert.is(ev('name | upper'), 'NODE1');
  assert.is(ev('a | string'), '1');
  assert.is(ev('on | string'), 'True');
  assert.is(ev("'  x  ' | trim"), 'x');
  assert.is(ev("gpus | join(',')"), '10de:1eb8,10de:10f8');
  assert.is(ev('gpus | first'), '10de:1eb8');
  assert.is(ev('gpus | last'), '10de:10f8');
  assert.is(ev("rc0.stdout_lines | length > 1 and 'ok' in rc0.stdout_lines"), true);
});

test('from_json: a JSON text as data; anything else is an error quoting the text', () => {
  assert.equal(ev(`'{"ids": ["10de:1eb8"], "n": 2}' | from_json`), { ids: ['10de:1eb8'], n: 2 });
  assert.is(ev(`'["a", "b"]' | from_json | length`), 2);
  assert.match(failure(() => ev("'DMAR: IOMMU enabled' | from_json")).message, /not JSON \(.*\): "DMAR: IOMMU enabled"/);
  assert.match(failure(() => ev('gpus | from_json')).message, /filter 'from_json' expects a string, not list/);
});

test('register tests: succeeded, failed, changed, skipped and their aliases', () => {
  assert.is(cond('rc0 is succeeded and rc0 is success'), true);
  assert.is(cond('rc0 is failed or rc0 is failure'), false);
  assert.is(cond('failed_result is failed'), true);
  assert.is(cond('failed_result is not succeeded'), true);
  assert.is(cond('changed_result is changed'), true);
  assert.is(cond('rc0 is changed'), false);
  assert.is(cond('looped is changed'), true);
  assert.is(cond('skipped_result is skipped'), true);
  assert.is(cond('rc0.rc == 0'), true);
  assert.match(failure(() => cond('name is failed')).message, /the 'failed' test expects a registered result \(a dict\), not string/);
});

test('conditions: YAML booleans, Python truthiness, {{ }}-wrapped expressions', () => {
  assert.is(evaluateCondition(true, vars, TASK), true);
  assert.is(evaluateCondition(false, vars, TASK), false);
  assert.is(cond('empty_list'), false);
  assert.is(cond('not empty_text'), true);
  assert.is(cond('gpus'), true);
  assert.is(cond('nothing'), false);
  assert.is(cond('{{ a == 1 }}'), true);
});

test('an undefined variable is an error naming it and the task file:line', () => {
  const error = failure(() => cond('gpu_ids | length > 0'));
  assert.is(error.message, "undefined variable 'gpu_ids' in roles/gpu-vfio/tasks/main.yml:27");
  assert.equal(error.pos, TASK);
  assert.is(failure(() => cond('node.bond.mode == "x"')).message, "undefined variable 'node.bond.mode' in roles/gpu-vfio/tasks/main.yml:27");
  assert.is(failure(() => cond("'x' in rc0.stderr")).message, "undefined variable 'rc0.stderr' in roles/gpu-vfio/tasks/main.yml:27");
  assert.is(failure(() => ev('gpus[7]')).message, "undefined variable 'gpus[7]' in roles/gpu-vfio/tasks/main.yml:27");
});

test('checkExpression rejects what cannot be parsed, with file:line and what is wrong', () => {
  const bad = (expr: string) => failure(() => checkExpression(expr, TASK)).message;
  assert.is(bad('a =='), 'invalid expression "a ==" in roles/gpu-vfio/tasks/main.yml:27: the expression ends too early');
  assert.match(bad('a && b'), /unexpected '&&' \(use 'and'\)/);
  assert.match(bad('a || b'), /use 'or'/);
  assert.match(bad('(a'), /'\(' is never closed/);
  assert.match(bad('a)'), /unexpected '\)'/);
  assert.match(bad('a | lenght'), /unknown filter 'lenght' \(did you mean 'length'\?\)/);
  assert.match(bad('a is defind'), /unknown test 'defind' \(did you mean 'defined'\?\)/);
  assert.match(bad('lookup("env", "HOME")'), /unknown function 'lookup'/);
  assert.match(bad(''), /the expression is empty/);
  checkExpression('a is defined and (b | int) in [1, 2] and "x" not in text', TASK);
  checkExpression('{{ a == 1 }}', TASK);
});

test('no eval: user text never reaches JavaScript internals or runs code', () => {
  const marker = '/tmp/play-vars-no-eval-marker';
  const attempts = [
    "constructor.constructor('return process')()",
    "a.constructor.constructor('return process')()",
    `constructor.constructor("require('fs').writeFileSync('${marker}', 'x')")()`,
  ];
  for (const attempt of attempts) assert.instance(failure(() => ev(attempt)), PlayError);
  assert.is(existsSync(marker), false);
  assert.is(failure(() => ev('constructor')).message, "undefined variable 'constructor' in roles/gpu-vfio/tasks/main.yml:27");
  assert.is(failure(() => ev('node.constructor')).message, "undefined variable 'node.constructor' in roles/gpu-vfio/tasks/main.yml:27");
  assert.is(failure(() => ev("node['__proto__']")).message, "undefined variable 'node['__proto__']' in roles/gpu-vfio/tasks/main.yml:27");
  assert.is(failure(() => ev('name.toString')).message, "undefined variable 'name.toString' in roles/gpu-vfio/tasks/main.yml:27");
  assert.is(cond('node.constructor is defined'), false);
});

test.run();
