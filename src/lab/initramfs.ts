/**
 * The lab's initramfs image: a text file the `dracut` stub writes, holding the kernel version, the
 * drivers dracut put in and a snapshot of the module configuration the early boot reads.
 *
 *   #play-lab-initramfs 1
 *   kernel=4.18.0-553.el8.x86_64
 *   drivers=vfio vfio_iommu_type1 vfio_pci
 *   force_drivers=
 *   >>> /etc/modprobe.d/vfio.conf
 *   options vfio-pci ids=10de:1eb8
 */

export const INITRAMFS_MAGIC = '#play-lab-initramfs 1';

export interface InitramfsImage {
  kernel: string;
  /** Module names (normalized to underscores) dracut added with add_drivers / --add-drivers. */
  drivers: string[];
  forceDrivers: string[];
  /** Snapshotted configuration files, keyed by their path on the root filesystem. */
  files: Map<string, string>;
}

/** Kernel module names are the same with '-' or '_' (vfio-pci is vfio_pci). */
export function normalizeModule(name: string): string {
  return name.trim().replace(/-/g, '_');
}

export function renderInitramfs(image: InitramfsImage): string {
  const lines = [
    INITRAMFS_MAGIC,
    `kernel=${image.kernel}`,
    `drivers=${image.drivers.join(' ')}`,
    `force_drivers=${image.forceDrivers.join(' ')}`,
  ];
  for (const [path, content] of [...image.files].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`>>> ${path}`, content.replace(/\n$/, ''));
  }
  return lines.join('\n') + '\n';
}

/** Undefined when the file is not an image the lab can boot (the kernel then panics). */
export function parseInitramfs(text: string): InitramfsImage | undefined {
  const lines = text.split('\n');
  if (lines[0] !== INITRAMFS_MAGIC) return undefined;
  const image: InitramfsImage = { kernel: '', drivers: [], forceDrivers: [], files: new Map() };
  let currentFile: string | undefined;
  for (const line of lines.slice(1)) {
    const header = /^>>> (.+)$/.exec(line);
    if (header) {
      currentFile = header[1]!;
      image.files.set(currentFile, '');
    } else if (currentFile !== undefined) {
      image.files.set(currentFile, image.files.get(currentFile)! + line + '\n');
    } else if (line.startsWith('kernel=')) {
      image.kernel = line.slice('kernel='.length);
    } else if (line.startsWith('drivers=')) {
      image.drivers = words(line.slice('drivers='.length)).map(normalizeModule);
    } else if (line.startsWith('force_drivers=')) {
      image.forceDrivers = words(line.slice('force_drivers='.length)).map(normalizeModule);
    }
  }
  for (const [path, content] of image.files) image.files.set(path, content.replace(/\n+$/, '') + '\n');
  return image;
}

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/** What modprobe.d files say: blacklisted modules and per-module options. */
export interface ModprobeConfig {
  blacklist: Set<string>;
  options: Map<string, string[]>;
}

/** Merge every `*.conf` of a modprobe.d directory (given as path → content). */
export function parseModprobeConfig(files: Iterable<string>): ModprobeConfig {
  const config: ModprobeConfig = { blacklist: new Set(), options: new Map() };
  for (const content of files) {
    for (const raw of content.split('\n')) {
      const [command, module, ...rest] = words(raw.replace(/#.*/, ''));
      if (!command || !module) continue;
      const name = normalizeModule(module);
      if (command === 'blacklist') config.blacklist.add(name);
      if (command === 'options') config.options.set(name, [...(config.options.get(name) ?? []), ...rest]);
    }
  }
  return config;
}

/** The `vendor:device` pairs of `options vfio-pci ids=...` (extra subvendor/class fields are ignored). */
export function vfioIds(config: ModprobeConfig): Set<string> {
  const ids = new Set<string>();
  for (const option of config.options.get('vfio_pci') ?? []) {
    if (!option.startsWith('ids=')) continue;
    for (const id of option.slice(4).split(',')) {
      const [vendor, device] = id.toLowerCase().split(':');
      if (vendor && device) ids.add(`${vendor}:${device}`);
    }
  }
  return ids;
}

/** Module names listed in modules-load.d files (`#` and `;` start comments). */
export function parseModulesLoad(files: Iterable<string>): string[] {
  const modules: string[] = [];
  for (const content of files) {
    for (const raw of content.split('\n')) {
      const line = raw.trim();
      if (line && !line.startsWith('#') && !line.startsWith(';')) modules.push(normalizeModule(line));
    }
  }
  return modules;
}

/** Contents of the snapshotted files under `dir` (e.g. /etc/modprobe.d/). */
export function imageFilesUnder(image: InitramfsImage, dir: string): string[] {
  return [...image.files].filter(([path]) => path.startsWith(dir) && path.endsWith('.conf')).map(([, c]) => c);
}
