/**
 * What a simulated node looks like after it boots, computed from its files only: the firmware reads
 * grub's config, grub picks an entry, the kernel gets its command line and initramfs, the initramfs
 * decides who claims the GPU. Pure: the daemon writes the result to the node's run/ and sys/ trees.
 */
import {
  defaultBlsEntry, defaultMenuEntry, expandGrubVariables, firmwareGrubDir, kernelVersionOf, parseBlsEntry,
  parseGrubCfg, parseGrubenv, parseShellAssignments, type BootEntry,
} from './grub.js';
import {
  imageFilesUnder, normalizeModule, parseInitramfs, parseModprobeConfig, parseModulesLoad, vfioIds,
  type InitramfsImage,
} from './initramfs.js';
import type { PciDevice, Profile } from './profiles.js';

/** Read access to the node's root filesystem (paths as seen inside the node). */
export interface NodeFiles {
  read(path: string): string | undefined;
  /** File names (not paths) in a directory; empty when it does not exist. */
  list(dir: string): string[];
}

export type SelinuxMode = 'enforcing' | 'permissive' | 'disabled';

export interface BootState {
  kernel: string;
  cmdline: string;
  iommu: boolean;
  /** Loaded kernel modules, in load order. */
  modules: string[];
  /** PCI address → bound driver; devices without a driver are absent. */
  drivers: Record<string, string>;
  selinux: SelinuxMode;
  dmesg: string[];
}

export type BootOutcome = { ok: true; state: BootState } | { ok: false; console: string };

export interface BootContext {
  profile: Profile;
  files: NodeFiles;
  /** Modules the installed kernel provides (packages may add some, e.g. nvidia). */
  availableModules: string[];
  /** Services enabled at boot (their modules load: openvswitch). */
  enabledServices: string[];
}

interface ChosenEntry {
  linux: string;
  initrd?: string;
  args: string;
}

export function computeBoot(ctx: BootContext): BootOutcome {
  const entry = chooseEntry(ctx.profile, ctx.files);
  if ('console' in entry) return { ok: false, console: entry.console };
  const kernel = kernelVersionOf(entry.linux);
  if (ctx.files.read(`/boot/vmlinuz-${kernel}`) === undefined) {
    return { ok: false, console: `error: file '${entry.linux}' not found.\nerror: you need to load the kernel first.` };
  }
  const imageText = entry.initrd ? ctx.files.read(`/boot${entry.initrd.replace(/^\(.*?\)/, '')}`) : undefined;
  const image = imageText === undefined ? undefined : parseInitramfs(imageText);
  if (!image || image.kernel !== kernel) {
    return { ok: false, console: 'Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)' };
  }
  const cmdline = `BOOT_IMAGE=${entry.linux} ${entry.args}`.trim();
  return { ok: true, state: bootWith(ctx, kernel, cmdline, image) };
}

function chooseEntry(profile: Profile, files: NodeFiles): ChosenEntry | { console: string } {
  const dir = firmwareGrubDir(profile.firmware);
  const cfgText = files.read(`${dir}/grub.cfg`);
  if (cfgText === undefined) return { console: `error: file '${dir.replace(/^\/boot/, '')}/grub.cfg' not found.\ngrub rescue>` };
  const env = parseGrubenv(files.read(`${dir}/grubenv`));
  const cfg = parseGrubCfg(cfgText);
  if (cfg.bls) {
    const entries = files
      .list('/boot/loader/entries')
      .filter((name) => name.endsWith('.conf'))
      .map((name) => parseBlsEntry(name.slice(0, -5), files.read(`/boot/loader/entries/${name}`) ?? ''));
    const bls = defaultBlsEntry(entries, env);
    if (bls) return { linux: bls.linux, initrd: bls.initrd, args: expandGrubVariables(bls.options, env) };
  }
  const menu: BootEntry | undefined = defaultMenuEntry(cfg.entries, env);
  if (!menu) return { console: 'error: no such device.\ngrub>' };
  return { linux: menu.linux, initrd: menu.initrd, args: expandGrubVariables(menu.args, env) };
}

/** `key=value` parameters of a command line; a repeated key keeps every value, comma lists are split. */
export function cmdlineParams(cmdline: string): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const word of cmdline.split(/\s+/).filter(Boolean)) {
    const eq = word.indexOf('=');
    const key = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? '' : word.slice(eq + 1);
    params.set(key, [...(params.get(key) ?? []), value]);
  }
  return params;
}

function listParam(params: Map<string, string[]>, key: string): string[] {
  return (params.get(key) ?? []).flatMap((v) => v.split(',')).filter(Boolean).map(normalizeModule);
}

function lastParam(params: Map<string, string[]>, key: string): string | undefined {
  return params.get(key)?.at(-1);
}

/**
 * Intel needs intel_iommu=on. For AMD the kernel enables the IOMMU by default when the firmware's IVRS
 * table exists, which is unverified; the lab requires amd_iommu=on so that roles must set it.
 */
export function iommuEnabled(profile: Profile, params: Map<string, string[]>): boolean {
  const key = profile.cpuVendor === 'GenuineIntel' ? 'intel_iommu' : 'amd_iommu';
  return (lastParam(params, key) ?? '').split(',').includes('on');
}

const VFIO_MODULES = ['vfio', 'vfio_iommu_type1', 'vfio_pci', 'vfio_virqfd'];

