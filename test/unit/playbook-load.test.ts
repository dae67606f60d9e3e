import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadPlaybook } from '../../src/playbook/load.js';
import { taskLabel } from '../../src/playbook/select.js';
import type { Block, Task, TaskNode } from '../../src/playbook/types.js';
import { FIXTURES, loadTree } from '../fixtures/playbooks/tree.js';

const PROJECT = path.join(FIXTURES, 'project');
const site = () => loadPlaybook('playbooks/site.yml', { cwd: PROJECT });

const labels = (nodes: TaskNode[]) => nodes.map((n) => (n.kind === 'block' ? 'block' : taskLabel(n)));
const asTask = (node: TaskNode | undefined) => node as Task;

test('the example playbook: plays, imported playbook flattened, paths', () => {
  const playbook = site();
  assert.is(playbook.path, path.join(PROJECT, 'playbooks/site.yml'));
  assert.is(playbook.dir, path.join(PROJECT, 'playbooks'));
  assert.equal(playbook.plays.map((p) => [p.name, p.hosts]), [['Prepare KVM nodes', 'kvm_nodes'], ['master', 'master']]);
  assert.equal(playbook.plays[0]!.pos, { file: 'playbooks/site.yml', line: 1, col: 3 });
  assert.equal(playbook.plays[1]!.pos.file, 'playbooks/master.yml');
});

test('roles run first, dependencies before dependants, a role already run is not repeated', () => {
  const play = site().plays[0]!;
  assert.equal(labels(play.preTasks), ['Check connectivity']);
  assert.equal(labels(play.tasks), [
    'base : Install base packages',
    'base : Disable SELinux',
    'kvm-node : Check virtualization',
    'gpu-vfio : Write vfio-pci ids',
    'gpu-vfio : Check vfio-pci is bound',
    'Open node ports',
    'block',
    'Say done',
  ]);
  assert.equal(play.roles.map((r) => r.name), ['base', 'kvm-node', 'gpu-vfio']);
  const gpu = play.roles[2]!;
  assert.equal(gpu.dependencies.map((d) => d.name), ['base', 'kvm-node']);
  assert.is(gpu.dependencies[0], play.roles[0], 'the deduplicated dependency is the instance that ran');
});

test('role files: defaults, vars and params land on the RoleInstance', () => {
  const gpu = site().plays[0]!.roles.find((r) => r.name === 'gpu-vfio')!;
  assert.is(gpu.path, path.join(PROJECT, 'roles/gpu-vfio'));
  assert.equal(gpu.defaults, { vfio_only_prepare: false, gpu_ids: [] });
  assert.equal(gpu.vars, { vfio_conf: '/etc/modprobe.d/vfio.conf' });
  assert.equal(gpu.params, { vfio_only_prepare: true });
  const task = asTask(site().plays[0]!.tasks[3]);
  assert.is(task.role?.name, 'gpu-vfio');
});

test('inherited attributes are pushed down: play tags and become, role tags, import when', () => {
  const play = site().plays[0]!;
  assert.equal(play.tags, ['nodes']);
  const [base, , kvm, write, verify] = play.tasks as Task[];
  assert.equal(base!.tags, ['nodes', 'packages']);
  assert.is(base!.become, true);
  assert.equal(kvm!.tags, ['nodes', 'gpu', 'kvm'], 'a dependency gets its dependant role tags');
  assert.equal(write!.tags, ['nodes', 'gpu']);
  assert.equal(write!.when, []);
  assert.equal(verify!.when, ['not vfio_only_prepare']);
  assert.equal(verify!.pos, { file: 'roles/gpu-vfio/tasks/verify.yml', line: 1, col: 3 });
  const block = play.tasks[6] as Block;
  assert.equal(block.tags, ['nodes', 'firewall']);
  assert.equal(asTask(block.block[0]).tags, ['nodes', 'firewall']);
  assert.equal(asTask(block.rescue[0]).name, 'Report firewalld down');
});

