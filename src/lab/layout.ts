/** Where a lab keeps everything on the host: one directory, so `down` and the tests find it all. */
import { join, resolve } from 'node:path';
import type { ProfileName } from './profiles.js';

export interface LabLayout {
  dir: string;
  /** The lab's description (nodes, addresses, installer URL), written by `up`. */
  manifest: string;
  key: string;
  knownHosts: string;
  inventory: string;
  inventoryYaml: string;
  pidFile: string;
  socket: string;
  log: string;
  /** The stub commands, bind-mounted into every node. */
  bin: string;
  /** Scripts the lab runs itself (node init) and serves (the ZJMF installer). */
  libexec: string;
  nodes: string;
}

export function labLayout(dir: string): LabLayout {
  const root = resolve(dir);
  return {
    dir: root,
    manifest: join(root, 'lab.json'),
    key: join(root, 'id_ed25519'),
    knownHosts: join(root, 'known_hosts'),
    inventory: join(root, 'inventory.ini'),
    inventoryYaml: join(root, 'inventory.yml'),
    pidFile: join(root, 'daemon.pid'),
    socket: join(root, 'daemon.sock'),
    log: join(root, 'daemon.log'),
    bin: join(root, 'bin'),
    libexec: join(root, 'libexec'),
    nodes: join(root, 'nodes'),
  };
}

export interface NodePaths {
  dir: string;
  /** Upper layer of the node's /etc overlay: the node's own /etc files. */
  etc: string;
  etcWork: string;
  boot: string;
  /** Bind-mounted at /var/lib/play-lab inside the node (CONTRACT): stub state, run/ and sys/. */
  state: string;
  /** Per-boot facts: cmdline, boot_id, cpuinfo, dmesg, drivers (loaded modules and SELinux's mode are in sys/). */
  run: string;
  sys: string;
  /** The node's authorized keys, in state/ (sshd's AuthorizedKeysFile, inside the node). */
  authorizedKeys: string;
  sshdConfig: string;
  hostKey: string;
  /** The node's console: why it did not come back from a reboot. */
  console: string;
}

/** Where the node's state lives inside the node (CONTRACT with the facts script). */
export const NODE_STATE_MOUNT = '/var/lib/play-lab';

export function nodePaths(lab: LabLayout, name: string): NodePaths {
  const dir = join(lab.nodes, name);
  const state = join(dir, 'state');
  return {
    dir,
    etc: join(dir, 'root', 'etc'),
    etcWork: join(dir, 'root', '.etc-work'),
    boot: join(dir, 'root', 'boot'),
    state,
    run: join(state, 'run'),
    sys: join(state, 'sys'),
    authorizedKeys: join(state, 'authorized_keys'),
    sshdConfig: join(dir, 'sshd_config'),
    hostKey: join(dir, 'ssh_host_ed25519_key'),
    console: join(dir, 'console.log'),
  };
}

export interface LabNode {
  name: string;
  index: number;
  address: string;
  profile: ProfileName;
}

export interface LabManifest {
  subnet: number;
  nodes: LabNode[];
  /** URL of the stub ZJMF installer the daemon serves; set once the daemon listens. */
  installerUrl?: string;
}

/** Node i (1-based) listens on 127.0.<subnet + k>.<j>: 254 nodes per /24, never .0 or .255. */
export function nodeAddress(subnet: number, index: number): string {
  const third = subnet + Math.floor((index - 1) / 254);
  if (third > 255) throw new Error(`node ${index} does not fit in 127.0.${subnet}.0 and above`);
  return `127.0.${third}.${((index - 1) % 254) + 1}`;
}

export function nodeName(index: number): string {
  return `node${index}`;
}
