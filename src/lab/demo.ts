/**
 * `npm run demo`: installs what the lab needs (Debian/Ubuntu, as root), brings up a mixed lab of 8
 * nodes, runs playbooks/site.yml against it, prints what the nodes look like afterwards and takes the
 * lab down.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labCommand } from './cli.js';
import { labLayout, nodePaths } from './layout.js';
import { isGpuDevice, buildProfile } from './profiles.js';
import { missingTools, readManifest } from './setup.js';

const NODES = '8';

function say(text: string): void {
  process.stdout.write(text);
}

function installMissing(): boolean {
  const missing = missingTools();
  if (!missing.length) return true;
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  say(`installing ${packages.join(' ')} with apt-get\n`);
  const install = () => spawnSync('apt-get', ['install', '-y', ...packages], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (install().status === 0) return true;
  spawnSync('apt-get', ['update'], { stdio: 'inherit' });
  return install().status === 0;
}

/** Profiles the roles refuse on purpose: no vmx/svm, and a GPU sharing its IOMMU group with a NIC. */
const REFUSED_PROFILES = new Set(['novirt', 'shared-group']);

interface NodeReport {
  line: string;
  /** A node the roles should have finished: its GPUs (if any) bound to vfio-pci behind an IOMMU. */
  ok: boolean;
}

/** One line per node, read from outside the nodes: what the last boot gave it. */
function verification(dir: string): NodeReport[] {
  const lab = labLayout(dir);
  return (readManifest(lab)?.nodes ?? []).map((node) => {
    const paths = nodePaths(lab, node.name);
    /** A file of the node's state (run/…, sys/…); '' when it is not there. */
    const read = (name: string) => {
      try {
        return readFileSync(join(paths.state, name), 'utf8');
      } catch {
        return '';
      }
    };
    const iommu = /\b(intel|amd)_iommu=on\b/.test(read('run/cmdline')) ? 'on' : 'off';
    const gpus = buildProfile(node.profile, node.index).pci.filter(isGpuDevice).map((d) => d.addr);
    const drivers = read('run/drivers').split('\n').filter((l) => gpus.includes(l.split(' ')[0]!)).map((l) => l.split(' ')[1]);
    const enforce = read('sys/fs/selinux/enforce').trim();
    const selinux = enforce === '' ? 'disabled' : enforce === '1' ? 'enforcing' : 'permissive';
    const refused = REFUSED_PROFILES.has(node.profile);
    const ok = refused || (selinux === 'disabled' && (gpus.length === 0 || (iommu === 'on' && drivers.every((d) => d === 'vfio-pci'))));
    const verdict = refused ? 'refused on purpose' : ok ? 'ok' : 'NOT AS EXPECTED';
    return {
      ok,
      line: `${node.name.padEnd(7)} ${node.profile.padEnd(13)} iommu=${iommu.padEnd(4)} selinux=${selinux.padEnd(11)} gpu drivers: ${(drivers.join(',') || '-').padEnd(18)} ${verdict}`,
    };
  });
}

/**
 * Variables the demo passes: the licence code through a secrets file (never the command line or the
 * repository), credentials kept in the lab directory, and no separate /home (lab nodes share the host's).
 */
function demoVars(dir: string): string[] {
  const secrets = join(dir, 'secrets.yml');
  writeFileSync(secrets, 'zjmf_auth_code: DEMO-LAB-LICENCE\n', { mode: 0o600 });
  return [
    '-e', `@${secrets}`,
    '-e', `zjmf_credentials_dir=${join(dir, 'credentials')}`,
    '-e', 'kvm_node_require_home_mount=false',
  ];
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    say('npm run demo: needs root (the lab uses mount namespaces); run it with sudo\n');
    return 1;
  }
  if (!installMissing()) {
    say('npm run demo: could not install openssh-server / iproute2 with apt-get\n');
    return 1;
  }
  const started = Date.now();
  const dir = resolve(process.env.PLAY_LAB_DIR ?? '.lab');
  const up = await labCommand(['up', NODES, '--profile', 'mixed', '--dir', dir], say);
  if (up !== 0) {
    await labCommand(['down', '--dir', dir], say);
    return up;
  }
  try {
    const playbook = fileURLToPath(new URL('../../playbooks/site.yml', import.meta.url));
    const play = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
    const args = [playbook, '-i', labLayout(dir).inventory, ...demoVars(dir)];
    say(`\nplay ${args.join(' ')}\n`);
    const run = spawnSync(process.execPath, [play, ...args], { stdio: 'inherit' });
    const reports = verification(dir);
    say(`\nverification (read from each node's state):\n${reports.map((r) => r.line).join('\n')}\n`);
    const asExpected = (run.status === 0 || run.status === 2) && reports.every((r) => r.ok);
    say(
      `demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s: playbook exit code ${run.status}` +
        ` (2 is expected: the lab's no-virt and shared-IOMMU-group nodes are refused on purpose); ` +
        `${asExpected ? 'every node as expected' : 'SOME NODES NOT AS EXPECTED'}\n`,
    );
    return asExpected ? 0 : 1;
  } finally {
    await labCommand(['down', '--dir', dir], say);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    say(`npm run demo: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  },
);
