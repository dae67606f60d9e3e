/**
 * become through a real sudo, over real SSH, as two throwaway users: one with NOPASSWD, one whose
 * sudo asks for a password (ansible_become_password). Needs root (to add the users and the sudoers
 * file) and the `sudo` package; everything made here is removed in `after`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRecap, runPlay, type PlayRun } from '../helpers/play.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

const run = promisify(execFile);

const NOPW_USER = 'play-sudo-nopw';
const PW_USER = 'play-sudo-pw';
const SUDOERS_FILE = '/etc/sudoers.d/play-test';
/** Hex only, so that it needs no quoting in INI; long and random, so that finding it is proof of a leak. */
const PASSWORD = `pw${randomBytes(16).toString('hex')}`;
/** A sleep whose argv no other process on the machine has. */
const SLEEP_SECONDS = `1.${randomBytes(3).readUIntBE(0, 3).toString().padStart(8, '0')}`;

interface Setup {
  sshd: TestSshd;
  dir: string;
  /** Where the playbooks write, as root; users can enter it. */
  target: string;
  inventory: string;
  wrongInventory: string;
}

let setup: Setup;

async function runAsRoot(command: string, args: string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, (error, stdout, stderr) => (error ? reject(new Error(`${command}: ${stderr || error.message}`)) : resolve(stdout)));
    child.stdin!.on('error', () => {}); // most of these commands never read stdin
    child.stdin!.end(stdin ?? '');
  });
}

async function userExists(user: string): Promise<boolean> {
  return run('id', ['-u', user]).then(
    () => true,
    () => false,
  );
}

async function addUsers(clientKeyPub: string): Promise<void> {
  for (const user of [NOPW_USER, PW_USER]) {
    if (!(await userExists(user))) await runAsRoot('useradd', ['-m', '-s', '/bin/sh', user]);
    const ssh = `/home/${user}/.ssh`;
    await runAsRoot('install', ['-d', '-m', '0700', '-o', user, '-g', user, ssh]);
    writeFileSync(`${ssh}/authorized_keys`, clientKeyPub, { mode: 0o600 });
    await runAsRoot('chown', [`${user}:${user}`, `${ssh}/authorized_keys`]);
  }
  // A locked account ('!' in shadow) may not log in by key either; the NOPASSWD user's password is never used.
  // chpasswd reads the pairs on stdin: no password in any argv.
  await runAsRoot('chpasswd', [], `${PW_USER}:${PASSWORD}\n${NOPW_USER}:${randomBytes(16).toString('hex')}\n`);
}

async function installSudoers(dir: string): Promise<void> {
  const draft = join(dir, 'sudoers');
  // timestamp_type=global: sudo's credential cache is hit from the second command on, whichever
  // process runs it (as on hosts set up that way): sudo then reads no password from stdin.
  const rules = [`${NOPW_USER} ALL=(ALL) NOPASSWD: ALL`, `${PW_USER} ALL=(ALL) ALL`, `Defaults:${PW_USER} timestamp_type=global`];
  writeFileSync(draft, `${rules.join('\n')}\n`, { mode: 0o440 });
  await runAsRoot('visudo', ['-cf', draft]);
  writeFileSync(SUDOERS_FILE, readFileSync(draft), { mode: 0o440 });
  chmodSync(SUDOERS_FILE, 0o440);
}

function inventoryText(sshd: TestSshd, knownHosts: string, password: string): string {
  const common = `ansible_host=${sshd.address} ansible_port=${sshd.port} ansible_ssh_private_key_file=${sshd.clientKeyPath} ansible_ssh_known_hosts_file=${knownHosts}`;
  return [
    '[sudoers]',
    `nopw-host ${common} ansible_user=${NOPW_USER} other_user=${PW_USER}`,
    `pw-host ${common} ansible_user=${PW_USER} ansible_become_password=${password} other_user=${NOPW_USER}`,
    // A password given for a host whose sudo never asks for one (a group-wide ansible_become_password).
    `nopw-given-pw-host ${common} ansible_user=${NOPW_USER} ansible_become_password=${password} other_user=${PW_USER}`,
    '',
  ].join('\n');
}

