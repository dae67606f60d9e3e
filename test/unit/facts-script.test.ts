import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalConnection } from '../../src/connection/local.js';
import { shellQuote } from '../../src/connection/shell.js';
import { parseFacts } from '../../src/facts/parse.js';
import { FACTS_SCRIPT } from '../../src/facts/script.js';
import type { Facts } from '../../src/facts/types.js';
import { setupModule } from '../../src/modules/setup.js';
import type { ModuleContext } from '../../src/modules/types.js';

const conn = new LocalConnection('localhost');
const scratch = mkdtempSync(join(tmpdir(), 'play-facts-'));

/** Runs the real script through /bin/sh, with the PCI/IOMMU/EFI part of sysfs read from `sys`. */
async function gatherWithSys(sys: string): Promise<Facts> {
  const result = await conn.exec(FACTS_SCRIPT, { env: { PLAY_FACTS_SYS: sys } });
  assert.is(result.rc, 0, result.stderr);
  return parseFacts(result.stdout);
}

interface FakeFunction {
  addr: string;
  vendor: string;
  device: string;
  cls: string;
  group?: number;
  driver?: string;
}

/**
 * A sysfs layout as the kernel exposes it: device directories with vendor/device/class files,
 * relative `iommu_group` and `driver` symlinks, and kernel/iommu_groups/N/devices/ links back.
 */
interface FakeNic {
  name: string;
  mac: string;
  /** The PCI function behind it; none for a bridge or other virtual interface. */
  pci?: string;
  master?: string;
}

