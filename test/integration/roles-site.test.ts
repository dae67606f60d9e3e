/**
 * The roles end to end: playbooks/site.yml against a mixed lab (Intel, AMD two-GPU, UEFI, CentOS 7,
 * master, no-virt, shared IOMMU group), through the real binary over real SSH.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { labCommand } from '../../src/lab/cli.js';
import { labLayout, nodePaths } from '../../src/lab/layout.js';
import { parseRecap, REPO_ROOT, runPlay, type PlayRun } from '../helpers/play.js';

const dir = mkdtempSync(join(tmpdir(), 'play-roles-'));
const lab = labLayout(dir);
const inventory = join(dir, 'inventory.ini');
const credentials = join(dir, 'credentials');
const AUTH_CODE = 'LAB-LICENCE-7f3a9c';
const PROFILES = ['intel-gpu', 'amd-gpu', 'uefi', 'centos7', 'master', 'novirt', 'shared-group'];
const node = (profile: string) => `node${PROFILES.indexOf(profile) + 1}`;
const GOOD_GPU = ['intel-gpu', 'amd-gpu', 'uefi', 'centos7'];
const REFUSED = ['novirt', 'shared-group'];
const EXPECTED = join(REPO_ROOT, 'test/fixtures/roles/expected');

const extraVars = [
  '-e', `zjmf_auth_code=${AUTH_CODE}`,
  // The lab's nodes share the host's filesystems: there is no separate /home to find.
  '-e', 'kvm_node_require_home_mount=false',
  '-e', `zjmf_credentials_dir=${credentials}`,
];
const site = (...args: string[]) => runPlay([join(REPO_ROOT, 'playbooks/site.yml'), '-i', inventory, ...extraVars, ...args]);

async function labDo(...argv: string[]): Promise<void> {
  let output = '';
  const code = await labCommand([...argv, '--dir', dir], (s) => (output += s));
  assert.is(code, 0, output);
}

const bootId = (profile: string) => readFileSync(join(nodePaths(lab, node(profile)).run, 'boot_id'), 'utf8').trim();
const bootIds = () => Object.fromEntries(PROFILES.map((p) => [p, bootId(p)]));

/** Hosts that reported `changed` under a handler banner whose name ends with `suffix`. */
function handlerRuns(run: PlayRun, suffix: string): string[] {
  const hosts: string[] = [];
  for (const section of run.stdout.split(/\n(?=RUNNING HANDLER \[|TASK \[|PLAY )/)) {
    const title = section.split('\n')[0]!;
    if (!title.startsWith('RUNNING HANDLER [') || !title.includes(`${suffix}]`)) continue;
    for (const m of section.matchAll(/^changed: \[(\S+)\]/gm)) hosts.push(m[1]!);
  }
  return hosts.sort();
}

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

const roles = suite('roles on a mixed lab');
let first: PlayRun;
let bootsBefore: Record<string, string>;

roles.before(async () => {
  await labDo('up', String(PROFILES.length), '--profile', PROFILES.join(','), '--subnet', '233');
  await labDo('inventory');
  bootsBefore = bootIds();
  first = await site();
});

roles.after(async () => {
  await labDo('down');
  rmSync(dir, { recursive: true, force: true });
});

roles('first run: good nodes pass every check, refused nodes fail with a clear message, exit code 2', () => {
  assert.is(first.code, 2, first.stdout + first.stderr);
  const recap = parseRecap(first.stdout);
  for (const profile of [...GOOD_GPU, 'master']) {
    const stats = recap[node(profile)]!;
    assert.ok(stats, `${profile} ran`);
    assert.is(stats.failed + stats.unreachable, 0, `${profile}: ${JSON.stringify(stats)}`);
    assert.ok(stats.changed > 0, `${profile} changed`);
  }
  for (const profile of REFUSED) assert.is(recap[node(profile)]!.failed, 1, profile);
  assert.match(first.stdout, new RegExp(`${node('novirt')}: the CPU \\(GenuineIntel\\) shows no vmx`));
  assert.match(first.stdout, new RegExp(`${node('shared-group')}: check 'IOMMU group isolation' failed: 0000:3b:00.1`));
});

roles('first run: each GPU node rebooted exactly once, after its grub and initramfs handlers', () => {
  const rebooted = handlerRuns(first, 'reboot host');
  // IOMMU groups only show once the IOMMU is on: the shared-group node is refused after its first reboot.
  const expected = [...GOOD_GPU, 'master', 'shared-group'].map(node).sort();
  assert.equal(rebooted, expected);
  const boots = bootIds();
  for (const profile of expected.map((n) => PROFILES[Number(n.slice(4)) - 1]!)) {
    assert.is.not(boots[profile], bootsBefore[profile], `${profile} has a new boot id`);
  }
  for (const profile of GOOD_GPU) {
    const out = first.stdout;
    const host = node(profile);
    const grub = out.indexOf(`changed: [${host}]`, out.indexOf('RUNNING HANDLER [gpu-vfio : regenerate grub config]'));
    const reboot = out.indexOf(`changed: [${host}]`, out.indexOf('RUNNING HANDLER [gpu-vfio : reboot host]'));
    assert.ok(grub > 0 && reboot > grub, `${profile}: grub regenerated before the reboot`);
  }
});

roles('rendered files match the expected files byte for byte', () => {
  for (const profile of [...GOOD_GPU, 'shared-group']) {
    const expectedRoot = join(EXPECTED, profile);
    const nodeRoot = join(nodePaths(lab, node(profile)).dir, 'root');
    for (const file of filesUnder(expectedRoot)) {
      assert.is(readFileSync(join(nodeRoot, file), 'utf8'), readFileSync(join(expectedRoot, file), 'utf8'), `${profile}: ${file}`);
    }
  }
  assert.match(readFileSync(join(EXPECTED, 'amd-gpu/etc/modprobe.d/vfio.conf'), 'utf8'), 'ids=10de:2230,10de:1aef');
  assert.match(readFileSync(join(EXPECTED, 'amd-gpu/etc/default/grub'), 'utf8'), 'amd_iommu=on');
});

roles('the UEFI node booted from the grub config written at the EFI path', () => {
  const paths = nodePaths(lab, node('uefi'));
  assert.match(readFileSync(join(paths.boot, 'efi/EFI/centos/grub.cfg'), 'utf8'), 'intel_iommu=on');
  assert.match(readFileSync(join(paths.run, 'cmdline'), 'utf8'), 'intel_iommu=on');
});

roles('installer credentials land on the controller, mode 0600, and the licence code is never printed', () => {
  const files = readdirSync(credentials);
  assert.ok(files.length >= 1, 'credentials written');
  for (const file of files) assert.is(statSync(join(credentials, file)).mode & 0o777, 0o600, file);
  assert.not.match(first.stdout + first.stderr, AUTH_CODE);
});

roles('second run: nothing changes and nothing reboots', async () => {
  const before = bootIds();
  const r = await site();
  const recap = parseRecap(r.stdout);
  for (const profile of [...GOOD_GPU, 'master']) {
    const stats = recap[node(profile)]!;
    assert.is(stats.changed, 0, `${profile}: ${JSON.stringify(stats)}`);
    assert.is(stats.failed, 0, profile);
  }
  assert.equal(bootIds(), before);
  assert.not.match(r.stdout, 'RUNNING HANDLER');
});

roles('rerunning one role touches only that role, and restores only its own files', async () => {
  const host = node('intel-gpu');
  unlinkSync(join(nodePaths(lab, host).etc, 'modprobe.d/vfio.conf'));
  const r = await runPlay([join(REPO_ROOT, 'playbooks/gpu-vfio.yml'), '-i', inventory, '-l', host, ...extraVars]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const tasks = [...r.stdout.matchAll(/^(?:TASK|RUNNING HANDLER) \[([^\]]+)\]/gm)].map((m) => m[1]!);
  assert.ok(tasks.length > 5);
  for (const task of tasks) assert.ok(task === 'Gathering Facts' || task.startsWith('gpu-vfio : '), task);
  assert.is(
    readFileSync(join(nodePaths(lab, host).etc, 'modprobe.d/vfio.conf'), 'utf8'),
    readFileSync(join(EXPECTED, 'intel-gpu/etc/modprobe.d/vfio.conf'), 'utf8'),
  );
  const tagged = await site('--tags', 'gpu-vfio', '-l', host);
  assert.is(tagged.code, 0, tagged.stdout + tagged.stderr);
  for (const m of tagged.stdout.matchAll(/^TASK \[([^\]]+)\]/gm)) {
    assert.ok(m[1] === 'Gathering Facts' || m[1]!.startsWith('gpu-vfio : '), m[1]);
  }
  assert.is(parseRecap(tagged.stdout)[host]!.changed, 0);
});

roles.run();
