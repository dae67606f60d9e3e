import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadPlaybook } from '../../src/playbook/load.js';
import { taskLabel } from '../../src/playbook/select.js';
import type { Playbook, Task } from '../../src/playbook/types.js';
import { loadError, writeTree } from '../fixtures/playbooks/tree.js';

/** One task per role that says where the role was found. */
const roleAt = (where: string) => `- name: from ${where}\n  command: /bin/true\n`;
const tasksOf = (playbook: Playbook) => (playbook.plays[0]!.tasks as Task[]).map((t) => taskLabel(t));

test('lookup order: <playbook dir>/roles, then <playbook dir>/../roles, then the cwd roles/', () => {
  const cwd = writeTree({
    'project/playbooks/site.yml': '- hosts: all\n  roles: [a, b, c]\n',
    'project/playbooks/roles/a/tasks/main.yml': roleAt('playbook roles'),
    'project/roles/a/tasks/main.yml': roleAt('project roles'),
    'project/roles/b/tasks/main.yml': roleAt('project roles'),
    'roles/b/tasks/main.yml': roleAt('cwd roles'),
    'roles/c/tasks/main.yml': roleAt('cwd roles'),
  });
  const playbook = loadPlaybook('project/playbooks/site.yml', { cwd });
  assert.equal(tasksOf(playbook), ['a : from playbook roles', 'b : from project roles', 'c : from cwd roles']);
});

test('a role given by path, relative to the playbook; its name is the directory name', () => {
  const cwd = writeTree({
    'site.yml': '- hosts: all\n  roles: [./vendor/gpu-role]\n',
    'vendor/gpu-role/tasks/main.yaml': roleAt('path'),
  });
  assert.equal(tasksOf(loadPlaybook('site.yml', { cwd })), ['gpu-role : from path']);
});

test('tasks/main, main.yml and main.yaml are all found', () => {
  const cwd = writeTree({
    'site.yml': '- hosts: all\n  roles: [x]\n',
    'roles/x/tasks/main': roleAt('bare main'),
  });
  assert.equal(tasksOf(loadPlaybook('site.yml', { cwd })), ['x : from bare main']);
});

test('dependencies run first, recursively, each once', () => {
  const cwd = writeTree({
    'site.yml': '- hosts: all\n  roles: [app]\n',
    'roles/app/meta/main.yml': 'dependencies: [web, db]\n',
    'roles/app/tasks/main.yml': roleAt('app'),
    'roles/web/meta/main.yml': 'dependencies: [common]\n',
    'roles/web/tasks/main.yml': roleAt('web'),
    'roles/db/meta/main.yml': 'dependencies: [{role: common}]\n',
    'roles/db/tasks/main.yml': roleAt('db'),
    'roles/common/tasks/main.yml': roleAt('common'),
  });
  assert.equal(tasksOf(loadPlaybook('site.yml', { cwd })), ['common : from common', 'web : from web', 'db : from db', 'app : from app']);
});

test('dedup: same params run once, different params run again, allow_duplicates runs every time', () => {
  const cwd = writeTree({
    'site.yml': [
      '- hosts: all',
      '  roles:',
      '    - {role: svc, port: 1}',
      '    - {role: svc, port: 1, tags: [again]}',
      '    - {role: svc, port: 2}',
      '    - role: svc',
      '      vars: {port: 2}',
      '    - counter',
      '    - counter',
    ].join('\n'),
    'roles/svc/tasks/main.yml': roleAt('svc'),
    'roles/counter/meta/main.yml': 'allow_duplicates: true\n',
    'roles/counter/tasks/main.yml': roleAt('counter'),
  });
  const playbook = loadPlaybook('site.yml', { cwd });
  assert.equal(tasksOf(playbook), ['svc : from svc', 'svc : from svc', 'counter : from counter', 'counter : from counter']);
  const tasks = playbook.plays[0]!.tasks as Task[];
  assert.equal(tasks[0]!.role!.params, { port: 1 });
  assert.equal(tasks[1]!.role!.params, { port: 2 }, "params given under 'vars' count the same as inline params");
});

test('a dependency shared by two roles runs once; with its own params it runs again', () => {
  const cwd = writeTree({
    'site.yml': '- hosts: all\n  roles: [a, b, c]\n',
    'roles/a/meta/main.yml': 'dependencies: [base]\n',
    'roles/b/meta/main.yml': 'dependencies: [base]\n',
    'roles/c/meta/main.yml': 'dependencies: [{role: base, flavour: gpu}]\n',
    'roles/base/tasks/main.yml': roleAt('base'),
  });
  assert.equal(tasksOf(loadPlaybook('site.yml', { cwd })), ['base : from base', 'base : from base']);
});