function buildSysfs(
  name: string,
  functions: FakeFunction[],
  options: { iommuUnits?: string[]; efi?: boolean; nics?: FakeNic[]; selinuxEnforce?: '0' | '1'; modules?: string[] } = {},
): string {
  const root = join(scratch, name);
  const write = (path: string, content: string): void => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${content}\n`);
  };
  for (const fn of functions) {
    const dev = join(root, 'devices/pci0000:00', fn.addr);
    write(join(dev, 'vendor'), fn.vendor);
    write(join(dev, 'device'), fn.device);
    write(join(dev, 'class'), fn.cls);
    write(join(dev, 'subsystem_vendor'), fn.vendor);
    write(join(dev, 'subsystem_device'), '0x0001');
    mkdirSync(join(root, 'bus/pci/devices'), { recursive: true });
    symlinkSync(`../../../devices/pci0000:00/${fn.addr}`, join(root, 'bus/pci/devices', fn.addr));
    if (fn.group !== undefined) {
      const groupDevices = join(root, 'kernel/iommu_groups', String(fn.group), 'devices');
      mkdirSync(groupDevices, { recursive: true });
      symlinkSync(`../../../kernel/iommu_groups/${fn.group}`, join(dev, 'iommu_group'));
      symlinkSync(`../../../../devices/pci0000:00/${fn.addr}`, join(groupDevices, fn.addr));
    }
    if (fn.driver) {
      mkdirSync(join(root, 'bus/pci/drivers', fn.driver), { recursive: true });
      symlinkSync(`../../../bus/pci/drivers/${fn.driver}`, join(dev, 'driver'));
    }
  }
  for (const unit of options.iommuUnits ?? []) {
    mkdirSync(join(root, 'devices/virtual/iommu', unit), { recursive: true });
    mkdirSync(join(root, 'class/iommu'), { recursive: true });
    symlinkSync(`../../devices/virtual/iommu/${unit}`, join(root, 'class/iommu', unit));
  }
  if (options.efi) mkdirSync(join(root, 'firmware/efi/efivars'), { recursive: true });
  if (options.selinuxEnforce) write(join(root, 'fs/selinux/enforce'), options.selinuxEnforce);
  for (const module of options.modules ?? []) write(join(root, 'module', module, 'initstate'), 'live');
  for (const nic of options.nics ?? []) {
    const dir = join(root, 'devices/virtual/net', nic.name);
    write(join(dir, 'address'), nic.mac);
    write(join(dir, 'operstate'), 'up');
    if (nic.pci) symlinkSync(`../../../pci0000:00/${nic.pci}`, join(dir, 'device'));
    if (nic.master) symlinkSync(`../${nic.master}`, join(dir, 'master'));
    mkdirSync(join(root, 'class/net'), { recursive: true });
    symlinkSync(`../../devices/virtual/net/${nic.name}`, join(root, 'class/net', nic.name));
  }
  return root;
}

const T4 = { vendor: '0x10de', device: '0x1eb8', cls: '0x030200' };
const A40 = { vendor: '0x10de', device: '0x2235', cls: '0x030200' };
const GA102_AUDIO = { vendor: '0x10de', device: '0x1aef', cls: '0x040300' };
const ROOT_PORT = { vendor: '0x8086', device: '0x2030', cls: '0x060400', driver: 'pcieport' };
const I350 = { vendor: '0x8086', device: '0x1521', cls: '0x020000', driver: 'igb' };

const withIommu = buildSysfs(
  'iommu-on',
  [
    { addr: '0000:3a:00.0', ...ROOT_PORT, group: 19 },
    { addr: '0000:3b:00.0', ...T4, group: 20, driver: 'vfio-pci' },
    { addr: '0000:5d:00.0', ...ROOT_PORT, group: 30 },
    { addr: '0000:5e:00.0', ...A40, group: 30, driver: 'vfio-pci' },
    { addr: '0000:5e:00.1', ...GA102_AUDIO, group: 30, driver: 'snd_hda_intel' },
    { addr: '0000:af:00.0', ...T4, group: 40, driver: 'nouveau' },
    { addr: '0000:b0:00.0', ...I350, group: 40 },
    { addr: '0000:b0:00.1', ...I350, group: 40 },
  ],
  {
    iommuUnits: ['dmar0', 'dmar1'],
    efi: true,
    selinuxEnforce: '0',
    // igb is loaded too, but not one of the modules the facts report.
    modules: ['nouveau', 'igb', 'vfio_pci', 'kvm_intel'],
    nics: [
      { name: 'eth0', mac: '52:54:00:aa:bb:01', pci: '0000:b0:00.0', master: 'br0' },
      { name: 'br0', mac: '52:54:00:aa:bb:01' },
    ],
  },
);

const withoutIommu = buildSysfs('iommu-off', [
  { addr: '0000:3b:00.0', ...T4, driver: 'nouveau' },
  { addr: '0000:3b:00.1', ...GA102_AUDIO },
]);

test('on this machine: kernel, boot_id, node name, memory and CPUs match what the OS says', async () => {
  const result = await conn.exec(FACTS_SCRIPT);
  assert.is(result.rc, 0);
  assert.is(result.stderr, '', 'the script is quiet when things are missing');
  const facts = parseFacts(result.stdout);
  assert.is(facts.kernel, execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
  assert.is(facts.architecture, execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
  assert.is(facts.boot_id, readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  assert.is(facts.nodename, hostname());
  assert.is(facts.proc_cmdline, readFileSync('/proc/cmdline', 'utf8').trim());
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
  assert.is(facts.memtotal_mb, Math.floor(memKb / 1024));
  assert.is(facts.processor_vcpus, (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm) ?? []).length);
  const osId = /^ID="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  assert.is(facts.os_id, osId ?? null);
  assert.ok(facts.mounts.some((m) => m.mount === '/' && m.size_total > 0 && m.size_available <= m.size_total));
  const lo = facts.nics.find((n) => n.name === 'lo');
  assert.ok(lo, 'lo is listed');
  assert.ok(lo!.ipv4.includes('127.0.0.1/8'));
});

test('bash (CentOS\'s /bin/sh) and dash give the same facts', async () => {
  const viaBash = await conn.exec(`bash -c ${shellQuote(FACTS_SCRIPT)}`, { env: { PLAY_FACTS_SYS: withIommu } });
  assert.is(viaBash.rc, 0, viaBash.stderr);
  assert.is(viaBash.stderr, '');
  const bashFacts = parseFacts(viaBash.stdout);
  const dashFacts = await gatherWithSys(withIommu);
  assert.equal(bashFacts.gpus, dashFacts.gpus);
  assert.equal(bashFacts.nics, dashFacts.nics);
  // Free space moves while other work runs; the rest of each mount must agree.
  const stable = (f: Facts) => f.mounts.map(({ size_available: _, ...rest }) => rest);
  assert.equal(stable(bashFacts), stable(dashFacts));
  assert.is(bashFacts.boot_id, dashFacts.boot_id);
});

test('SSH_CONNECTION dropped by sudo is still found in a parent process', async () => {
  // The middle shell keeps SSH_CONNECTION, as sudo does; the script itself runs without it.
  const line =
    `SSH_CONNECTION='127.0.0.1 50000 127.0.0.1 22' sh -c ` +
    shellQuote(`env -u SSH_CONNECTION sh -c "$0"; exit $?`) +
    ` ${shellQuote(FACTS_SCRIPT)}`;
  const result = await conn.exec(line);
  assert.is(result.rc, 0, result.stderr);
  const facts = parseFacts(result.stdout);
  assert.is(facts.ssh_interface, 'lo');
});

test('fake sysfs: GPU alone in its group can be passed through', async () => {
  const facts = await gatherWithSys(withIommu);
  assert.is(facts.iommu_enabled, true);
  assert.is(facts.boot_mode, 'uefi');
  const t4 = facts.gpus.find((g) => g.addr === '0000:3b:00.0')!;
  assert.is(t4.iommu_group, 20);
  assert.is(t4.driver, 'vfio-pci');
  assert.is(t4.model, 'Tesla T4');
  assert.is(t4.subsystem_id, '10de:0001');
  assert.equal(t4.group_members, [{ addr: '0000:3b:00.0', id: '10de:1eb8', class: '0x030200', driver: 'vfio-pci' }]);
  assert.equal(t4.slot_functions, []);
  assert.is(t4.passthrough_ok, true);
});

test('fake sysfs: interfaces with their device and master links', async () => {
  const facts = await gatherWithSys(withIommu);
  const byName = new Map(facts.nics.map((n) => [n.name, n]));
  assert.equal(
    { ...byName.get('eth0'), ipv4: [] },
    { name: 'eth0', mac: '52:54:00:aa:bb:01', state: 'up', physical: true, master: 'br0', ipv4: [] },
  );
  assert.is(byName.get('br0')?.physical, false);
  assert.is(byName.get('br0')?.master, null);
});

test('fake sysfs: GPU with its audio function and a bridge in the group is isolated', async () => {
  const facts = await gatherWithSys(withIommu);
  const a40 = facts.gpus.find((g) => g.addr === '0000:5e:00.0')!;
  assert.is(a40.model, 'A40');
  assert.equal(a40.slot_functions, [{ addr: '0000:5e:00.1', id: '10de:1aef', class: '0x040300', driver: 'snd_hda_intel' }]);
  assert.equal(a40.group_members.map((m) => m.addr), ['0000:5d:00.0', '0000:5e:00.0', '0000:5e:00.1']);
  assert.equal(a40.passthrough_blockers, []);
  assert.is(a40.passthrough_ok, true);
});

test('fake sysfs: GPU sharing its group with a NIC names the NIC functions as blockers', async () => {
  const facts = await gatherWithSys(withIommu);
  const t4 = facts.gpus.find((g) => g.addr === '0000:af:00.0')!;
  assert.is(t4.iommu_group, 40);
  assert.is(t4.driver, 'nouveau');
  assert.is(t4.passthrough_ok, false);
  assert.equal(t4.passthrough_blockers, ['0000:b0:00.0', '0000:b0:00.1']);
  assert.is(facts.gpus.length, 3, 'only display-class functions are GPUs');
});

test('fake sysfs: no IOMMU means no groups and no passthrough', async () => {
  const facts = await gatherWithSys(withoutIommu);
  assert.is(facts.iommu_enabled, false);
  assert.is(facts.boot_mode, 'bios');
  assert.is(facts.selinux.mode, 'disabled', 'no selinuxfs: the kernel runs without SELinux');
  assert.equal(
    facts.gpus.map((g) => ({ addr: g.addr, group: g.iommu_group, ok: g.passthrough_ok, slot: g.slot_functions.map((f) => f.addr) })),
    [{ addr: '0000:3b:00.0', group: null, ok: false, slot: ['0000:3b:00.1'] }],
  );
  assert.equal(facts.gpus[0].group_members, []);
});

/** A directory of shell-script stand-ins for the host's commands, put first on PATH. */
function stubCommands(name: string, scripts: Record<string, string>): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const [command, body] of Object.entries(scripts)) writeFileSync(join(dir, command), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return dir;
}

test('loaded modules and the SELinux mode come from sysfs: no lsmod, no getenforce runs', async () => {
  const called = join(scratch, 'lsmod-or-getenforce-ran');
  const bin = stubCommands('stub-module-tools', {
    lsmod: `touch ${called}; printf "Module Size Used by\\nkvm_amd 1 0\\n"`,
    getenforce: `touch ${called}; echo Enforcing`,
  });
  const result = await conn.exec(FACTS_SCRIPT, { env: { PATH: `${bin}:${process.env.PATH}`, PLAY_FACTS_SYS: withIommu } });
  assert.is(result.rc, 0, result.stderr);
  const facts = parseFacts(result.stdout);
  assert.equal(facts.loaded_modules, ['kvm_intel', 'vfio_pci', 'nouveau']);
  assert.is(facts.selinux.mode, 'permissive');
  assert.not.ok(existsSync(called), 'neither lsmod nor getenforce was run');
});

test('commands sharing one pipe: each output lands under its own key', async () => {
  const bin = stubCommands('stub-bin', {
    // One call for both units, one line each, in the order asked.
    systemctl: '[ "$*" = "is-active firewalld iptables" ] && printf "active\\ninactive\\n"',
    grubby: '[ "$1" = --default-kernel ] && printf "/boot/vmlinuz-4.18.0-553.el8.x86_64\\n/boot/vmlinuz-old\\n"',
    modinfo: '[ "$*" = "-k 4.18.0-553.el8.x86_64 vfio_virqfd" ]',
    // One ip for both lists: the commands come on stdin, one a line.
    ip: '[ "$*" = "-o -4 -force -batch -" ] && while read -r c; do case $c in "addr show") echo "1: lo    inet 127.0.0.1/8 scope host lo" ;; "route show default") echo "default via 10.0.0.1 dev eth0" ;; esac; done',
  });
  const result = await conn.exec(FACTS_SCRIPT, { env: { PATH: `${bin}:${process.env.PATH}`, PLAY_FACTS_SYS: withIommu } });
  assert.is(result.rc, 0, result.stderr);
  const facts = parseFacts(result.stdout);
  assert.is(facts.firewalld_state, 'active');
  assert.is(facts.iptables_state, 'inactive');
  assert.is(facts.default_kernel, '/boot/vmlinuz-4.18.0-553.el8.x86_64');
  assert.is(facts.default_kernel_version, '4.18.0-553.el8.x86_64');
  assert.is(facts.vfio_virqfd_available, true);
  assert.equal(facts.default_route, { gateway: '10.0.0.1', interface: 'eth0' });
  assert.equal(facts.nics.find((n) => n.name === 'lo')?.ipv4, ['127.0.0.1/8']);
  assert.ok(facts.mounts.every((m) => m.mount !== 'Mounted on'), "df's header is not a mount");
});

function moduleContext(): ModuleContext {
  const unused = (): never => {
    throw new Error('setup does not use this');
  };
  return {
    conn,
    check: false,
    diff: false,
    vars: {},
    inventoryHostname: 'localhost',
    findFile: unused,
    renderTemplate: unused,
    evaluate: unused,
  };
}

test('setup module: one exec, facts under ansible_facts, changed false', async () => {
  const result = await setupModule.run({ gather_subset: ['all'], gather_timeout: 10, filter: [] }, moduleContext());
  assert.is(result.changed, false);
  assert.is(result.failed, undefined);
  const facts = (result.facts as { ansible_facts: Facts }).ansible_facts;
  assert.is(facts.kernel, execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
  assert.ok(Array.isArray(facts.gpus));
});

test('setup module: filter globs match names with or without the ansible_ prefix', async () => {
  const result = await setupModule.run({ gather_subset: ['!all'], gather_timeout: 10, filter: ['ansible_distribution*', 'boot_id'] }, moduleContext());
  const facts = (result.facts as { ansible_facts: Record<string, unknown> }).ansible_facts;
  assert.equal(Object.keys(facts).sort(), [
    'boot_id',
    'distribution',
    'distribution_major_version',
    'distribution_release',
    'distribution_version',
  ]);
});

test('setup module: a host where the script cannot run gives a failed result naming rc and stderr', async () => {
  const ctx = { ...moduleContext(), become: { user: 'play-no-such-user', method: 'sudo' as const } };
  const result = await setupModule.run({ gather_subset: ['all'], gather_timeout: 10, filter: [] }, ctx);
  assert.is(result.failed, true);
  assert.is(result.changed, false);
  assert.match(String(result.msg), /^fact gathering failed \(rc=[1-9]\d*\): \S/);
});

test.after(() => rmSync(scratch, { recursive: true, force: true }));

test.run();
