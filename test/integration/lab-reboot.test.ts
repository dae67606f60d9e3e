/**
 * A real lab of three nodes driven with the OpenSSH client: per-node answers, a full VFIO reboot cycle,
 * faults, the ZJMF installer stub, and `play lab down` leaving no process or mount behind.
 * Needs root, sshd and iproute2 (as `play lab` itself).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { labCommand, labProcesses } from '../../src/lab/cli.js';
import { labLayout } from '../../src/lab/layout.js';

const dir = mkdtempSync(join(tmpdir(), 'play-lab-test-'));
const lab = labLayout(dir);
const SUBNET = 231;
const ADDR = (n: number) => `127.0.${SUBNET}.${n}`;

interface Run {
  rc: number;
  stdout: string;
  stderr: string;
}

function ssh(node: number, command: string, extra: string[] = []): Run {
  const result = spawnSync('ssh', [
    '-i', lab.key, '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5', ...extra, `root@${ADDR(node)}`, command,
  ], { encoding: 'utf8', timeout: 30_000 });
  return { rc: result.status ?? 255, stdout: result.stdout, stderr: result.stderr };
}

async function play(...argv: string[]): Promise<{ code: number; output: string }> {
  let output = '';
  const code = await labCommand([...argv, '--dir', dir], (s) => (output += s));
  return { code, output };
}

function portState(address: string): Promise<'open' | 'refused' | 'other'> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port: 22 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('open');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? 'refused' : 'other'));
  });
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const bootId = (node: number) => ssh(node, 'cat /proc/sys/kernel/random/boot_id').stdout.trim();

const Lab = suite('play lab');

Lab.before(async () => {
  const { code, output } = await play('up', '3', '--profile', 'intel-gpu,centos7,amd-gpu', '--subnet', String(SUBNET));
  assert.is(code, 0, output);
  assert.match(output, /3\/3 nodes up/);
});

Lab('the inventory groups nodes by profile and host keys are checked against the lab known_hosts', async () => {
  const { code, output } = await play('inventory');
  assert.is(code, 0);
  assert.match(output, /\[kvm_nodes\]\nnode1 ansible_host=127\.0\.231\.1 ansible_user=root ansible_ssh_private_key_file=\S+id_ed25519 ansible_ssh_known_hosts_file=\S+known_hosts/);
  assert.match(output, /\[gpu_nodes\]\nnode1 [^\n]+\nnode2 [^\n]+\nnode3 /);
  assert.match(output, /\[master\]\n\n/);
  assert.is(readFileSync(lab.knownHosts, 'utf8').split('\n').filter(Boolean).length, 3);
});

Lab('each node answers with its own OS, CPU, hostname and PCI devices', () => {
  const probe = '. /etc/os-release; echo "$ID $VERSION_ID $(hostname) $(uname -r)"; grep -m1 vendor_id /proc/cpuinfo; grep -owm1 -E "vmx|svm" /proc/cpuinfo; lspci -D -d 10de: | cut -c1-12';
  const one = ssh(1, probe);
  const two = ssh(2, probe);
  const three = ssh(3, probe);
  assert.is(one.rc, 0, one.stderr);
  assert.equal(one.stdout.split('\n'), ['centos 8 node1 4.18.0-553.el8.x86_64', 'vendor_id\t: GenuineIntel', 'vmx', '0000:3b:00.0', '']);
  assert.equal(two.stdout.split('\n'), ['centos 7 node2 3.10.0-1160.el7.x86_64', 'vendor_id\t: GenuineIntel', 'vmx', '0000:3b:00.0', '']);
  assert.equal(three.stdout.split('\n').slice(0, 3), ['centos 8 node3 4.18.0-553.el8.x86_64', 'vendor_id\t: AuthenticAMD', 'svm']);
  assert.is(three.stdout.split('\n').filter((l) => l.startsWith('0000:')).length, 4);
  // The host's files are untouched: its os-release is still its own.
  assert.not.match(readFileSync('/etc/os-release', 'utf8'), /CentOS/);
});

Lab('a VFIO reboot cycle over SSH: drop, refusal, new boot id, IOMMU cmdline, vfio-pci bound', async () => {
  const before = bootId(1);
  const prepare = ssh(1, [
    'set -e',
    `sed -i 's/^GRUB_CMDLINE_LINUX="\\(.*\\)"/GRUB_CMDLINE_LINUX="\\1 intel_iommu=on iommu=pt rd.driver.pre=vfio-pci"/' /etc/default/grub`,
    'grub2-mkconfig -o /boot/grub2/grub.cfg 2>/dev/null',
    'echo "options vfio-pci ids=10de:1eb8" > /etc/modprobe.d/vfio.conf',
    'printf "vfio\\nvfio_iommu_type1\\nvfio_pci\\n" > /etc/modules-load.d/vfio.conf',
    `echo 'add_drivers+=" vfio vfio_iommu_type1 vfio_pci "' > /etc/dracut.conf.d/vfio.conf`,
    'dracut /boot/initramfs-$(uname -r).img $(uname -r) 2>&1 || true',
    'dracut --force /boot/initramfs-$(uname -r).img $(uname -r)',
    'lspci -k -s 3b:00.0 | grep "in use"',
  ].join('\n'));
  assert.is(prepare.rc, 0, prepare.stderr);
  assert.match(prepare.stdout, /Will not override existing initramfs \(\/boot\/initramfs-4\.18\.0-553\.el8\.x86_64\.img\) without --force/);
  assert.match(prepare.stdout, /Kernel driver in use: nouveau/);

  const reboot = ssh(1, 'reboot');
  assert.is(reboot.rc, 255, 'the SSH connection drops');
  assert.match(reboot.stderr, /closed by remote host/);
  assert.is(await portState(ADDR(1)), 'refused');
  await waitUntil('node1 to come back', async () => (await portState(ADDR(1))) === 'open');

  const after = ssh(1, 'cat /proc/sys/kernel/random/boot_id; cat /proc/cmdline; lspci -nnk -s 0000:3b:00.0; dmesg | grep -e DMAR -e IOMMU; ls /var/lib/play-lab/sys/kernel/iommu_groups; lsmod | grep -c nouveau');
  const lines = after.stdout.split('\n');
  assert.ok(/^[0-9a-f-]{36}$/.test(lines[0]!) && lines[0] !== before, `new boot id: ${before} -> ${lines[0]}`);
  assert.match(lines[1]!, /^BOOT_IMAGE=\/vmlinuz-4\.18\.0-553\.el8\.x86_64 root=\/dev\/mapper\/cs-root ro .* intel_iommu=on iommu=pt rd\.driver\.pre=vfio-pci$/);
  assert.match(after.stdout, /\tKernel driver in use: vfio-pci\n/);
  assert.match(after.stdout, /DMAR: IOMMU enabled/);
  assert.match(after.stdout, /\n30\n/);
  assert.is(lines.at(-2), '0', 'nouveau is not loaded');
  // The same state, read from outside the node.
  const state = join(dir, 'nodes/node1/state');
  assert.match(readFileSync(join(state, 'run/cmdline'), 'utf8'), /intel_iommu=on/);
  assert.ok(existsSync(join(state, 'sys/bus/pci/devices/0000:3b:00.0/iommu_group')));
});

Lab('faults: drop-after, rekey, no-return and slow', async () => {
  // Without a fault sshd runs the command itself, as on a real node: no forced command in between.
  const forced = 'echo ${SSH_ORIGINAL_COMMAND:+forced}-';
  assert.is(ssh(2, forced).stdout, '-\n');
  assert.is((await play('fault', 'node2', 'drop-after', '1')).code, 0);
  assert.is(ssh(2, 'echo one').stdout, 'one\n');
  const dropped = ssh(2, 'echo two');
  assert.is(dropped.rc, 255);
  assert.is(dropped.stdout, '');
  assert.is(ssh(2, 'echo three').stdout, 'three\n', 'drop-after is one-shot');

  assert.is((await play('fault', 'node2', 'rekey')).code, 0);
  const refused = ssh(2, 'true');
  assert.is(refused.rc, 255);
  assert.match(refused.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
  await play('inventory');
  assert.is(ssh(2, 'echo ok').stdout, 'ok\n');

  const before = bootId(3);
  assert.is((await play('fault', 'node3', 'no-return')).code, 0);
  ssh(3, 'shutdown -r 0 "lab test"');
  await new Promise((resolve) => setTimeout(resolve, 4000));
  assert.is(await portState(ADDR(3)), 'refused');
  assert.match((await play('status')).output, /node3\s+127\.0\.231\.3\s+amd-gpu\s+down\s+-\s+no-return/);
  assert.is((await play('fault', 'node3', 'clear')).code, 0);
  const after = bootId(3);
  assert.ok(after && after !== before, 'clear boots the node again');

  assert.is((await play('fault', 'node3', 'slow', '400')).code, 0);
  let started = Date.now();
  assert.is(ssh(3, forced).stdout, 'forced-\n', 'a session fault routes the logins through the wrapper');
  assert.ok(Date.now() - started >= 400, 'each command on node3 takes 400 ms longer');
  started = Date.now();
  ssh(1, 'true');
  assert.ok(Date.now() - started < 400, 'node1 is not slowed');
  await play('fault', 'node3', 'clear');
  assert.is(ssh(3, forced).stdout, '-\n', 'clear takes the wrapper away again');

  const bad = await play('fault', 'node3', 'slow');
  assert.is(bad.code, 1);
  assert.match(bad.output, /fault slow needs a whole number \(milliseconds\)/);
});

Lab('the ZJMF installer is served on loopback and asks its questions in order', () => {
  const url = readFileSync(lab.inventory, 'utf8').match(/installer_url=(\S+)/)![1]!;
  const run = ssh(1, `cd /root && wget -q ${url} -O install-zjmf-cloud_new && chmod +x install-zjmf-cloud_new && printf '2\\nSECRET-CODE\\n\\neth1\\ny\\n' | ./install-zjmf-cloud_new -t; cat /var/lib/play-lab/zjmf/installed`);
  assert.is(run.rc, 0, run.stderr);
  const prompts = ['select the system', 'authorization code', 'version', 'NIC for instance external traffic', 'now? [y/N]'];
  const positions = prompts.map((p) => run.stdout.indexOf(p));
  assert.ok(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!)), `prompts in order: ${positions}`);
  assert.match(run.stdout, /Node auth account: node-[0-9a-f]{8}\nNode auth password: [0-9a-f]{24}\n/);
  assert.match(run.stdout, /component=node\nversion=latest\nnic=eth1\ntrunk=1\n/);
  assert.not.match(run.stdout, /SECRET-CODE\n/);
});

Lab('play lab ssh opens a shell on the node', () => {
  const entry = new URL('../../src/lab/lab-main.ts', import.meta.url).pathname;
  const shell = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), entry, 'ssh', 'node2', '--dir', dir], {
    input: 'hostname; cat /etc/centos-release\n', encoding: 'utf8', timeout: 20_000,
  });
  assert.is(shell.status, 0, shell.stderr);
  assert.is(shell.stdout, 'node2\nCentOS Linux release 7.9.2009 (Core)\n');
});

Lab('play lab down leaves no process and no mount behind', async () => {
  const daemon = Number(readFileSync(lab.pidFile, 'utf8'));
  const nodePids = labProcesses(lab);
  assert.ok(nodePids.length >= 3, `the lab runs processes: ${nodePids}`);
  const { code } = await play('down');
  assert.is(code, 0);
  for (const pid of [daemon, ...nodePids]) assert.not.ok(existsSync(`/proc/${pid}`), `process ${pid} is gone`);
  assert.equal(labProcesses(lab), []);
  const sshds = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
    } catch {
      return false;
    }
  });
  assert.equal(sshds, []);
  // The host's mount table (PID 1's) mentions nothing of the lab.
  assert.not.match(readFileSync('/proc/1/mountinfo', 'utf8'), new RegExp(dir));
  assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), /play-lab/);
  assert.is(await portState(ADDR(1)), 'refused');
});

Lab.after(async () => {
  await play('down');
  rmSync(dir, { recursive: true, force: true });
});

Lab.run();
