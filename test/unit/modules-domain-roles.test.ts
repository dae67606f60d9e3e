// The roles, playbooks and shared templates, checked without a host: every playbook loads with the real
// loader; tags and handler order are what reruns and the single reboot rely on; the real templates and
// task strings, rendered against facts built from the lab's profiles, give the expected files byte for byte.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { buildGpuFacts, type PciRecord } from '../../src/facts/gpus.js';
import { initialRootFiles } from '../../src/lab/node-files.js';
import { buildProfile, type Profile, type ProfileName } from '../../src/lab/profiles.js';
import { coerceArgs, findModule } from '../../src/modules/index.js';
import { editLines } from '../../src/modules/line-edit.js';
import { mergeKernelArgs, parseGrubDefaults, renderGrubDefaults } from '../../src/modules/kernel_cmdline.js';
import { loadPlaybook } from '../../src/playbook/index.js';
import type { Playbook, TaskNode } from '../../src/playbook/types.js';
import { renderTemplate, templateValue } from '../../src/vars/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ROLES = ['base', 'selinux', 'firewall', 'ovs', 'kvm-node', 'master', 'gpu-vfio', 'zjmf-installer'];
const GPU_PROFILES: ProfileName[] = ['intel-gpu', 'amd-gpu', 'uefi', 'centos7', 'shared-group'];
const EXPECTED = join(ROOT, 'test', 'fixtures', 'roles', 'expected');
const POS = { file: 'test', line: 1, col: 1 };

function yamlFile(path: string): unknown {
  return parse(readFileSync(join(ROOT, path), 'utf8'), { uniqueKeys: true });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function flatten(nodes: TaskNode[]): TaskNode[] {
  return nodes.flatMap((n) => (n.kind === 'block' ? [n, ...flatten([...n.block, ...n.rescue, ...n.always])] : [n]));
}

const PLAYBOOKS = ['site', ...ROLES.filter((r) => r !== 'zjmf-installer')];
const loaded = new Map<string, Playbook>(PLAYBOOKS.map((name) => [name, loadPlaybook(join(ROOT, 'playbooks', `${name}.yml`), { cwd: ROOT })]));

test('every role has defaults, tasks, handlers, meta and a README; every managed template starts with the marker', () => {
  for (const role of ROLES) {
    for (const part of ['defaults/main.yml', 'tasks/main.yml', 'handlers/main.yml', 'meta/main.yml', 'README.md']) {
      assert.ok(existsSync(join(ROOT, 'roles', role, part)), `roles/${role}/${part}`);
    }
  }
  const templates = [...filesUnder(join(ROOT, 'templates')), ...ROLES.flatMap((r) => {
    const dir = join(ROOT, 'roles', r, 'templates');
    return existsSync(dir) ? filesUnder(dir) : [];
  })];
  for (const file of templates) {
    const lines = readFileSync(file, 'utf8').split('\n');
    const first = lines[0]!.startsWith('#!') ? lines[1]! : lines[0]!;
    assert.ok(first.startsWith('# Managed by play'), `${relative(ROOT, file)} starts with '# Managed by play'`);
  }
  for (const file of [...filesUnder(join(ROOT, 'inventory')), ...filesUnder(join(ROOT, 'roles')).filter((f) => f.endsWith('.yml'))]) {
    assert.not.throws(() => yamlFile(relative(ROOT, file)), relative(ROOT, file));
  }
});

test('site.yml: master first, then KVM nodes without GPUs, then GPU nodes with gpu-vfio before the ZJMF install', () => {
  const plays = loaded.get('site')!.plays;
  assert.equal(plays.map((p) => p.hosts), ['master', 'kvm_nodes:!gpu_nodes', 'gpu_nodes']);
  assert.equal(plays[0]!.roles.map((r) => r.name), ['base', 'selinux', 'firewall', 'master', 'zjmf-installer']);
  assert.equal(plays[2]!.roles.map((r) => r.name), ['base', 'selinux', 'gpu-vfio', 'firewall', 'ovs', 'kvm-node', 'zjmf-installer']);
  const firewall = (i: number) => plays[i]!.roles.find((r) => r.name === 'firewall')!;
  assert.is(firewall(0).params.firewall_host_type, 'master');
  assert.is(firewall(1).params.firewall_host_type, 'node');
  assert.is(firewall(2).params.firewall_host_type, 'node');
});

test('each role playbook runs that role alone', () => {
  for (const role of ROLES.filter((r) => r !== 'zjmf-installer')) {
    const names = loaded.get(role)!.plays.flatMap((p) => p.roles.map((r) => r.name));
    assert.equal(names, role === 'master' || role === 'kvm-node' ? [role, 'zjmf-installer'] : [role], role);
  }
});

test('a GPU node reboots once: the last "reboot host" is gpu-vfio\'s, after grub and initramfs; facts and the plan are renewed after it', () => {
  const handlers = loaded.get('site')!.plays[2]!.handlers.map((h) => `${h.role?.name}:${h.name}`);
  assert.equal(handlers.filter((h) => !h.startsWith('firewall:')), [
    'selinux:reboot host', 'gpu-vfio:regenerate grub config', 'gpu-vfio:rebuild initramfs', 'gpu-vfio:reboot host',
    'gpu-vfio:gather facts after the reboot', 'gpu-vfio:plan again from the new facts',
  ]);
  for (const name of ['gather facts after the reboot', 'plan again from the new facts']) {
    assert.equal(loaded.get('site')!.plays[2]!.handlers.find((h) => h.name === name)!.listen, ['reboot host'], name);
  }
  const names = handlers.map((h) => h.split(':')[1]);
  assert.ok(names.lastIndexOf('reboot host') > names.indexOf('rebuild initramfs'));
  assert.ok(names.indexOf('rebuild initramfs') > names.indexOf('regenerate grub config'));
});

test('every task carries the tag of its role, so --tags ROLE reruns one role', () => {
  const tagOf: Record<string, string[]> = { 'zjmf-installer': ['master', 'kvm-node'] };
  for (const [name, playbook] of loaded) {
    for (const play of playbook.plays) {
      for (const node of flatten(play.tasks)) {
        if (!node.role) continue;
        const wanted = tagOf[node.role.name] ?? [node.role.name];
        assert.ok(wanted.some((t) => node.tags.includes(t)), `${name}: '${node.name ?? node.kind}' of ${node.role.name} has tags ${node.tags}`);
      }
    }
  }
});

test('secrets stay out: the installer run and the credentials copy are no_log, the copy is 0600 on the controller', () => {
  const install = loaded.get('kvm-node')!.plays[0]!.tasks.flatMap((t) => flatten([t])).filter((t) => t.role?.name === 'zjmf-installer');
  const run = install.find((t) => t.name === 'Run the ZJMF installer unattended');
  const keep = install.find((t) => t.name?.startsWith('Keep the installer'));
  assert.ok(run?.noLog && keep?.noLog);
  assert.is(keep!.kind === 'task' && keep!.delegateTo, 'localhost');
  assert.is(keep!.kind === 'task' && keep!.args.mode, '0600');
  const tracked = spawnSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).stdout;
  assert.not.match(tracked, /(^|\/)secrets\.yml$/m);
});