test('module arguments: free form, key=value, defaults filled by the registry, loops', () => {
  const play = site().plays[0]!;
  const ports = asTask(play.tasks[5]);
  assert.is(ports.module, 'command');
  assert.is(ports.args.cmd, 'firewall-cmd --permanent --add-port={{ item }}/tcp');
  assert.is(ports.loop, '{{ node_ports }}');
  assert.is(ports.loopVar, 'item');
  assert.equal(ports.notify, ['reload firewalld']);
  const debug = asTask(site().plays[1]!.tasks[0]);
  assert.is(debug.module, 'debug');
  assert.is(debug.args.msg, 'hi');
  assert.equal(debug.tags, ['never', 'debug']);
});

test('handlers: role handlers first, then the play handlers, with listen topics', () => {
  const play = site().plays[0]!;
  assert.equal(play.handlers.map((h) => [h.role?.name, h.name, h.listen]), [
    ['base', 'note reboot', []],
    ['gpu-vfio', 'rebuild initramfs', ['initramfs changed']],
    [undefined, 'reload firewalld', []],
  ]);
});

test('vars and vars_files are read at load time, relative to the playbook', () => {
  const play = site().plays[0]!;
  assert.equal(play.vars, { zjmf_component: 'node' });
  assert.equal(play.varsFiles, { vnc_ports: '10000-30000', node_ports: [4432] });
  assert.is(play.gatherFacts, true);
  assert.is(site().plays[1]!.gatherFacts, false);
});

test('vars_files paths may use extra vars and play vars; a nested list takes the first file found', () => {
  const playbook = loadTree(
    {
      'site.yml': [
        '- hosts: all',
        '  vars: {profile: gpu}',
        '  vars_files:',
        '    - "vars/{{ env }}.yml"',
        '    - ["vars/{{ profile }}-missing.yml", "vars/{{ profile }}.yml"]',
        '  tasks: []',
      ].join('\n'),
      'vars/prod.yml': 'a: 1\nb: 1\n',
      'vars/gpu.yml': 'b: 2\n',
    },
    'site.yml',
    { env: 'prod' },
  );
  assert.equal(playbook.plays[0]!.varsFiles, { a: 1, b: 2 });
});

test('hosts may be templated with extra vars and play vars', () => {
  const playbook = loadTree({ 'site.yml': '- hosts: "{{ target }}:{{ extra }}"\n  vars: {target: gpu_nodes}\n' }, 'site.yml', { extra: 'master' });
  assert.is(playbook.plays[0]!.hosts, 'gpu_nodes:master');
  assert.is(playbook.plays[0]!.name, 'gpu_nodes:master');
});

test('play keywords: serial, max_fail_percentage, strategy, any_errors_fatal, force_handlers', () => {
  const playbook = loadTree({
    'site.yml': [
      '- hosts: kvm_nodes',
      "  serial: [1, '30%', 5]",
      '  max_fail_percentage: 20',
      '  strategy: free',
      '  any_errors_fatal: yes',
      '  force_handlers: true',
      '  become: yes',
      '  become_user: admin',
      '  check_mode: false',
      '  tasks:',
      '    - command: /bin/true',
    ].join('\n'),
  });
  const play = playbook.plays[0]!;
  assert.equal(play.serial, [1, '30%', 5]);
  assert.is(play.maxFailPercentage, 20);
  assert.is(play.strategy, 'free');
  assert.is(play.anyErrorsFatal, true);
  assert.is(play.forceHandlers, true);
  assert.is(play.becomeUser, 'admin');
  const task = asTask(play.tasks[0]);
  assert.is(task.becomeUser, 'admin');
  assert.is(task.checkMode, false, 'play check_mode is pushed down to its tasks');
});

