import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fnmatchToRegExp, matchesStartAt, selectTasks, shouldRunByTags, taskLabel } from '../../src/playbook/select.js';
import type { Block, RoleInstance, Task, TaskNode } from '../../src/playbook/types.js';

const pos = { file: 'site.yml', line: 1, col: 1 };
const role: RoleInstance = { name: 'gpu-vfio', path: '/r/gpu-vfio', defaults: {}, vars: {}, params: {}, dependencies: [] };

function task(name: string | undefined, tags: string[] = [], extra: Partial<Task> = {}): Task {
  return { kind: 'task', pos, name, when: [], tags, vars: {}, module: 'command', args: {}, loopVar: 'item', notify: [], ...extra };
}

function block(body: TaskNode[], rescue: TaskNode[] = [], always: TaskNode[] = []): Block {
  return { kind: 'block', pos, when: [], tags: [], vars: {}, block: body, rescue, always };
}

const names = (nodes: TaskNode[]): string[] =>
  nodes.flatMap((n) => (n.kind === 'block' ? [`[${names(n.block).join(',')}|${names(n.rescue).join(',')}|${names(n.always).join(',')}]`] : [n.name ?? '?']));

const select = (nodes: TaskNode[], tags: string[], skipTags: string[] = []) => names(selectTasks(nodes, { tags, skipTags }, { started: true }));

const sample = [
  task('plain'),
  task('gpu', ['gpu']),
  task('always', ['always']),
  task('never', ['never']),
  task('never-debug', ['never', 'debug']),
  task('net', ['net', 'gpu']),
];

test('no --tags runs everything except tasks tagged never', () => {
  assert.equal(select(sample, []), ['plain', 'gpu', 'always', 'net']);
  assert.equal(select(sample, ['all']), ['plain', 'gpu', 'always', 'net']);
});

test('--tags picks tasks sharing a tag, plus always; never runs only when its other tag is asked', () => {
  assert.equal(select(sample, ['gpu']), ['gpu', 'always', 'net']);
  assert.equal(select(sample, ['debug']), ['always', 'never-debug']);
  assert.equal(select(sample, ['never']), ['always', 'never', 'never-debug']);
});

test('tagged and untagged special tags', () => {
  assert.equal(select(sample, ['tagged']), ['gpu', 'always', 'net']);
  assert.equal(select(sample, ['untagged']), ['plain', 'always']);
  assert.equal(select(sample, [], ['tagged']), ['plain']);
  assert.equal(select(sample, [], ['untagged']), ['gpu', 'always', 'net']);
});

test('--skip-tags removes tasks sharing a tag; always is skipped only when named', () => {
  assert.equal(select(sample, [], ['gpu']), ['plain', 'always']);
  assert.equal(select(sample, [], ['always']), ['plain', 'gpu', 'net']);
  assert.equal(select(sample, [], ['all']), ['always']);
  assert.equal(select(sample, [], ['all', 'always']), []);
  assert.equal(select(sample, ['gpu'], ['net']), ['gpu', 'always']);
});

test('shouldRunByTags: a task tagged always still runs with unrelated --tags', () => {
  assert.ok(shouldRunByTags(['always'], ['nothing'], []));
  assert.not.ok(shouldRunByTags(['x'], ['nothing'], []));
});

test('blocks keep what is selected inside them and vanish when empty', () => {
  const nodes = [block([task('a', ['gpu']), task('b')], [task('r', ['gpu'])], [task('c')]), block([task('d')])];
  assert.equal(select(nodes, ['gpu']), ['[a|r|]']);
  assert.equal(select(nodes, [], ['gpu']), ['[b||c]', '[d||]']);
});

test('taskLabel prefixes role tasks and uses the module when there is no name', () => {
  assert.is(taskLabel(task('Write ids', [], { role })), 'gpu-vfio : Write ids');
  assert.is(taskLabel(task(undefined)), 'command');
  assert.is(taskLabel(task(undefined, [], { role })), 'gpu-vfio : command');
});

test('fnmatch globs as Python: * ? [seq] [!seq], other characters literal', () => {
  assert.ok(fnmatchToRegExp('Install *').test('Install base packages'));
  assert.ok(fnmatchToRegExp('node?').test('node1'));
  assert.not.ok(fnmatchToRegExp('node?').test('node10'));
  assert.ok(fnmatchToRegExp('gpu[0-9]').test('gpu3'));
  assert.not.ok(fnmatchToRegExp('gpu[!0-9]').test('gpu3'));
  assert.ok(fnmatchToRegExp('a.b (c)').test('a.b (c)'));
  assert.not.ok(fnmatchToRegExp('a.b').test('axb'));
  assert.ok(fnmatchToRegExp('*/tmp/*').test('copy /tmp/x'));
});

test('--start-at-task matches the name or "role : name", exactly or by glob', () => {
  assert.ok(matchesStartAt(task('Write ids', [], { role }), 'Write ids'));
  assert.ok(matchesStartAt(task('Write ids', [], { role }), 'gpu-vfio : Write ids'));
  assert.ok(matchesStartAt(task('Write ids', [], { role }), 'gpu-vfio : Write*'));
  assert.not.ok(matchesStartAt(task('Write ids', [], { role }), 'base : Write ids'));
});

test('--start-at-task drops tasks before the match, inside blocks too, and the state carries over', () => {
  const state = { started: false };
  const selection = { tags: [], skipTags: [], startAtTask: 'Check*' };
  const pre = [task('first'), block([task('inner'), task('Check vfio')], [], [task('after')])];
  assert.equal(names(selectTasks(pre, selection, state)), ['[Check vfio||after]']);
  assert.ok(state.started);
  assert.equal(names(selectTasks([task('later')], selection, state)), ['later']);
});

test('selecting the same section again (next serial batch) gives the same tasks', () => {
  const state = { started: false };
  const section = [task('a'), task('b'), task('c')];
  const selection = { tags: [], skipTags: [], startAtTask: 'b' };
  assert.equal(names(selectTasks(section, selection, state)), ['b', 'c']);
  assert.equal(names(selectTasks(section, selection, state)), ['b', 'c']);
});

test('--start-at-task that never matches selects nothing', () => {
  const state = { started: false };
  assert.equal(selectTasks([task('a'), task('b')], { tags: [], skipTags: [], startAtTask: 'zzz' }, state), []);
  assert.not.ok(state.started);
});

test('--start-at-task still applies tags after the match', () => {
  const state = { started: false };
  const nodes = [task('a'), task('b', ['x']), task('c', ['y'])];
  assert.equal(names(selectTasks(nodes, { tags: ['y'], skipTags: [], startAtTask: 'b' }, state)), ['c']);
});

test.run();