// Facts as the setup module gives them for a lab node, from the profile's simulated hardware.
function factsFor(profile: Profile, iommuOn: boolean): Record<string, unknown> {
  const records: PciRecord[] = profile.pci.map((d) => ({
    addr: d.addr, vendorId: d.vendor, deviceId: d.device, class: `0x${d.pciClass}`,
    subsystemVendorId: d.subsystemVendor, subsystemDeviceId: d.subsystemDevice,
    iommuGroup: iommuOn ? String(d.iommuGroup) : null, driver: d.hostDriver,
  }));
  return {
    cpu_vendor: profile.cpuVendor,
    distribution_major_version: profile.os.family === 'stream8' ? '8' : '7',
    vfio_virqfd_available: profile.os.modules.includes('vfio_virqfd'),
    gpus: buildGpuFacts(records, iommuOn),
  };
}

function gpuVfioVars(profile: Profile, iommuOn: boolean, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...(yamlFile('roles/gpu-vfio/defaults/main.yml') as object),
    ...(yamlFile('roles/gpu-vfio/vars/main.yml') as object),
    inventory_hostname: profile.name,
    ansible_facts: factsFor(profile, iommuOn),
    ...overrides,
  };
}

type TaskList = Record<string, Record<string, unknown>>[];

function task(file: string, name: string): Record<string, unknown> {
  const found = (yamlFile(file) as TaskList).find((t) => t.name === name);
  if (!found) throw new Error(`no task '${name}' in ${file}`);
  return found;
}