test('task keywords: register, changed_when/failed_when lists, loop_control, with_items, delegate_to localhost', () => {
  const playbook = loadTree({
    'site.yml': [
      '- hosts: all',
      '  tasks:',
      '    - name: probe',
      '      ansible.builtin.shell: cat /proc/cmdline',
      '      register: cmdline',
      '      changed_when: false',
      '      failed_when: [cmdline.rc != 0, "\'x\' in cmdline.stdout"]',
      '      ignore_errors: true',
      '      no_log: yes',
      '      run_once: true',
      '      delegate_to: localhost',
      '    - debug: {msg: "{{ gpu.id }}"}',
      '      with_items: [a, b]',
      '      loop_control: {loop_var: gpu, label: "{{ gpu }}"}',
      '      vars: {x: 1}',
      '      become: false',
    ].join('\n'),
  });
  const [probe, debug] = playbook.plays[0]!.tasks as Task[];
  assert.is(probe!.module, 'shell');
  assert.is(probe!.register, 'cmdline');
  assert.equal(probe!.changedWhen, ['false']);
  assert.equal(probe!.failedWhen, ['cmdline.rc != 0', "'x' in cmdline.stdout"]);
  assert.is(probe!.ignoreErrors, true);
  assert.is(probe!.noLog, true);
  assert.is(probe!.runOnce, true);
  assert.is(probe!.delegateTo, 'localhost');
  assert.equal(debug!.loop, ['a', 'b']);
  assert.is(debug!.loopVar, 'gpu');
  assert.is(debug!.loopLabel, '{{ gpu }}');
  assert.equal(debug!.vars, { x: 1 });
  assert.is(debug!.become, false);
});

test('blocks push when, tags, vars and become down to every task inside', () => {
  const playbook = loadTree({
    'site.yml': [
      '- hosts: all',
      '  tasks:',
      '    - block:',
      '        - command: /bin/a',
      '          when: b_ok',
      '          vars: {v: task}',
      '      always:',
      '        - meta: flush_handlers',
      '      when: a_ok',
      '      tags: outer',
      '      vars: {v: block, w: block}',
      '      become: true',
      '      become_user: root',
    ].join('\n'),
  });
  const block = playbook.plays[0]!.tasks[0] as Block;
  const inner = asTask(block.block[0]);
  assert.equal(block.when, ['a_ok']);
  assert.equal(inner.when, ['a_ok', 'b_ok']);
  assert.equal(inner.tags, ['outer']);
  assert.equal(inner.vars, { v: 'task', w: 'block' });
  assert.is(inner.become, true);
  assert.is(inner.becomeUser, 'root');
  const meta = block.always[0]!;
  assert.is(meta.kind, 'meta');
  assert.equal(meta.kind === 'meta' && meta.action, 'flush_handlers');
  assert.equal(meta.tags, ['outer']);
});

test('include_tasks and import_tasks: relative to the including file, vars and when pushed down', () => {
  const playbook = loadTree({
    'site.yml': [
      '- hosts: all',
      '  tasks:',
      '    - include_tasks: tasks/a.yml',
      '      when: first',
      '      vars: {from_include: 1}',
    ].join('\n'),
    'tasks/a.yml': '- import_tasks: b.yml\n  when: second\n',
    'tasks/b.yml': '- name: deep\n  command: /bin/true\n',
  });
  const task = asTask(playbook.plays[0]!.tasks[0]);
  assert.is(task.name, 'deep');
  assert.equal(task.when, ['first', 'second']);
  assert.equal(task.vars, { from_include: 1 });
  assert.equal(task.pos, { file: 'tasks/b.yml', line: 1, col: 3 });
});

test('import_playbook: vars and tags reach every imported play', () => {
  const playbook = loadTree({
    'site.yml': '- import_playbook: other.yml\n  vars: {x: 1}\n  tags: [imported]\n',
    'other.yml': '- hosts: all\n  vars: {x: 0, y: 2}\n  tasks:\n    - command: /bin/true\n',
  });
  const play = playbook.plays[0]!;
  assert.equal(play.vars, { x: 1, y: 2 });
  assert.equal(play.tags, ['imported']);
  assert.equal(asTask(play.tasks[0]).tags, ['imported']);
});

test('a handler can be notified by name, by "role : name", or by a listen topic', () => {
  const playbook = loadTree({
    'site.yml': [
      '- hosts: all',
      '  roles: [svc]',
      '  tasks:',
      '    - command: /bin/a',
      '      notify: [restart svc, "svc : restart svc", svc changed]',
    ].join('\n'),
    'roles/svc/handlers/main.yml': '- name: restart svc\n  service: {name: svc, state: restarted}\n  listen: svc changed\n',
  });
  assert.equal(asTask(playbook.plays[0]!.tasks[0]).notify, ['restart svc', 'svc : restart svc', 'svc changed']);
});

test.run();
