import { parseShellAssignments } from './assignments.js';
import { kernelArgsToDict, splitKernelArgs } from './cmdline.js';
import { buildGpuFacts, parsePciRecord, type PciRecord } from './gpus.js';
import type { DefaultRouteFact, Facts, MountFact, NicFact, SelinuxFact } from './types.js';

const BEGIN_MARKER = 'play_facts_begin=1';
const END_MARKER = 'play_facts_end=1';

/** Facts could not be had from a host: the script failed, or its output was cut short or missing. */
export class FactGatheringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FactGatheringError';
  }
}

/** The lines of the script's output, grouped by key in the order they came. */
class RawFacts {
  private readonly values = new Map<string, string[]>();

  add(key: string, value: string): void {
    const list = this.values.get(key);
    if (list) list.push(value);
    else this.values.set(key, [value]);
  }

  all(key: string): string[] {
    return this.values.get(key) ?? [];
  }

  /** The first value, trimmed; null when the key is absent or blank. */
  first(key: string): string | null {
    const value = this.all(key)[0]?.trim();
    return value ? value : null;
  }

  count(key: string): number {
    return Number(this.first(key) ?? '0') || 0;
  }
}

/** Turns FACTS_SCRIPT's output into typed facts. Pure: the host is not contacted again. */
export function parseFacts(output: string): Facts {
  const raw = readFrame(output);
  const osRelease = parseShellAssignments(raw.all('os_release'));
  const grub = parseShellAssignments(raw.all('grub'));
  const osId = osRelease.get('ID')?.toLowerCase() || null;
  const nodename = raw.first('nodename');
  const procCmdline = raw.first('cmdline');
  const cmdlineArgs = procCmdline === null ? [] : splitKernelArgs(procCmdline);
  const bootMode = raw.first('boot_mode') === 'uefi' ? 'uefi' : 'bios';
  const defaultKernel = raw.first('default_kernel');
  const nics = parseNics(raw);
  const iommuEnabled = raw.count('iommu_units') > 0 || raw.count('iommu_groups') > 0;
  const pci = raw.all('pci').map(parsePciRecord).filter((r): r is PciRecord => r !== undefined);
  const virqfd = raw.first('vfio_virqfd');

  return {
    ...parseDistribution(osRelease, raw.first('release')),
    os_id: osId,
    kernel: raw.first('kernel'),
    kernel_version: raw.first('kernel_version'),
    architecture: raw.first('architecture'),
    hostname: nodename === null ? null : nodename.split('.')[0],
    nodename,
    fqdn: raw.first('fqdn'),
    ...parseCpu(raw.all('cpuinfo')),
    memtotal_mb: parseMemTotalMb(raw.first('meminfo')),
    mounts: parseMounts(raw.all('df')),
    boot_id: raw.first('boot_id'),
    cmdline: kernelArgsToDict(cmdlineArgs),
    cmdline_args: cmdlineArgs,
    proc_cmdline: procCmdline,
    boot_mode: bootMode,
    grub_cfg_path: grubCfgPath(bootMode, osId, raw.all('efi_grub_cfg')),
    default_kernel: defaultKernel,
    default_kernel_version: defaultKernel?.includes('vmlinuz-') ? defaultKernel.replace(/^.*vmlinuz-/, '') : null,
    bls_enabled: grub.get('GRUB_ENABLE_BLSCFG') === 'true',
    grub_cmdline_linux: grub.get('GRUB_CMDLINE_LINUX') ?? null,
    selinux: parseSelinux(raw),
    firewalld_state: raw.first('firewalld'),
    iptables_state: raw.first('iptables'),
    nics,
    default_route: parseDefaultRoute(raw.first('route')),
    ssh_interface: sshInterface(raw.first('ssh_connection'), nics),
    loaded_modules: [...new Set(raw.all('module'))],
    iommu_enabled: iommuEnabled,
    vfio_virqfd_available: virqfd === null ? null : virqfd === '1',
    gpus: buildGpuFacts(pci, iommuEnabled),
  };
}

function readFrame(output: string): RawFacts {
  const lines = output.split('\n').map((line) => line.replace(/\r$/, ''));
  const begin = lines.indexOf(BEGIN_MARKER);
  if (begin < 0) {
    throw new FactGatheringError(`the facts script printed no '${BEGIN_MARKER}' line; it did not run under /bin/sh`);
  }
  const end = lines.indexOf(END_MARKER, begin + 1);
  if (end < 0) throw new FactGatheringError(`the facts script output ends before '${END_MARKER}': it was cut short`);
  const raw = new RawFacts();
  for (const line of lines.slice(begin + 1, end)) {
    const eq = line.indexOf('=');
    if (eq > 0) raw.add(line.slice(0, eq), line.slice(eq + 1));
  }
  return raw;
}

