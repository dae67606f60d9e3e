import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExitCode } from '../../src/errors.js';
import { loadError } from '../fixtures/playbooks/tree.js';

interface Case {
  files: Record<string, string>;
  /** file:line:col of the error ('file:line:' where the vars module computes the column inside a string). */
  at: string;
  /** The exact message, or a pattern when another module words it. */
  message: string | RegExp;
  extraVars?: Record<string, unknown>;
}

const play = (...taskLines: string[]) => ['- hosts: all', '  tasks:', ...taskLines].join('\n') + '\n';

const CASES: Record<string, Case> = {
  'bad YAML': {
    files: { 'site.yml': '- hosts: all\n  tasks:\n    - name: x\n      command: a: b\n' },
    at: 'site.yml:4:16',
    message: /^YAML syntax error: /,
  },
  'duplicate key': {
    files: { 'site.yml': play('    - name: one', '      command: /bin/a', '      name: two') },
    at: 'site.yml:5:7',
    message: "duplicate key 'name' in a mapping; each key may appear only once",
  },
  'unknown play key': {
    files: { 'site.yml': '- hosts: all\n  gather_fact: false\n' },
    at: 'site.yml:2:3',
    message: "unknown key 'gather_fact' in a play; did you mean 'gather_facts'?",
  },
  'missing hosts': {
    files: { 'site.yml': '- name: nowhere\n  tasks: []\n' },
    at: 'site.yml:1:3',
    message: "a play needs 'hosts' (a host pattern such as 'all' or 'gpu_nodes')",
  },
  'play keyword we do not support': {
    files: { 'site.yml': '- hosts: all\n  remote_user: centos\n' },
    at: 'site.yml:2:3',
    message: "'remote_user' is not supported in a play: set ansible_user in the inventory or pass -u USER",
  },
  'unknown task key': {
    files: { 'site.yml': play('    - command: /bin/true', '      whn: x') },
    at: 'site.yml:4:7',
    message: "unknown key 'whn' in a task: it is neither a task keyword nor a module; did you mean 'when'?",
  },
  'two modules in one task': {
    files: { 'site.yml': play('    - name: both', '      copy: {content: x, dest: /tmp/x}', '      template: {src: a.j2, dest: /tmp/y}') },
    at: 'site.yml:5:7',
    message: "a task runs one module, but this one names two: 'copy' and 'template'",
  },
  'no module': {
    files: { 'site.yml': play('    - name: nothing to do', '      when: true') },
    at: 'site.yml:3:7',
    message: "this task names no module; add one as a key (for example 'command: ...' or 'copy: ...')",
  },
  'unknown module': {
    files: { 'site.yml': play('    - comand: /bin/true') },
    at: 'site.yml:3:7',
    message: "unknown key 'comand' in a task: it is neither a task keyword nor a module; did you mean 'command'?",
  },
  'unknown option with did-you-mean, in a role': {
    files: {
      'site.yml': '- hosts: all\n  roles: [gpu-vfio]\n',
      'roles/gpu-vfio/tasks/main.yml': '- name: Write vfio.conf\n  template:\n    srcc: vfio.conf.hbs\n    dest: /etc/modprobe.d/vfio.conf\n',
    },
    at: 'roles/gpu-vfio/tasks/main.yml:3:5',
    message: "unknown option 'srcc' for module template; did you mean 'src'?",
  },
  'wrong option type': {
    files: { 'site.yml': play('    - copy:', '        content: x', '        dest: /tmp/x', '        backup: maybe') },
    at: 'site.yml:6:9',
    message: /^backup must be a boolean/,
  },
  'missing required option': {
    files: { 'site.yml': play('    - name: no dest', '      template:', '        src: a.hbs') },
    at: 'site.yml:4:7',
    message: "missing required option 'dest' for module template",
  },
  'bad choice': {
    files: { 'site.yml': play('    - package: {name: qemu-kvm, state: presnt}') },
    at: 'site.yml:3:33',
    message: "state must be one of: present, installed, latest, absent, removed; got 'presnt'",
  },
  'free-form text for a module that takes none': {
    files: { 'site.yml': play('    - copy: hello world') },
    at: 'site.yml:3:13',
    message: "module copy takes no free-form text ('hello world'); give its options as a mapping or as key=value words",
  },
  'unknown option given as key=value': {
    files: { 'site.yml': play('    - file: path=/tmp/x stat=directory') },
    at: 'site.yml:3:13',
    message: /^unknown option 'stat' for module file; did you mean 'state'\?/,
  },
  'unknown role': {
    files: { 'site.yml': '- hosts: all\n  roles:\n    - role: nope\n' },
    at: 'site.yml:3:13',
    message: /^role 'nope' not found; looked in: roles, /,
  },
  'role meta cycle': {
    files: {
      'site.yml': '- hosts: all\n  roles: [a]\n',
      'roles/a/meta/main.yml': 'dependencies:\n  - role: a\n',
    },
    at: 'roles/a/meta/main.yml:2:11',
    message: 'role dependency cycle: a -> a',
  },
  'unknown key in role meta': {
    files: { 'site.yml': '- hosts: all\n  roles: [a]\n', 'roles/a/meta/main.yml': 'dependancies: []\n' },
    at: 'roles/a/meta/main.yml:1:1',
    message: "unknown key 'dependancies' in the role meta file roles/a/meta/main.yml; did you mean 'dependencies'?",
  },
  'missing import_tasks file': {
    files: { 'site.yml': play('    - import_tasks: tasks/missing.yml') },
    at: 'site.yml:3:21',
    message: "file 'tasks/missing.yml' for 'import_tasks' not found; looked for: tasks/missing.yml",
  },
  'task files including each other': {
    files: { 'site.yml': play('    - include_tasks: a.yml'), 'a.yml': '- include_tasks: b.yml\n', 'b.yml': '- import_tasks: a.yml\n' },
    at: 'b.yml:1:17',
    message: 'task files include each other in a cycle: a.yml -> b.yml -> a.yml',
  },
  'missing tasks_from file': {
    files: { 'site.yml': play('    - import_role: {name: r, tasks_from: nope}'), 'roles/r/tasks/main.yml': '[]\n' },
    at: 'site.yml:3:27',
    message: "file 'nope' not found in role r's tasks/; looked for: roles/r/tasks/nope.yml, roles/r/tasks/nope.yaml, roles/r/tasks/nope",
  },
  'notify to a missing handler': {
    files: {
      'site.yml': play('    - name: change it', '      command: /bin/true', '      notify: restart libvirt') + '  handlers:\n    - name: restart libvirtd\n      service: {name: libvirtd, state: restarted}\n',
    },
    at: 'site.yml:3:7',
    message: "task 'change it' notifies 'restart libvirt', but no handler has that name or listens to it; did you mean 'restart libvirtd'?",
  },
  'bad when expression': {
    files: { 'site.yml': play('    - command: /bin/true', '      when: gpu_ids | length >') },
    at: 'site.yml:4:13',
    message: /./,
  },
  'bad template in a task argument': {
    files: { 'site.yml': play('    - debug:', '        msg: "{{#if x}} unclosed"') },
    at: 'site.yml:4:',
    message: /template/,
  },
  'bad serial': {
    files: { 'site.yml': "- hosts: all\n  serial: [1, '130%']\n" },
    at: 'site.yml:2:15',
    message: "'serial' must be a positive whole number, a percentage such as '30%', or a list of those; got '130%'",
  },
  'bad strategy': {
    files: { 'site.yml': '- hosts: all\n  strategy: fre\n' },
    at: 'site.yml:2:13',
    message: "'strategy' must be one of: linear, free; got 'fre'; did you mean 'free'?",
  },
  'missing vars_file': {
    files: { 'site.yml': '- hosts: all\n  vars_files:\n    - vars/{{ env }}.yml\n' },
    extraVars: { env: 'prod' },
    at: 'site.yml:3:7',
    message: 'vars file not found: vars/prod.yml',
  },
  'undefined variable in a vars_files path': {
    files: { 'site.yml': '- hosts: all\n  vars_files:\n    - "vars/{{ stage }}.yml"\n' },
    at: 'site.yml:3:',
    message: /stage/,
  },
  'delegate_to a remote host': {
    files: { 'site.yml': play('    - command: /bin/true', '      delegate_to: master1') },
    at: 'site.yml:4:20',
    message: "delegate_to 'master1' is not supported: only localhost (or 127.0.0.1) can be delegated to",
  },
  'loop on include_role': {
    files: { 'site.yml': play('    - include_role: {name: r}', '      loop: [1, 2]'), 'roles/r/tasks/main.yml': '[]\n' },
    at: 'site.yml:4:7',
    message: "'loop' is not supported in 'include_role': a loop on 'include_role' is not supported: files and roles are read before the run; put the loop on the tasks inside instead",
  },
  'environment keyword': {
    files: { 'site.yml': play('    - command: make', '      environment: {PATH: /x}') },
    at: 'site.yml:4:7',
    message: "'environment' is not supported in a task: set variables in the command itself (shell: 'VAR=value command')",
  },
  'unknown meta action': {
    files: { 'site.yml': play('    - meta: flush_handler') },
    at: 'site.yml:3:13',
    message: "unknown meta action 'flush_handler'; expected one of: flush_handlers, noop, end_play, end_host, clear_facts, refresh_inventory, reset_connection; did you mean 'flush_handlers'?",
  },
  'a handler without name or listen': {
    files: { 'site.yml': '- hosts: all\n  handlers:\n    - service: {name: x, state: restarted}\n' },
    at: 'site.yml:3:7',
    message: "a handler needs a 'name' or 'listen' so tasks can notify it",
  },
  'become that is not a boolean': {
    files: { 'site.yml': play('    - command: /bin/true', '      become: sudo') },
    at: 'site.yml:4:15',
    message: "'become' must be a boolean (true/false), got string 'sudo'",
  },
  'register that is not a variable name': {
    files: { 'site.yml': play('    - command: /bin/true', '      register: my-result') },
    at: 'site.yml:4:17',
    message: "'register' must be a variable name, got 'my-result'",
  },
  'loop given as a plain string': {
    files: { 'site.yml': play('    - debug: {msg: x}', '      loop: gpus') },
    at: 'site.yml:4:13',
    message: `'loop' must be a list or a template such as "{{ gpus }}", got 'gpus'`,
  },
  'import_playbook among tasks': {
    files: { 'site.yml': play('    - import_playbook: other.yml') },
    at: 'site.yml:3:7',
    message: "'import_playbook' is only allowed at the top level of a playbook, not among tasks",
  },
  'a playbook that is not a list': {
    files: { 'site.yml': 'hosts: all\ntasks: []\n' },
    at: 'site.yml:1:1',
    message: 'a playbook (a list of plays) must be a list, got a mapping',
  },
  'an empty playbook': {
    files: { 'site.yml': '# nothing yet\n' },
    at: 'site.yml:1:1',
    message: 'the playbook is empty; expected a list of plays',
  },
  'import_playbook of a missing file': {
    files: { 'site.yml': '- import_playbook: nodes.yml\n' },
    at: 'site.yml:1:20',
    message: "playbook 'nodes.yml' for import_playbook not found (nodes.yml)",
  },
  'loop_control option we do not support': {
    files: { 'site.yml': play('    - debug: {msg: x}', '      loop: [1]', '      loop_control: {index_var: i}') },
    at: 'site.yml:5:22',
    message: "'index_var' is not supported in 'loop_control': use a list of dicts carrying the index",
  },
};

for (const [name, c] of Object.entries(CASES)) {
  test(name, () => {
    const error = loadError(c.files, 'site.yml', c.extraVars);
    assert.is(error.exitCode, ExitCode.PARSE_ERROR, `exit code for: ${error.describe()}`);
    const where = `${error.pos?.file}:${error.pos?.line}:${error.pos?.col}`;
    assert.is(c.at.endsWith(':') ? where.slice(0, c.at.length) : where, c.at, `position of: ${error.describe()}`);
    if (typeof c.message === 'string') assert.is(error.message, c.message);
    else assert.match(error.message, c.message);
  });
}

test.run();
