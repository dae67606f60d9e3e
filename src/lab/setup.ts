/** Creating a lab on disk: keys, node trees, stub commands, the manifest; and the inventory it prints. */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as stringifyYaml } from 'yaml';
import { generateHostKey } from './daemon.js';
import { NODE_STATE_MOUNT, nodeAddress, nodeName, nodePaths, type LabLayout, type LabManifest, type LabNode } from './layout.js';
import { initialRootFiles, initialStateFiles, writeTree } from './node-files.js';
import { buildProfile, hasGpu, profileForNode, type ProfileName } from './profiles.js';

/** Files shipped next to this module in src/lab/ (tsc does not copy them to dist/, so look in src/ too). */
export function assetDir(name: 'stubs' | 'libexec'): string {
  for (const candidate of [`./${name}/`, `../../src/lab/${name}/`]) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new Error(`cannot find the lab's ${name} directory next to ${fileURLToPath(import.meta.url)}`);
}

function copyExecutables(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    copyFileSync(join(from, name), join(to, name));
    // Libraries the stubs source stay non-executable, so they are never bound over a host tool.
    chmodSync(join(to, name), name.endsWith('.sh') && from.endsWith('stubs/') ? 0o644 : 0o755);
  }
}

export interface CreateOptions {
  count: number;
  profiles: ProfileName[];
  subnet: number;
}

/** Writes a fresh lab (the previous nodes' files are removed) and returns its manifest. */
export function createLab(lab: LabLayout, options: CreateOptions): LabManifest {
  mkdirSync(lab.dir, { recursive: true });
  rmSync(lab.nodes, { recursive: true, force: true });
  rmSync(lab.bin, { recursive: true, force: true });
  rmSync(lab.libexec, { recursive: true, force: true });
  copyExecutables(assetDir('stubs'), lab.bin);
  copyExecutables(assetDir('libexec'), lab.libexec);
  if (!existsSync(lab.key)) generateHostKey(lab.key);
  const authorizedKey = readFileSync(`${lab.key}.pub`, 'utf8');
  // The bind mount needs its mount point on the host; it stays an empty directory.
  mkdirSync(NODE_STATE_MOUNT, { recursive: true });

  const nodes: LabNode[] = [];
  for (let index = 1; index <= options.count; index++) {
    const node: LabNode = {
      name: nodeName(index), index, address: nodeAddress(options.subnet, index), profile: profileForNode(options.profiles, index),
    };
    const profile = buildProfile(node.profile, index);
    const paths = nodePaths(lab, node.name);
    const root = initialRootFiles(profile);
    writeTree(paths.etc, new Map([...root].filter(([p]) => p.startsWith('/etc/')).map(([p, c]) => [p.slice(5), c])));
    writeTree(paths.boot, new Map([...root].filter(([p]) => p.startsWith('/boot/')).map(([p, c]) => [p.slice(6), c])));
    mkdirSync(paths.etcWork, { recursive: true });
    writeTree(paths.state, initialStateFiles(profile, node));
    writeFileSync(paths.authorizedKeys, authorizedKey);
    generateHostKey(paths.hostKey);
    writeFileSync(paths.sshdConfig, sshdConfig(node, paths.hostKey));
    nodes.push(node);
  }
  const manifest: LabManifest = { subnet: options.subnet, nodes };
  writeFileSync(lab.manifest, JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

function sshdConfig(node: LabNode, hostKey: string): string {
  return `# play lab: ${node.name} (${node.profile})
ListenAddress ${node.address}:22
HostKey ${hostKey}
PidFile none
AuthorizedKeysFile ${NODE_STATE_MOUNT}/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
PrintLastLog no
MaxStartups 200
MaxSessions 64
LogLevel ERROR
Subsystem sftp /usr/lib/openssh/sftp-server
`;
}

export function readManifest(lab: LabLayout): LabManifest | undefined {
  if (!existsSync(lab.manifest)) return undefined;
  return JSON.parse(readFileSync(lab.manifest, 'utf8')) as LabManifest;
}

/** known_hosts lines from the nodes' current host keys (port 22, so no [host]:port brackets). */
export function knownHostsText(lab: LabLayout, manifest: LabManifest): string {
  return manifest.nodes
    .map((node) => {
      const [type, key] = readFileSync(`${nodePaths(lab, node.name).hostKey}.pub`, 'utf8').trim().split(/\s+/);
      return `${node.address} ${type} ${key}`;
    })
    .join('\n') + '\n';
}

interface InventoryModel {
  groups: Array<[string, LabNode[]]>;
  hostVars: (node: LabNode) => Record<string, string>;
  vars: Record<string, string>;
}

function inventoryModel(lab: LabLayout, manifest: LabManifest): InventoryModel {
  const isMaster = (node: LabNode) => buildProfile(node.profile, node.index).role === 'master';
  const vars: Record<string, string> = { ansible_ssh_common_args: '-o StrictHostKeyChecking=yes' };
  if (manifest.installerUrl) vars.installer_url = manifest.installerUrl;
  return {
    groups: [
      ['master', manifest.nodes.filter(isMaster)],
      ['kvm_nodes', manifest.nodes.filter((n) => !isMaster(n))],
      ['gpu_nodes', manifest.nodes.filter((n) => hasGpu(buildProfile(n.profile, n.index)))],
    ],
    hostVars: (node) => ({
      ansible_host: node.address,
      ansible_user: 'root',
      ansible_ssh_private_key_file: lab.key,
      ansible_ssh_known_hosts_file: lab.knownHosts,
      lab_profile: node.profile,
    }),
    vars,
  };
}

export function inventoryIni(lab: LabLayout, manifest: LabManifest): string {
  const model = inventoryModel(lab, manifest);
  const hostLine = (node: LabNode) => [node.name, ...Object.entries(model.hostVars(node)).map(([k, v]) => `${k}=${v}`)].join(' ');
  const sections = model.groups.map(([group, nodes]) => [`[${group}]`, ...nodes.map(hostLine)].join('\n'));
  const vars = ['[all:vars]', ...Object.entries(model.vars).map(([k, v]) => `${k}=${/\s/.test(v) ? `'${v}'` : v}`)];
  return `# play lab inventory (${lab.dir})\n${sections.join('\n\n')}\n\n${vars.join('\n')}\n`;
}

export function inventoryYaml(lab: LabLayout, manifest: LabManifest): string {
  const model = inventoryModel(lab, manifest);
  const children = Object.fromEntries(model.groups.map(([group, nodes]) => [
    group, { hosts: Object.fromEntries(nodes.map((node) => [node.name, model.hostVars(node)])) },
  ]));
  return `# play lab inventory (${lab.dir})\n${stringifyYaml({ all: { vars: model.vars, children } })}`;
}

/** Commands the lab cannot run without, and the Debian package that provides each. */
export const REQUIRED_TOOLS: Array<[string, string]> = [
  ['/usr/sbin/sshd', 'openssh-server'],
  ['ssh-keygen', 'openssh-client'],
  ['ip', 'iproute2'],
  ['unshare', 'util-linux'],
  ['setpriv', 'util-linux'],
];

export function missingTools(): Array<[string, string]> {
  return REQUIRED_TOOLS.filter(([tool]) =>
    tool.startsWith('/') ? !existsSync(tool) : spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
}