function bootWith(ctx: BootContext, kernel: string, cmdline: string, image: InitramfsImage): BootState {
  const { profile, files, availableModules } = ctx;
  const params = cmdlineParams(cmdline);
  const iommu = iommuEnabled(profile, params);
  const rootModprobe = parseModprobeConfig(confFiles(files, '/etc/modprobe.d'));
  const imageModprobe = parseModprobeConfig(imageFilesUnder(image, '/etc/modprobe.d/'));
  const blacklist = new Set([
    ...rootModprobe.blacklist, ...imageModprobe.blacklist,
    ...listParam(params, 'modprobe.blacklist'), ...listParam(params, 'rd.driver.blacklist'), ...listParam(params, 'module_blacklist'),
  ]);
  const imageModulesLoad = parseModulesLoad(imageFilesUnder(image, '/etc/modules-load.d/'));
  const rootModulesLoad = parseModulesLoad(confFiles(files, '/etc/modules-load.d'));
  const vfioInImage = [...image.drivers, ...image.forceDrivers].includes('vfio_pci');
  // vfio-pci claims devices before any host driver only when the initramfs has it and something loads it there.
  const vfioEarly = vfioInImage && (
    listParam(params, 'rd.driver.pre').includes('vfio_pci') || image.forceDrivers.includes('vfio_pci') || imageModulesLoad.includes('vfio_pci'));
  const vfioLate = rootModulesLoad.includes('vfio_pci') && availableModules.includes('vfio_pci');
  const earlyIds = vfioIds(imageModprobe);
  const lateIds = vfioIds(rootModprobe);

  const dmesg: string[] = [`Linux version ${kernel} (mockbuild@kbuilder.bsys.centos.org) #1 SMP`, `Command line: ${cmdline}`];
  if (iommu) dmesg.push(...iommuBanner(profile));
  const drivers: Record<string, string> = {};
  const probeFailures: string[] = [];
  for (const device of profile.pci) {
    const id = `${device.vendor}:${device.device}`;
    const wantsVfio = (vfioEarly && earlyIds.has(id)) ||
      (!hostDriverAllowed(device, blacklist, availableModules) && vfioLate && lateIds.has(id));
    if (iommu) dmesg.push(`iommu: Adding device ${device.addr} to group ${device.iommuGroup}`);
    if (wantsVfio) {
      // Without an IOMMU group vfio-pci refuses the device, leaving it without a driver.
      if (iommu) drivers[device.addr] = 'vfio-pci';
      else probeFailures.push(`vfio-pci: probe of ${device.addr} failed with error -22`);
      continue;
    }
    const driver = hostDriverFor(device, blacklist, availableModules);
    if (driver) drivers[device.addr] = driver;
  }
  const vfioLoaded = vfioEarly || vfioLate;
  if (vfioLoaded) dmesg.push('VFIO - User Level meta-driver version: 0.3', ...probeFailures);
  for (const [addr, driver] of Object.entries(drivers)) {
    if (driver === 'nouveau') dmesg.push(`nouveau ${addr}: NVIDIA TU104 (164000a1)`);
  }

  const modules = new Set<string>();
  if (profile.virtFlag) modules.add('kvm').add(profile.virtFlag === 'vmx' ? 'kvm_intel' : 'kvm_amd');
  else dmesg.push('kvm: no hardware support');
  for (const driver of Object.values(drivers)) modules.add(normalizeModule(driver));
  if (vfioLoaded) for (const m of VFIO_MODULES) if (availableModules.includes(m)) modules.add(m);
  for (const m of rootModulesLoad) if (availableModules.includes(m) && !listParam(params, 'module_blacklist').includes(m)) modules.add(m);
  if (ctx.enabledServices.includes('openvswitch')) modules.add('openvswitch');

  return {
    kernel,
    cmdline,
    iommu,
    modules: [...modules],
    drivers,
    selinux: selinuxMode(files.read('/etc/selinux/config'), params),
    dmesg: dmesg.map((line, i) => `[${(i * 0.013).toFixed(6).padStart(12)}] ${line}`),
  };
}

function iommuBanner(profile: Profile): string[] {
  return profile.cpuVendor === 'GenuineIntel'
    ? ['DMAR: IOMMU enabled', 'DMAR: Host address width 46', 'DMAR-IR: Enabled IRQ remapping in x2apic mode', 'DMAR: Intel(R) Virtualization Technology for Directed I/O']
    : ['AMD-Vi: IOMMU performance counters supported', 'AMD-Vi: Found IOMMU at 0000:00:00.2 cap 0x40', 'AMD-Vi: Interrupt remapping enabled'];
}

function hostDriverAllowed(device: PciDevice, blacklist: Set<string>, available: string[]): boolean {
  return hostDriverFor(device, blacklist, available) !== undefined;
}

/**
 * The driver that probes a device by alias: blacklisting only stops alias loading, which is how
 * nouveau would bind. When nouveau is out of the way and the nvidia module is installed, nvidia binds.
 */
function hostDriverFor(device: PciDevice, blacklist: Set<string>, available: string[]): string | undefined {
  const driver = device.hostDriver;
  if (!driver) return undefined;
  if (!blacklist.has(normalizeModule(driver)) && available.includes(normalizeModule(driver))) return driver;
  if (driver === 'nouveau' && available.includes('nvidia') && !blacklist.has('nvidia')) return 'nvidia';
  return undefined;
}

function selinuxMode(configText: string | undefined, params: Map<string, string[]>): SelinuxMode {
  if (lastParam(params, 'selinux') === '0') return 'disabled';
  const configured = parseShellAssignments(configText ?? '').SELINUX;
  const mode: SelinuxMode = configured === 'disabled' || configured === 'permissive' ? configured : 'enforcing';
  if (mode === 'enforcing' && lastParam(params, 'enforcing') === '0') return 'permissive';
  return mode;
}

function confFiles(files: NodeFiles, dir: string): string[] {
  return files
    .list(dir)
    .filter((name) => name.endsWith('.conf'))
    .sort()
    .map((name) => files.read(`${dir}/${name}`) ?? '');
}