const DISTRIBUTION_NAMES: Record<string, string> = {
  centos: 'CentOS',
  rhel: 'RedHat',
  rocky: 'Rocky',
  almalinux: 'AlmaLinux',
  ol: 'OracleLinux',
  fedora: 'Fedora',
  debian: 'Debian',
  ubuntu: 'Ubuntu',
};

const REDHAT_FAMILY_IDS = new Set(['centos', 'rhel', 'rocky', 'almalinux', 'ol', 'fedora']);
const DEBIAN_FAMILY_IDS = new Set(['debian', 'ubuntu']);

type DistributionFacts = Pick<
  Facts,
  'distribution' | 'distribution_version' | 'distribution_major_version' | 'distribution_release' | 'os_family'
>;

/**
 * As Ansible: CentOS's version comes from /etc/centos-release cut to major.minor ("7.9"), because
 * os-release only says "7"; Stream's release is "Stream".
 */
function parseDistribution(osRelease: Map<string, string>, releaseLine: string | null): DistributionFacts {
  const id = osRelease.get('ID')?.toLowerCase() ?? '';
  const name = osRelease.get('NAME') ?? '';
  const distribution = DISTRIBUTION_NAMES[id] ?? (name || null);
  const fullVersion = releaseLine?.match(/release\s+(\d+(?:\.\d+)*)/)?.[1] ?? osRelease.get('VERSION_ID') ?? null;
  const version = fullVersion !== null && id === 'centos' ? fullVersion.split('.').slice(0, 2).join('.') : fullVersion;
  const idLike = (osRelease.get('ID_LIKE') ?? '').split(/\s+/);
  let osFamily = distribution;
  if (REDHAT_FAMILY_IDS.has(id) || idLike.some((i) => REDHAT_FAMILY_IDS.has(i))) osFamily = 'RedHat';
  else if (DEBIAN_FAMILY_IDS.has(id) || idLike.some((i) => DEBIAN_FAMILY_IDS.has(i))) osFamily = 'Debian';
  return {
    distribution,
    distribution_version: version || null,
    distribution_major_version: version ? version.split('.')[0] : null,
    distribution_release: distributionRelease(osRelease, releaseLine),
    os_family: osFamily,
  };
}

function distributionRelease(osRelease: Map<string, string>, releaseLine: string | null): string | null {
  const name = osRelease.get('NAME') ?? '';
  if (name.includes('CentOS Stream') || releaseLine?.includes('CentOS Stream')) return 'Stream';
  const parenthesised = /\(([^)]+)\)/;
  return (
    releaseLine?.match(parenthesised)?.[1] ??
    osRelease.get('VERSION')?.match(parenthesised)?.[1] ??
    (osRelease.get('VERSION_CODENAME') || null)
  );
}

type CpuFacts = Pick<
  Facts,
  | 'processor'
  | 'processor_count'
  | 'processor_cores'
  | 'processor_threads_per_core'
  | 'processor_vcpus'
  | 'cpu_vendor'
  | 'virt_flag'
>;

/** /proc/cpuinfo lines ("model name\t: Intel(R) ..."), every CPU's except `flags`, the first CPU's only. */
function parseCpu(lines: readonly string[]): CpuFacts {
  const processor: string[] = [];
  const sockets = new Set<string>();
  let vcpus = 0;
  let vendor: string | null = null;
  let coresPerSocket: number | null = null;
  let siblings: number | null = null;
  let flags: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'processor' || key === 'vendor_id' || key === 'model name') processor.push(value);
    if (key === 'processor') vcpus++;
    else if (key === 'vendor_id') vendor ??= value;
    else if (key === 'physical id') sockets.add(value);
    else if (key === 'cpu cores') coresPerSocket ??= Number(value) || null;
    else if (key === 'siblings') siblings ??= Number(value) || null;
    else if (key === 'flags') flags = value.split(/\s+/);
  }
  const cores = coresPerSocket ?? 1;
  return {
    processor,
    processor_count: sockets.size || vcpus,
    processor_cores: cores,
    processor_threads_per_core: siblings ? Math.max(1, Math.floor(siblings / cores)) : 1,
    processor_vcpus: vcpus,
    cpu_vendor: vendor,
    virt_flag: flags.includes('vmx') ? 'vmx' : flags.includes('svm') ? 'svm' : null,
  };
}