const become = suite('become with a real sudo');

become.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'play-become-'));
  chmodSync(dir, 0o755);
  const target = join(dir, 'target');
  await runAsRoot('install', ['-d', '-m', '0755', target]);
  // Keys from each user's home: the harness's own authorized_keys sits in a directory only root can read.
  const sshd = await startSshd({ extraConfig: 'AuthorizedKeysFile .ssh/authorized_keys' });
  await addUsers(readFileSync(`${sshd.clientKeyPath}.pub`, 'utf8'));
  await installSudoers(dir);
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
  const inventory = join(dir, 'inventory.ini');
  writeFileSync(inventory, inventoryText(sshd, knownHosts, PASSWORD));
  const wrongInventory = join(dir, 'wrong.ini');
  writeFileSync(wrongInventory, inventoryText(sshd, knownHosts, `wrong${randomBytes(8).toString('hex')}`));
  setup = { sshd, dir, target, inventory, wrongInventory };
});

become.after(async () => {
  await setup?.sshd.dispose();
  for (const user of [NOPW_USER, PW_USER]) {
    if (!(await userExists(user))) continue;
    await runAsRoot('runuser', ['-u', user, '--', 'sudo', '-K']).catch(() => undefined); // its sudo timestamps
    await runAsRoot('userdel', ['-r', user]).catch(() => runAsRoot('userdel', [user]));
  }
  rmSync(SUDOERS_FILE, { force: true });
  if (setup) rmSync(setup.dir, { recursive: true, force: true });
});

function writePlaybook(name: string, text: string): string {
  const path = join(setup.dir, name);
  writeFileSync(path, text);
  return path;
}

