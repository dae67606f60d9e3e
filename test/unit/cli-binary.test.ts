import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIXTURES, writeTree } from '../fixtures/playbooks/tree.js';

const ROOT = path.resolve(FIXTURES, '../../..');
const BIN = path.join(ROOT, 'dist/cli/main.js');
const PROJECT = path.join(FIXTURES, 'project');

/** Runs the built `play` binary; returns its exit code and output. */
function play(args: string[], cwd = PROJECT): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test.before(() => {
  // The binary runs dist/: build it as `npm run build` does (the modules, then the bundle).
  spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
  assert.ok(existsSync(path.join(ROOT, 'dist/cli/play.cjs')), 'npm run build produced dist/cli/play.cjs');
});

test('--list-tasks on the example playbook with roles, in ansible-playbook format', () => {
  const { code, stdout, stderr } = play(['playbooks/site.yml', '-i', 'inventory/hosts.ini', '--list-tasks']);
  assert.is(stderr, '');
  assert.is(code, 0);
  assert.fixture(
    stdout,
    [
      '',
      'playbook: playbooks/site.yml',
      '',
      '  play #1 (kvm_nodes): Prepare KVM nodes\tTAGS: [nodes]',
      '    tasks:',
      '      Check connectivity\tTAGS: [nodes]',
      '      base : Install base packages\tTAGS: [nodes, packages]',
      '      base : Disable SELinux\tTAGS: [nodes]',
      '      kvm-node : Check virtualization\tTAGS: [gpu, kvm, nodes]',
      '      gpu-vfio : Write vfio-pci ids\tTAGS: [gpu, nodes]',
      '      gpu-vfio : Check vfio-pci is bound\tTAGS: [gpu, nodes]',
      '      Open node ports\tTAGS: [firewall, nodes]',
      '      Check firewalld\tTAGS: [firewall, nodes]',
      '      Say done\tTAGS: [nodes]',
      '',
      '  play #2 (master): master\tTAGS: []',
      '    tasks:',
      '      Always check\tTAGS: [always]',
      '',
    ].join('\n'),
  );
});

test('--list-tasks follows --tags/--skip-tags (never tasks appear only when asked)', () => {
  const { code, stdout } = play(['playbooks/site.yml', '-i', 'inventory/hosts.ini', '--list-tasks', '-t', 'gpu,debug', '--skip-tags', 'kvm']);
  assert.is(code, 0);
  const tasks = stdout.split('\n').filter((line) => line.startsWith('      ')).map((line) => line.trim().split('\t')[0]);
  assert.equal(tasks, ['gpu-vfio : Write vfio-pci ids', 'gpu-vfio : Check vfio-pci is bound', 'debug', 'Always check']);
});

test('--list-hosts and --list-tags with --limit', () => {
  const { code, stdout } = play(['playbooks/site.yml', '-i', 'inventory/hosts.ini', '--list-hosts', '--list-tags', '-l', 'node2:master1']);
  assert.is(code, 0);
  assert.fixture(
    stdout,
    [
      '',
      'playbook: playbooks/site.yml',
      '',
      '  play #1 (kvm_nodes): Prepare KVM nodes\tTAGS: [nodes]',
      "    pattern: ['kvm_nodes']",
      '    hosts (1):',
      '      node2',
      '      TASK TAGS: [firewall, gpu, kvm, nodes, packages]',
      '',
      '  play #2 (master): master\tTAGS: []',
      "    pattern: ['master']",
      '    hosts (1):',
      '      master1',
      '      TASK TAGS: [always]',
      '',
    ].join('\n'),
  );
});

test('--syntax-check prints the playbook and exits 0', () => {
  const { code, stdout } = play(['playbooks/site.yml', '--syntax-check']);
  assert.is(code, 0);
  assert.is(stdout, '\nplaybook: playbooks/site.yml\n');
});

test('a load error prints ERROR! file:line:col, the offending line and a caret; exit 4', () => {
  const cwd = writeTree({
    'site.yml': '- hosts: all\n  roles: [gpu-vfio]\n',
    'roles/gpu-vfio/tasks/main.yml': '- name: Write vfio.conf\n  template:\n    srcc: vfio.conf.hbs\n    dest: /etc/modprobe.d/vfio.conf\n',
  });
  const { code, stdout, stderr } = play(['site.yml', '--syntax-check'], cwd);
  assert.is(code, 4);
  assert.is(stdout, '');
  assert.fixture(
    stderr,
    [
      "ERROR! roles/gpu-vfio/tasks/main.yml:3:5: unknown option 'srcc' for module template; did you mean 'src'?",
      '',
      'The offending line appears to be:',
      '',
      '    srcc: vfio.conf.hbs',
      '    ^ here',
      '',
    ].join('\n'),
  );
});

test('bad command lines exit 5 with a message', () => {
  const cases: [string[], RegExp][] = [
    [['playbooks/site.yml', '--nope'], /^ERROR! unknown option '--nope'/],
    [['playbooks/site.yml', '-f', '0'], /^ERROR! .*forks must be a whole number of at least 1/],
    [['playbooks/site.yml', '-e', '{"a": '], /^ERROR! invalid JSON\/YAML in extra vars/],
    [['playbooks/missing.yml'], /^ERROR! the playbook: playbooks\/missing\.yml could not be found\n$/],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = play(args);
    assert.is(code, 5, `exit code of play ${args.join(' ')}`);
    assert.match(stderr, message);
  }
});

test('--version and --help', () => {
  assert.match(play(['--version']).stdout, /^0\.1\.0\n$/);
  const help = play(['--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /-i, --inventory <path>/);
  assert.match(help.stdout, /play inventory/);
});

test('play inventory is handed to the inventory command', () => {
  const { code, stdout } = play(['inventory', '-i', 'inventory/hosts.ini', '--list-hosts', '--limit', 'gpu_nodes']);
  assert.is(code, 0);
  assert.is(stdout.trim(), 'node2');
});

test('a run on localhost reports through the console, and SIGINT ends it with exit 99', async () => {
  const cwd = writeTree({
    hosts: 'localhost ansible_connection=local\n',
    'site.yml': [
      '- hosts: localhost',
      '  gather_facts: false',
      '  tasks:',
      '    - name: hello',
      '      debug: {msg: "hi {{ inventory_hostname }}"}',
      '    - name: wait',
      '      command: sleep 3',
    ].join('\n'),
  });
  const child = spawn(process.execPath, [BIN, 'site.yml', '-i', 'hosts'], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('TASK [wait]')) child.kill('SIGINT');
    });
    child.on('exit', (status) => resolve(status));
  });
  assert.match(stdout, /ok: \[localhost\] => \{\n {4}"msg": "hi localhost"\n\}/);
  assert.is(code, 99);
  assert.match(stderr, /ERROR! User interrupted execution/);
});

test.run();
