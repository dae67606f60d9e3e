import type { VgpuMode } from './gpu-models.js';

/**
 * Facts of one host, as `setup` returns them under `ansible_facts` (so `ansible_facts.kernel`
 * and `ansible_kernel`). Names follow Ansible where Ansible has the fact; every fact is null
 * (or an empty list) when the host lacked the file or command it comes from.
 */
export interface Facts {
  /** "CentOS", "RedHat", "Debian"... as Ansible names them. */
  distribution: string | null;
  /** "7.9.2009" on CentOS 7 (from /etc/centos-release), "8" on Stream 8. */
  distribution_version: string | null;
  distribution_major_version: string | null;
  /** "Core" on CentOS 7, "Stream" on CentOS Stream. */
  distribution_release: string | null;
  /** "RedHat" for CentOS/RHEL/Rocky/Alma/Fedora. */
  os_family: string | null;
  /** ID from /etc/os-release: "centos", "rhel". */
  os_id: string | null;

  /** `uname -r`. */
  kernel: string | null;
  /** `uname -v`. */
  kernel_version: string | null;
  architecture: string | null;
  /** The node name up to the first dot. */
  hostname: string | null;
  /** `uname -n`. */
  nodename: string | null;
  /** `hostname -f`; null when it fails or takes longer than 2 s. */
  fqdn: string | null;

  /** As Ansible: index, vendor_id and model name of each logical CPU, in a flat list. */
  processor: string[];
  /** Sockets. */
  processor_count: number;
  /** Cores per socket. */
  processor_cores: number;
  processor_threads_per_core: number;
  /** Logical CPUs the kernel lists. */
  processor_vcpus: number;
  /** "GenuineIntel" | "AuthenticAMD". */
  cpu_vendor: string | null;
  /** Hardware virtualisation flag of the first CPU. */
  virt_flag: 'vmx' | 'svm' | null;
  memtotal_mb: number | null;
  /** `/` and `/home` when /home is its own file system. */
  mounts: MountFact[];

  /** Changes on every boot: compare before and after a reboot. */
  boot_id: string | null;
  /** Kernel arguments as Ansible's ansible_cmdline: value, or true for a bare flag; the last repeat wins. */
  cmdline: Record<string, string | true>;
  /** Every argument in order, quotes removed as the kernel removes them ("video=efifb:off"). */
  cmdline_args: string[];
  /** /proc/cmdline as it is. */
  proc_cmdline: string | null;

  boot_mode: 'uefi' | 'bios';
  /** The grub.cfg the firmware's grub reads (EFI vendor directory on UEFI). */
  grub_cfg_path: string;
  /** `grubby --default-kernel`: the kernel that boots next, e.g. "/boot/vmlinuz-3.10.0-1160.el7.x86_64". */
  default_kernel: string | null;
  /** Its version ("3.10.0-1160.el7.x86_64"); the one the initramfs must be rebuilt for. */
  default_kernel_version: string | null;
  /** GRUB_ENABLE_BLSCFG=true in /etc/default/grub. */
  bls_enabled: boolean;
  /** GRUB_CMDLINE_LINUX from /etc/default/grub with its quotes removed. */
  grub_cmdline_linux: string | null;

  selinux: SelinuxFact;
  /** `systemctl is-active firewalld`: "active", "inactive", "unknown"... */
  firewalld_state: string | null;
  iptables_state: string | null;

  /** Every interface in /sys/class/net, `lo` included. */
  nics: NicFact[];
  default_route: DefaultRouteFact | null;
  /** The interface holding the address the SSH session came in on. */
  ssh_interface: string | null;

  /** Of the modules that matter here (kvm, vfio, nouveau, nvidia, openvswitch), those loaded. */
  loaded_modules: string[];
  /** /sys/class/iommu has a unit or /sys/kernel/iommu_groups has a group. */
  iommu_enabled: boolean;
  /** `modinfo -k <default kernel> vfio_virqfd` succeeds; null when modinfo is missing. */
  vfio_virqfd_available: boolean | null;
  /** Display-class PCI devices (class 0x03, any subclass), NVIDIA or not. */
  gpus: GpuFact[];
}

export interface MountFact {
  mount: string;
  device: string;
  fstype: string;
  /** Bytes. */
  size_total: number;
  /** Bytes available to unprivileged users, as `df` reports. */
  size_available: number;
}

export interface SelinuxFact {
  /** 'disabled' when /sys/fs/selinux/enforce does not exist: the kernel is not running SELinux. */
  status: 'enabled' | 'disabled';
  /** Runtime mode. */
  mode: 'enforcing' | 'permissive' | 'disabled';
  /** SELINUX= in /etc/selinux/config: the mode after the next boot. */
  config_mode: string | null;
}

export interface NicFact {
  name: string;
  mac: string | null;
  /** operstate: "up", "down", "unknown". */
  state: string | null;
  /** Backed by a device (a PCI NIC), not a bridge, bond, veth or tunnel. */
  physical: boolean;
  /** The bridge, bond or OVS datapath it is enslaved to. */
  master: string | null;
  /** "10.0.0.5/24". */
  ipv4: string[];
}

export interface DefaultRouteFact {
  interface: string | null;
  gateway: string | null;
}

/** One PCI function as the GPU record lists its neighbours. */
export interface PciFunctionFact {
  /** "0000:3b:00.1". */
  addr: string;
  /** "10de:10f8". */
  id: string;
  /** "0x040300". */
  class: string;
  driver: string | null;
}

export interface GpuFact extends PciFunctionFact {
  vendor_id: string;
  device_id: string;
  /** "10de:12a2": the board maker's ID, or null when sysfs has none. */
  subsystem_id: string | null;
  /** "Tesla T4" for the data-centre models we know, else null. */
  model: string | null;
  /** From the class: 0x0302 3D controller, 0x0300 VGA, anything else 'other'. */
  kind: '3d' | 'vga' | 'other';
  iommu_group: number | null;
  /** Every function in the IOMMU group, this GPU included. */
  group_members: PciFunctionFact[];
  /** The other functions of the same bus:device (the HDMI audio function .1, a USB-C controller). */
  slot_functions: PciFunctionFact[];
  /** IOMMU on, and nothing in the group but this slot's functions and PCI bridges. */
  passthrough_ok: boolean;
  /** Group members that would have to leave the host with the GPU. */
  passthrough_blockers: string[];
  mig_capable: boolean;
  vgpu_mode: VgpuMode;
}