test('import_role and include_role run each time, with tasks_from/defaults_from/vars_from/handlers_from', () => {
  const cwd = writeTree({
    'site.yml': [
      '- hosts: all',
      '  roles: [gpu]',
      '  tasks:',
      '    - import_role:',
      '        name: gpu',
      '        tasks_from: verify',
      '        defaults_from: other',
      '        vars_from: other.yml',
      '        handlers_from: extra',
      '      when: check_gpu',
      '      vars: {strict: true}',
      '    - include_role: {name: gpu}',
      '      tags: again',
      '    - command: /bin/true',
      '      notify: extra handler',
    ].join('\n'),
    'roles/gpu/tasks/main.yml': roleAt('main'),
    'roles/gpu/tasks/verify.yml': roleAt('verify'),
    'roles/gpu/defaults/other.yml': 'd: other\n',
    'roles/gpu/vars/other.yml': 'v: other\n',
    'roles/gpu/handlers/extra.yml': '- name: extra handler\n  debug: {msg: x}\n',
  });
  const playbook = loadPlaybook('site.yml', { cwd });
  const tasks = playbook.plays[0]!.tasks as Task[];
  assert.equal(tasks.map(taskLabel), ['gpu : from main', 'gpu : from verify', 'gpu : from main', 'command']);
  assert.equal(tasks[1]!.when, ['check_gpu']);
  assert.equal(tasks[1]!.vars, { strict: true });
  assert.equal(tasks[1]!.role!.defaults, { d: 'other' });
  assert.equal(tasks[1]!.role!.vars, { v: 'other' });
  assert.equal(tasks[2]!.tags, ['again']);
  assert.equal(playbook.plays[0]!.handlers.map((h) => h.name), ['extra handler']);
});

test('role when and tags apply to every task of the role and of its dependencies', () => {
  const cwd = writeTree({
    'site.yml': '- hosts: all\n  roles:\n    - {role: top, when: use_top, tags: [t], become: true}\n',
    'roles/top/meta/main.yml': 'dependencies:\n  - {role: dep, when: use_dep, tags: d}\n',
    'roles/top/tasks/main.yml': roleAt('top'),
    'roles/dep/tasks/main.yml': roleAt('dep'),
  });
  const [dep, top] = loadPlaybook('site.yml', { cwd }).plays[0]!.tasks as Task[];
  assert.equal(dep!.when, ['use_top', 'use_dep']);
  assert.equal(dep!.tags, ['t', 'd']);
  assert.is(dep!.become, true);
  assert.equal(top!.when, ['use_top']);
  assert.equal(top!.tags, ['t']);
});

test('include_tasks inside a role finds files in the role tasks/ directory', () => {
  const cwd = writeTree({
    'site.yml': '- hosts: all\n  roles: [r]\n',
    'roles/r/tasks/main.yml': '- include_tasks: sub/one.yml\n',
    'roles/r/tasks/sub/one.yml': '- include_tasks: two.yml\n',
    'roles/r/tasks/two.yml': roleAt('two'),
  });
  assert.equal(tasksOf(loadPlaybook('site.yml', { cwd })), ['r : from two']);
});

test('a role dependency cycle is an error naming the chain and the meta file line', () => {
  const error = loadError({
    'site.yml': '- hosts: all\n  roles: [a]\n',
    'roles/a/meta/main.yml': 'dependencies: [b]\n',
    'roles/b/meta/main.yml': 'dependencies:\n  - a\n',
  });
  assert.is(error.describe(), 'roles/b/meta/main.yml:2:5: role dependency cycle: a -> b -> a');
  assert.is(error.exitCode, 4);
});

test('an unknown role names the places looked in and a close match', () => {
  const error = loadError({
    'site.yml': '- hosts: all\n  roles:\n    - gpu-vfo\n',
    'roles/gpu-vfio/tasks/main.yml': roleAt('x'),
  });
  assert.is(error.pos?.line, 3);
  assert.is(error.pos?.col, 7);
  assert.match(error.message, /^role 'gpu-vfo' not found; looked in: roles, .*; did you mean 'gpu-vfio'\?$/);
});

test.run();