/** What tasks/plan.yml leaves: the set_facts rendered by the real engine, the awk plan run for real, its JSON read by the role's own set_fact. */
function plan(vars: Record<string, unknown>): { ids: string[]; functions: string[]; conflicts: string[]; vars: Record<string, unknown> } {
  const choose = task('roles/gpu-vfio/tasks/plan.yml', 'Choose the GPUs for vfio-pci').set_fact as Record<string, string>;
  const withChoice = { ...vars, ...(templateValue(choose, vars, POS) as object) };
  const describe = task('roles/gpu-vfio/tasks/plan.yml', 'Describe the chosen GPUs, their slots and IOMMU groups').set_fact as Record<string, string>;
  const table = templateValue(describe.gpu_vfio_pci_table, withChoice, POS) as string;
  const run = spawnSync('awk', ['-v', `vendor=${vars.gpu_vfio_vendor_id}`, String(vars.gpu_vfio_plan_awk)], { input: `${table}\n`, encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr);
  const remember = task('roles/gpu-vfio/tasks/plan.yml', 'Remember the plan').set_fact as Record<string, string>;
  const planned = templateValue(remember, { gpu_vfio_plan_json: { stdout: run.stdout.trimEnd() } }, POS) as { gpu_vfio_plan: { ids: string[]; functions: string[]; conflicts: string[] } };
  return { ...planned.gpu_vfio_plan, vars: { ...withChoice, ...planned } };
}

function expected(profile: string, path: string): string {
  return readFileSync(join(EXPECTED, profile, path), 'utf8');
}

function renderShared(name: string, vars: Record<string, unknown>): string {
  return renderTemplate(readFileSync(join(ROOT, 'templates', name), 'utf8'), vars, { file: `templates/${name}`, line: 1, col: 1 });
}

for (const name of GPU_PROFILES) {
  test(`${name}: the gpu-vfio files match the expected ones byte for byte`, () => {
    const profile = buildProfile(name, 1);
    const vars = gpuVfioVars(profile, false);
    const planned = plan(vars);
    assert.is(renderShared('vfio-modprobe.conf.hbs', planned.vars), expected(name, 'etc/modprobe.d/vfio.conf'));
    assert.is(renderShared('modprobe-blacklist.conf.hbs', planned.vars), expected(name, 'etc/modprobe.d/blacklist.conf'));
    assert.is(renderShared('vfio-modules-load.conf.hbs', planned.vars), expected(name, 'etc/modules-load.d/vfio.conf'));
    assert.is(renderShared('dracut-vfio.conf.hbs', planned.vars), expected(name, 'etc/dracut.conf.d/vfio.conf'));

    const kernelTask = task('roles/gpu-vfio/tasks/configure.yml', 'Put the IOMMU and vfio arguments on the kernel command line');
    const args = coerceArgs(findModule('kernel_cmdline')!, templateValue(kernelTask.kernel_cmdline, vars, POS) as Record<string, unknown>);
    assert.equal(args.errors, []);
    const grub = initialRootFiles(profile).get('/etc/default/grub')!;
    const merged = mergeKernelArgs(parseGrubDefaults(grub).args, args.args.args as string[]);
    assert.is(renderGrubDefaults(grub, merged), expected(name, 'etc/default/grub'));

    const selinux = editLines(initialRootFiles(profile).get('/etc/selinux/config')!, { state: 'present', regexp: '^SELINUX=', line: 'SELINUX=disabled' });
    assert.is(selinux.content, expected(name, 'etc/selinux/config'));
    assert.is(renderTemplate(readFileSync(join(ROOT, 'roles/base/templates/kvm.conf.hbs'), 'utf8'), {}, POS), expected(name, 'etc/modprobe.d/kvm.conf'));
  });
}

test('the plan binds every function of each GPU slot, in address order, each id once', () => {
  const amd = plan(gpuVfioVars(buildProfile('amd-gpu', 1), true));
  assert.equal(amd.functions, ['0000:41:00.0', '0000:41:00.1', '0000:c1:00.0', '0000:c1:00.1']);
  assert.equal(amd.ids, ['10de:2230', '10de:1aef']);
  assert.equal(amd.conflicts, []);
  const one = plan(gpuVfioVars(buildProfile('amd-gpu', 1), true, { gpu_vfio_devices: ['0000:c1:00.0'] }));
  assert.equal(one.functions, ['0000:c1:00.0', '0000:c1:00.1']);
  assert.is(one.vars.gpu_vfio_found, '0000:41:00.0,0000:c1:00.0,');
  const intel = plan(gpuVfioVars(buildProfile('intel-gpu', 1), true));
  assert.equal([intel.functions, intel.ids, intel.conflicts], [['0000:3b:00.0'], ['10de:1eb8'], []]);
});

test('a device sharing the GPU\'s IOMMU group is named, and never bound; without an IOMMU nothing can be said', () => {
  const shared = plan(gpuVfioVars(buildProfile('shared-group', 1), true));
  assert.equal(shared.functions, ['0000:3b:00.0']);
  assert.equal(shared.conflicts, ['0000:3b:00.1 (8086:1521, class 0x020000) shares the IOMMU group of GPU 0000:3b:00.0']);
  assert.equal(plan(gpuVfioVars(buildProfile('shared-group', 1), false)).conflicts, []);
});

test('no GPU: nothing selected, and the vfio options file says so instead of an empty ids=', () => {
  const master = plan(gpuVfioVars(buildProfile('master', 1), false));
  assert.is(master.vars.gpu_vfio_selected, '');
  assert.equal(master.ids, []);
  const text = renderShared('vfio-modprobe.conf.hbs', master.vars);
  assert.not.match(text, 'ids=');
  assert.match(text, '# no GPU selected on this host');
});

test('the vfio-pci check asks lspci once and names each GPU function another driver, or none, holds', () => {
  const shell = task('roles/gpu-vfio/tasks/verify.yml', 'Verify: ask lspci which driver holds each GPU function').shell as string;
  const functions = ['0000:41:00.0', '0000:41:00.1', '0000:c1:00.0'];
  const script = String(templateValue(shell, { gpu_vfio_plan: { functions } }, POS));
  const bin = mkdtempSync(join(tmpdir(), 'play-lspci-'));
  /** `lspci -nnkD` as pciutils prints it; a function without a driver has no "in use" line. */
  const lspci = (audioDriver: string, secondGpuDriver?: string) => [
    '0000:00:00.0 Host bridge [0600]: Intel Corporation Device [8086:1234]',
    '\tKernel driver in use: vfio-pci',
    '0000:41:00.0 VGA compatible controller [0300]: NVIDIA Corporation GA102 [10de:2230] (rev a1)',
    '\tSubsystem: NVIDIA Corporation Device [10de:1459]',
    '\tKernel driver in use: vfio-pci',
    '\tKernel modules: nouveau',
    '0000:41:00.1 Audio device [0403]: NVIDIA Corporation GA102 High Definition Audio Controller [10de:1aef] (rev a1)',
    `\tKernel driver in use: ${audioDriver}`,
    '0000:c1:00.0 VGA compatible controller [0300]: NVIDIA Corporation GA102 [10de:2230] (rev a1)',
    ...(secondGpuDriver ? [`\tKernel driver in use: ${secondGpuDriver}`] : []),
    '\tKernel modules: nouveau',
  ].join('\n');
  const check = (listing: string) => {
    writeFileSync(join(bin, 'lspci'), `#!/bin/sh\n[ "$*" = -nnkD ] || exit 9\ncat <<'EOF'\n${listing}\nEOF\n`);
    chmodSync(join(bin, 'lspci'), 0o755);
    const run = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    return [run.status, run.stderr, run.stdout];
  };
  try {
    assert.equal(check(lspci('snd_hda_intel')), [0, '', '0000:41:00.1: snd_hda_intel\n0000:c1:00.0: no driver\n']);
    assert.equal(check(lspci('vfio-pci', 'vfio-pci')), [0, '', '']);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

test('refusal messages name the host and what is missing', () => {
  const virt = task('roles/gpu-vfio/tasks/preflight.yml', 'Refuse a CPU without hardware virtualization').assert as Record<string, string>;
  const novirt = buildProfile('novirt', 1);
  const message = templateValue(virt.fail_msg, { inventory_hostname: 'node07', ansible_facts: { cpu_vendor: novirt.cpuVendor } }, POS);
  assert.match(String(message), 'node07: the CPU (GenuineIntel) shows no vmx (Intel VT-x) flag in /proc/cpuinfo');
  const amdMessage = templateValue(virt.fail_msg, { inventory_hostname: 'node08', ansible_facts: { cpu_vendor: 'AuthenticAMD' } }, POS);
  assert.match(String(amdMessage), 'shows no svm (AMD-V) flag');
});

test.run();