/** Runs play, and fails the test rather than wait for ever if something (sudo) hangs. */
async function runPlayWithin(seconds: number, args: string[]): Promise<PlayRun> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`play did not finish within ${seconds}s: ${args.join(' ')}`)), seconds * 1000);
  });
  try {
    return await Promise.race([runPlay(args), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function assertNoPassword(result: PlayRun, what: string): void {
  assert.not.ok(result.stdout.includes(PASSWORD), `${what}: the become password is in stdout`);
  assert.not.ok(result.stderr.includes(PASSWORD), `${what}: the become password is in stderr`);
}

const MAIN_PLAYBOOK = `
- hosts: sudoers
  gather_facts: false
  tasks:
    - name: Write a root-owned file
      become: true
      copy:
        content: "written by {{ inventory_hostname }}\\n"
        dest: "{{ target }}/{{ inventory_hostname }}.conf"
        mode: "0640"
    - name: Who am I with become
      become: true
      command: id -u
      register: root_uid
    - name: Who am I without become
      command: id -u
      register: plain_uid
    - name: Become the other user
      become: true
      become_user: "{{ other_user }}"
      command: id -un
      register: other
    - name: A second file, once sudo may have cached the credentials
      become: true
      copy:
        content: "second\\n"
        dest: "{{ target }}/{{ inventory_hostname }}.second"
        mode: "0600"
    - name: Every answer as expected
      assert:
        that:
          - root_uid.stdout == '0'
          - plain_uid.stdout != '0'
          - other.stdout == other_user
`;

become('become: root-owned files with their mode, uid 0 only with become, become_user, password never printed even at -vvv', async () => {
  const playbook = writePlaybook('main.yml', MAIN_PLAYBOOK);
  const result = await runPlayWithin(120, [playbook, '-i', setup.inventory, '-e', `target=${setup.target}`, '-vvv']);
  assert.is(result.code, 0, `${result.stdout}\n${result.stderr}`);
  const recap = parseRecap(result.stdout);
  for (const host of ['nopw-host', 'pw-host', 'nopw-given-pw-host']) {
    assert.is(recap[host].failed, 0, host);
    assert.is(recap[host].ok, 6, host);
    const first = statSync(join(setup.target, `${host}.conf`));
    assert.is(first.uid, 0, `${host}.conf owner`);
    assert.is(first.mode & 0o7777, 0o640, `${host}.conf mode`);
    assert.is(readFileSync(join(setup.target, `${host}.conf`), 'utf8'), `written by ${host}\n`);
    const second = statSync(join(setup.target, `${host}.second`));
    assert.is(second.uid, 0);
    assert.is(second.mode & 0o7777, 0o600);
    // Were the password fed to a sudo that did not ask for it, the file would start with it.
    assert.is(readFileSync(join(setup.target, `${host}.second`), 'utf8'), 'second\n', `${host}.second content`);
  }
  assertNoPassword(result, 'main playbook -vvv');
});

become('registered results name the uids: 0 with become, the login user without', async () => {
  const playbook = writePlaybook('uids.yml', `
- hosts: sudoers
  gather_facts: false
  tasks:
    - command: id -u
      become: true
      register: root_uid
    - command: id -un
      register: plain
    - debug:
        msg: "{{ inventory_hostname }} root={{ root_uid.stdout }} plain={{ plain.stdout }}"
`);
  const result = await runPlayWithin(60, [playbook, '-i', setup.inventory]);
  assert.is(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, `nopw-host root=0 plain=${NOPW_USER}`);
  assert.match(result.stdout, `pw-host root=0 plain=${PW_USER}`);
  assert.match(result.stdout, `nopw-given-pw-host root=0 plain=${NOPW_USER}`);
  assertNoPassword(result, 'uids');
});

become('a wrong become password fails the task with a clear message, at once and without printing it', async () => {
  const wrong = readFileSync(setup.wrongInventory, 'utf8').match(/ansible_become_password=(\S+)/)![1];
  const playbook = writePlaybook('wrong.yml', `
- hosts: pw-host
  gather_facts: false
  tasks:
    - name: Needs the password
      become: true
      command: id -u
`);
  // Forget what sudo cached for this user (timestamp_type=global), or it would not ask at all.
  await runAsRoot('runuser', ['-u', PW_USER, '--', 'sudo', '-K']);
  const started = Date.now();
  const result = await runPlayWithin(60, [playbook, '-i', setup.wrongInventory, '-vvv']);
  assert.ok(Date.now() - started < 30_000, 'a wrong password must not make sudo wait');
  assert.is(result.code, 2, `${result.stdout}\n${result.stderr}`);
  assert.is(parseRecap(result.stdout)['pw-host'].failed, 1);
  assert.match(result.stdout, /"msg": "Incorrect sudo password \(become root\): /, `${result.stdout}\n${result.stderr}`);
  assert.not.ok((result.stdout + result.stderr).includes(wrong), 'the wrong password is printed');
});

/** Every process's argv, as /proc shows it to anyone. */
function allCommandLines(): string[] {
  const lines: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      lines.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' '));
    } catch {
      // the process ended meanwhile
    }
  }
  return lines;
}

become('the password is in no process argv while a become task runs', async () => {
  const playbook = writePlaybook('sleep.yml', `
- hosts: pw-host
  gather_facts: false
  tasks:
    - name: Sleep as root
      become: true
      command: sleep ${SLEEP_SECONDS}
`);
  const running = runPlayWithin(60, [playbook, '-i', setup.inventory]);
  let done = false;
  void running.finally(() => (done = true));
  let sawSleep = false;
  const leaks: string[] = [];
  while (!done) {
    for (const line of allCommandLines()) {
      if (line.includes(PASSWORD)) leaks.push(line);
      if (line.includes(`sleep ${SLEEP_SECONDS}`)) sawSleep = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const result = await running;
  assert.is(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.ok(sawSleep, 'the scan ran while the become task did');
  assert.equal(leaks, []);
  assertNoPassword(result, 'sleep');
});

become.run();
