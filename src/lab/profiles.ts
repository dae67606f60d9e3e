/**
 * The simulated machines: what each profile's hardware, firmware and installed OS look like.
 * Pure data, so the boot logic and the node setup can be unit-tested without a host.
 */

export const PROFILE_NAMES = ['master', 'intel-gpu', 'amd-gpu', 'uefi', 'centos7', 'novirt', 'shared-group'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface PciDevice {
  /** Full domain:bus:slot.fn address, e.g. 0000:3b:00.0. */
  addr: string;
  vendor: string;
  device: string;
  /** Six hex digits, as sysfs prints it without 0x (e.g. 030200). */
  pciClass: string;
  subsystemVendor: string;
  subsystemDevice: string;
  /** lspci's description: class name and device name. */
  className: string;
  deviceName: string;
  /** The IOMMU group the device lands in when the IOMMU is on. */
  iommuGroup: number;
  /** The host driver that claims it when nothing else does (null: none). */
  hostDriver: string | null;
}

export interface Nic {
  name: string;
  mac: string;
  /** PCI address of the port (physical NICs). */
  pci: string;
}

export interface OsRelease {
  family: 'stream8' | 'centos7';
  kernel: string;
  osRelease: string;
  /** Boot entries are BLS snippets under /boot/loader/entries (Stream 8). */
  bls: boolean;
  /** Kernel modules the distribution kernel ships (modprobe/modinfo/dracut look here). */
  modules: string[];
}

export interface Profile {
  name: ProfileName;
  os: OsRelease;
  cpuVendor: 'GenuineIntel' | 'AuthenticAMD';
  cpuModel: string;
  /** vmx/svm as /proc/cpuinfo shows it; null when virtualization is off in the BIOS. */
  virtFlag: 'vmx' | 'svm' | null;
  cpus: number;
  firmware: 'bios' | 'uefi';
  pci: PciDevice[];
  nics: Nic[];
  /** Which inventory groups the node belongs to. */
  role: 'master' | 'kvm';
}

const COMMON_MODULES = [
  'kvm', 'kvm_intel', 'kvm_amd', 'nouveau', 'vfio', 'vfio_pci', 'vfio_iommu_type1', 'openvswitch', 'igb',
  'snd_hda_intel', 'bridge', 'br_netfilter', 'tun', 'vhost_net', 'ip_tables', 'nf_conntrack', 'xfs',
];

export const STREAM8: OsRelease = {
  family: 'stream8',
  kernel: '4.18.0-553.el8.x86_64',
  bls: true,
  // 4.18 split vfio_virqfd out of vfio (upstream 4.1); it is merged back only in 6.2.
  modules: [...COMMON_MODULES, 'vfio_virqfd'],
  osRelease: `NAME="CentOS Stream"
VERSION="8"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="8"
PLATFORM_ID="platform:el8"
PRETTY_NAME="CentOS Stream 8"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:8"
HOME_URL="https://centos.org/"
BUG_REPORT_URL="https://bugzilla.redhat.com/"
REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux 8"
REDHAT_SUPPORT_PRODUCT_VERSION="CentOS Stream"
`,
};

export const CENTOS7: OsRelease = {
  family: 'centos7',
  kernel: '3.10.0-1160.el7.x86_64',
  bls: false,
  // Whether the 3.10 backports ship vfio_virqfd is unverified; the lab chooses "no" so roles must probe.
  modules: [...COMMON_MODULES],
  osRelease: `NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"

`,
};

const INTEL_CPU = 'Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz';
const AMD_CPU = 'AMD EPYC 7302 16-Core Processor';

function hostBridge(vendor: 'intel' | 'amd'): PciDevice {
  return vendor === 'intel'
    ? dev('0000:00:00.0', '8086', '2020', '060000', '8086', '0000', 'Host bridge', 'Intel Corporation Sky Lake-E DMI3 Registers', 0, null)
    : dev('0000:00:00.0', '1022', '1480', '060000', '1022', '1480', 'Host bridge', 'Advanced Micro Devices, Inc. [AMD] Starship/Matisse Root Complex', 0, null);
}

function dev(
  addr: string, vendor: string, device: string, pciClass: string, subsystemVendor: string, subsystemDevice: string,
  className: string, deviceName: string, iommuGroup: number, hostDriver: string | null,
): PciDevice {
  return { addr, vendor, device, pciClass, subsystemVendor, subsystemDevice, className, deviceName, iommuGroup, hostDriver };
}

function i350Port(addr: string, group: number): PciDevice {
  return dev(addr, '8086', '1521', '020000', '8086', '0001', 'Ethernet controller', 'Intel Corporation I350 Gigabit Network Connection', group, 'igb');
}

function teslaT4(addr: string, group: number): PciDevice {
  return dev(addr, '10de', '1eb8', '030200', '10de', '12a2', '3D controller', 'NVIDIA Corporation TU104GL [Tesla T4]', group, 'nouveau');
}

function rtxA6000(slot: string, group: number): PciDevice[] {
  return [
    dev(`${slot}.0`, '10de', '2230', '030000', '10de', '1459', 'VGA compatible controller', 'NVIDIA Corporation GA102GL [RTX A6000]', group, 'nouveau'),
    dev(`${slot}.1`, '10de', '1aef', '040300', '10de', '1459', 'Audio device', 'NVIDIA Corporation GA102 High Definition Audio Controller', group, 'snd_hda_intel'),
  ];
}

/** Two ports: eth0 carries the node's address, eth1 is the spare uplink for OVS. */
function nicsOn(pci0: string, pci1: string, seed: number): Nic[] {
  const mac = (port: number) => `52:54:00:${hex2(seed >> 8)}:${hex2(seed & 0xff)}:${hex2(port)}`;
  return [
    { name: 'eth0', mac: mac(0), pci: pci0 },
    { name: 'eth1', mac: mac(1), pci: pci1 },
  ];
}

function hex2(n: number): string {
  return (n & 0xff).toString(16).padStart(2, '0');
}

interface ProfileShape {
  os: OsRelease;
  cpu: 'intel' | 'amd';
  virt: boolean;
  firmware: 'bios' | 'uefi';
  gpus: PciDevice[];
  role: 'master' | 'kvm';
}

const SHAPES: Record<ProfileName, ProfileShape> = {
  master: { os: STREAM8, cpu: 'intel', virt: true, firmware: 'bios', gpus: [], role: 'master' },
  'intel-gpu': { os: STREAM8, cpu: 'intel', virt: true, firmware: 'bios', gpus: [teslaT4('0000:3b:00.0', 30)], role: 'kvm' },
  'amd-gpu': {
    os: STREAM8, cpu: 'amd', virt: true, firmware: 'bios',
    gpus: [...rtxA6000('0000:41:00', 40), ...rtxA6000('0000:c1:00', 80)], role: 'kvm',
  },
  // CentOS 7 on UEFI: the case where `grub2-mkconfig -o /boot/grub2/grub.cfg` edits a file grub never reads.
  uefi: { os: CENTOS7, cpu: 'intel', virt: true, firmware: 'uefi', gpus: [teslaT4('0000:3b:00.0', 30)], role: 'kvm' },
  centos7: { os: CENTOS7, cpu: 'intel', virt: true, firmware: 'bios', gpus: [teslaT4('0000:3b:00.0', 30)], role: 'kvm' },
  novirt: { os: STREAM8, cpu: 'intel', virt: false, firmware: 'bios', gpus: [], role: 'kvm' },
  // The T4 sits behind a bridge without ACS, together with an unrelated NIC.
  'shared-group': {
    os: STREAM8, cpu: 'intel', virt: true, firmware: 'bios',
    gpus: [teslaT4('0000:3b:00.0', 30), i350Port('0000:3b:00.1', 30)], role: 'kvm',
  },
};

/** The machine a node of `name` simulates; `seed` makes its MAC addresses unique in the lab. */
export function buildProfile(name: ProfileName, seed: number): Profile {
  const shape = SHAPES[name];
  const intel = shape.cpu === 'intel';
  const pci = [hostBridge(shape.cpu), i350Port('0000:18:00.0', 18), i350Port('0000:18:00.1', 19), ...shape.gpus];
  return {
    name,
    os: shape.os,
    cpuVendor: intel ? 'GenuineIntel' : 'AuthenticAMD',
    cpuModel: intel ? INTEL_CPU : AMD_CPU,
    virtFlag: shape.virt ? (intel ? 'vmx' : 'svm') : null,
    cpus: 4,
    firmware: shape.firmware,
    pci,
    nics: nicsOn('0000:18:00.0', '0000:18:00.1', seed),
    role: shape.role,
  };
}

export function isProfileName(value: string): value is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(value);
}

/**
 * Parses `--profile`: one profile, a comma-separated list the nodes cycle through, or `mixed` (every
 * profile, master first). Returns undefined when a name is unknown.
 */
export function parseProfileChoice(text: string): ProfileName[] | undefined {
  if (text === 'mixed') return [...PROFILE_NAMES];
  const names = text.split(',').map((name) => name.trim());
  return names.every(isProfileName) ? names : undefined;
}

/** The profile of node number `index` (1-based): the choices repeat in order. */
export function profileForNode(choices: readonly ProfileName[], index: number): ProfileName {
  return choices[(index - 1) % choices.length]!;
}

export function isGpuDevice(device: PciDevice): boolean {
  return device.vendor === '10de';
}

export function hasGpu(profile: Profile): boolean {
  return profile.pci.some(isGpuDevice);
}