/** "MemTotal:       65693348 kB" → whole MiB, as Ansible's memtotal_mb. */
function parseMemTotalMb(line: string | null): number | null {
  const kb = line?.match(/^MemTotal:\s*(\d+)\s*kB/)?.[1];
  return kb === undefined ? null : Math.floor(Number(kb) / 1024);
}

/**
 * `df -PkT` lines: device, type, 1024-blocks, used, available, capacity, mount point (which may hold
 * spaces). /home on the root file system shows up as a second line for "/", dropped here.
 */
function parseMounts(lines: readonly string[]): MountFact[] {
  const mounts = new Map<string, MountFact>();
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 7) continue;
    const [device, fstype, blocks, , available] = fields;
    const mount = fields.slice(6).join(' ');
    if (mounts.has(mount)) continue;
    mounts.set(mount, {
      mount,
      device,
      fstype,
      size_total: Number(blocks) * 1024,
      size_available: Number(available) * 1024,
    });
  }
  return [...mounts.values()];
}

/** The file grub reads at boot: the EFI vendor directory's on UEFI (centos, or redhat on RHEL). */
function grubCfgPath(bootMode: 'uefi' | 'bios', osId: string | null, efiConfigs: readonly string[]): string {
  if (bootMode === 'bios') return '/boot/grub2/grub.cfg';
  const vendors = osId === 'rhel' ? ['redhat', 'centos'] : ['centos', 'redhat'];
  const candidates = vendors.map((vendor) => `/boot/efi/EFI/${vendor}/grub.cfg`);
  return candidates.find((path) => efiConfigs.includes(path)) ?? candidates[0];
}

/**
 * selinuxfs's `enforce` (1 enforcing, 0 permissive), as getenforce reads it; without it the kernel is
 * not running SELinux (selinuxfs is mounted whenever it is).
 */
function parseSelinux(raw: RawFacts): SelinuxFact {
  const configMode = parseShellAssignments(raw.all('selinux_config')).get('SELINUX') ?? null;
  const enforceFlag = raw.first('selinuxfs_enforce');
  const mode: SelinuxFact['mode'] = enforceFlag === null ? 'disabled' : enforceFlag === '1' ? 'enforcing' : 'permissive';
  return { status: mode === 'disabled' ? 'disabled' : 'enabled', mode, config_mode: configMode };
}

/** `nic=` records (name, mac, operstate, physical, master) joined with `ip -o -4 addr show` lines. */
function parseNics(raw: RawFacts): NicFact[] {
  const nics = new Map<string, NicFact>();
  const nicNamed = (name: string): NicFact => {
    let nic = nics.get(name);
    if (!nic) {
      nic = { name, mac: null, state: null, physical: false, master: null, ipv4: [] };
      nics.set(name, nic);
    }
    return nic;
  };
  for (const record of raw.all('nic')) {
    const [name, mac, state, physical, master] = record.split('\t');
    if (!name) continue;
    Object.assign(nicNamed(name), { mac: mac || null, state: state || null, physical: physical === '1', master: master || null });
  }
  // "2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\       valid_lft forever ..."
  for (const line of raw.all('ipv4')) {
    const fields = line.trim().split(/\s+/);
    if (fields[2] !== 'inet' || !fields[1] || !fields[3]) continue;
    const name = fields[1].replace(/:$/, '').replace(/@.*$/, '');
    nicNamed(name).ipv4.push(fields[3].includes('/') ? fields[3] : `${fields[3]}/32`);
  }
  return [...nics.values()];
}

/** "default via 10.0.0.1 dev eth0 proto static metric 100" */
function parseDefaultRoute(line: string | null): DefaultRouteFact | null {
  if (line === null) return null;
  const fields = line.split(/\s+/);
  const after = (word: string): string | null => {
    const at = fields.indexOf(word);
    return at >= 0 && fields[at + 1] ? fields[at + 1] : null;
  };
  return { interface: after('dev'), gateway: after('via') };
}

/**
 * SSH_CONNECTION is "client-addr client-port server-addr server-port"; the interface holding
 * server-addr carries the session. Any 127/8 address belongs to `lo`, not only the one it lists.
 */
function sshInterface(sshConnection: string | null, nics: readonly NicFact[]): string | null {
  const serverAddr = sshConnection?.split(/\s+/)[2]?.replace(/^::ffff:/i, '');
  if (!serverAddr) return null;
  const holder = nics.find((nic) => nic.ipv4.some((cidr) => cidr.split('/')[0] === serverAddr));
  if (holder) return holder.name;
  if (serverAddr.startsWith('127.') && nics.some((nic) => nic.name === 'lo')) return 'lo';
  return null;
}
