import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_FORKS, parsePlayArgs, type PlaybookRequest } from '../../src/cli/args.js';
import { parseExtraVars } from '../../src/cli/extra-vars.js';
import { ExitCode, PlayError } from '../../src/errors.js';
import { writeTree } from '../fixtures/playbooks/tree.js';

function request(argv: string[], cwd = '/'): PlaybookRequest {
  const parsed = parsePlayArgs(argv, cwd, () => undefined);
  if (parsed.kind !== 'playbooks') throw new Error('expected a playbook request');
  return parsed.request;
}

function optionsError(argv: string[], cwd = '/'): PlayError {
  try {
    parsePlayArgs(argv, cwd, () => undefined);
  } catch (error) {
    if (error instanceof PlayError) return error;
    throw error;
  }
  throw new Error('expected the arguments to be rejected');
}

test('defaults: one playbook, no inventory, nothing asked', () => {
  const r = request(['site.yml']);
  assert.equal(r.playbooks, ['site.yml']);
  assert.equal(r.inventory, []);
  assert.equal([r.listHosts, r.listTasks, r.listTags, r.syntaxCheck], [false, false, false, false]);
  assert.equal(r.options, {
    tags: [],
    skipTags: [],
    check: false,
    diff: false,
    forks: DEFAULT_FORKS,
    extraVars: {},
    become: false,
    verbosity: 0,
    acceptNewHostKeys: false,
    forceHandlers: false,
  });
});

test('every ansible-playbook flag we take, short and long', () => {
  const r = request([
    'a.yml', 'b.yml', '-i', 'inv1', '--inventory', 'inv2', '-l', 'gpu_nodes', '-t', 'gpu,net', '--tags', 'fw',
    '--skip-tags', 'slow', '-C', '-D', '-f', '10', '-e', 'a=1', '--start-at-task', 'Write*', '--list-hosts',
    '--list-tasks', '--list-tags', '--syntax-check', '-b', '--become-user', 'admin', '-u', 'centos',
    '--private-key', 'id_ed25519', '--accept-new-host-keys', '--force-handlers', '-vvv',
  ]);
  assert.equal(r.playbooks, ['a.yml', 'b.yml']);
  assert.equal(r.inventory, ['inv1', 'inv2']);
  assert.equal([r.listHosts, r.listTasks, r.listTags, r.syntaxCheck], [true, true, true, true]);
  assert.equal(r.options, {
    limit: 'gpu_nodes',
    tags: ['gpu', 'net', 'fw'],
    skipTags: ['slow'],
    check: true,
    diff: true,
    forks: 10,
    extraVars: { a: '1' },
    startAtTask: 'Write*',
    become: true,
    becomeUser: 'admin',
    remoteUser: 'centos',
    privateKey: 'id_ed25519',
    verbosity: 3,
    acceptNewHostKeys: true,
    forceHandlers: true,
  });
});

test('-v may be repeated separately', () => {
  assert.is(request(['site.yml', '-v', '-v']).options.verbosity, 2);
});

test('-e: key=value words, JSON, YAML, @file; later values replace earlier ones', () => {
  const cwd = writeTree({ 'vars.yml': 'from_file: yes\nshared: file\n', 'vars.json': '{"j": [1, 2]}' });
  const vars = parseExtraVars(
    ['zjmf_version=3.5 nic="eth 1"', '{"count": 3, "shared": "json"}', '@vars.yml', '@vars.json', '{flag: true}', ''],
    cwd,
  );
  assert.equal(vars, { zjmf_version: '3.5', nic: 'eth 1', count: 3, shared: 'file', from_file: true, j: [1, 2], flag: true });
});

const badOptions: [string, string[], RegExp][] = [
  ['unknown flag', ['site.yml', '--frobnicate'], /^unknown option '--frobnicate'/],
  ['a near-miss flag suggests the right one', ['site.yml', '--skip-tag', 'x'], /Did you mean --skip-tags\?/],
  ['forks 0', ['site.yml', '-f', '0'], /forks must be a whole number of at least 1/],
  ['forks not a number', ['site.yml', '--forks', 'many'], /forks must be a whole number/],
  ['bad -e JSON', ['site.yml', '-e', '{"a": 1'], /^invalid JSON\/YAML in extra vars '\{"a": 1': /],
  ['-e JSON that is not a mapping', ['site.yml', '-e', '[1, 2]'], /must give a mapping/],
  ['-e word without =', ['site.yml', '-e', 'debug'], /'debug' is not KEY=VALUE/],
  ['-e file without @', ['site.yml', '-e', './vars.yml'], /write it as '@\.\/vars\.yml'/],
  ['-e @file that does not exist', ['site.yml', '-e', '@nope.yml'], /^extra vars file not found: nope\.yml$/],
  ['no playbook', ['-i', 'hosts'], /missing required argument 'playbook'/],
  ['a flag without its value', ['site.yml', '--limit'], /argument missing/],
];

for (const [name, argv, message] of badOptions) {
  test(`bad options: ${name} (exit 5)`, () => {
    const error = optionsError(argv);
    assert.is(error.exitCode, ExitCode.BAD_OPTIONS);
    assert.match(error.message, message);
  });
}

test('a YAML error inside an -e @file is a parse error with its position', () => {
  const cwd = writeTree({ 'bad.yml': 'a: 1\na: 2\n' });
  const error = optionsError(['site.yml', '-e', '@bad.yml'], cwd);
  assert.is(error.exitCode, ExitCode.PARSE_ERROR);
  assert.is(error.describe(), "bad.yml:2:1: duplicate key 'a' in a mapping; each key may appear only once");
});

test('--help and --version print and finish with exit 0', () => {
  let printed = '';
  const help = parsePlayArgs(['--help'], '/', (text) => (printed += text));
  assert.equal(help, { kind: 'done', exitCode: 0 });
  assert.match(printed, /Usage: play \[options\] playbook\.yml/);
  assert.match(printed, /--start-at-task <name>/);
  printed = '';
  assert.equal(parsePlayArgs(['--version'], '/', (text) => (printed += text)), { kind: 'done', exitCode: 0 });
  assert.match(printed, /^\d+\.\d+\.\d+\n$/);
});

test.run();
