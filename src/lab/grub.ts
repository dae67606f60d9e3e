/**
 * Reading grub's configuration the way the simulated firmware does: grub.cfg menu entries (EL7) or
 * BLS snippets with `$kernelopts` from grubenv (EL8), plus the templates the lab installs first.
 * The stubs `grub2-mkconfig` and `grubby` write the same formats.
 */

/** Path of the grub.cfg (and its grubenv) that the firmware of a node reads. */
export function firmwareGrubDir(firmware: 'bios' | 'uefi'): string {
  return firmware === 'uefi' ? '/boot/efi/EFI/centos' : '/boot/grub2';
}

/** KEY=value lines of a shell-sourced file (/etc/default/grub, /etc/selinux/config); quotes removed. */
export function parseShellAssignments(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(raw);
    if (!match) continue;
    values[match[1]!] = unquoteShellValue(match[2]!.trim());
  }
  return values;
}

function unquoteShellValue(value: string): string {
  const quoted = /^"((?:[^"\\]|\\.)*)"|^'([^']*)'/.exec(value);
  if (quoted) return quoted[1] !== undefined ? quoted[1].replace(/\\(.)/g, '$1') : quoted[2]!;
  return value.replace(/\s+#.*$/, '');
}

/** grubenv: `key=value` lines after the "# GRUB Environment Block" header, padded with '#'. */
export function parseGrubenv(text: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of (text ?? '').split('\n')) {
    if (line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

export function renderGrubenv(env: Record<string, string>): string {
  return ['# GRUB Environment Block', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].join('\n') + '\n';
}

/** What grub hands the kernel: the image, the initrd and the argument string. */
export interface BootEntry {
  title: string;
  /** Path of the kernel image relative to the /boot partition, e.g. /vmlinuz-4.18.0-553.el8.x86_64. */
  linux: string;
  initrd?: string;
  args: string;
}

export interface GrubConfig {
  /** The config only calls `blscfg`: entries come from /boot/loader/entries. */
  bls: boolean;
  entries: BootEntry[];
}

const LINUX_COMMAND = /^\s*(linux16|linuxefi|linux)\s+(\S+)\s*(.*)$/;
const INITRD_COMMAND = /^\s*(initrd16|initrdefi|initrd)\s+(\S+)/;

export function parseGrubCfg(text: string): GrubConfig {
  const entries: BootEntry[] = [];
  let current: BootEntry | undefined;
  let bls = false;
  for (const line of text.split('\n')) {
    const title = /^\s*menuentry\s+'([^']*)'/.exec(line);
    if (title) {
      current = { title: title[1]!, linux: '', args: '' };
      entries.push(current);
      continue;
    }
    if (/^\s*blscfg\s*$/.test(line)) bls = true;
    if (!current) continue;
    const linux = LINUX_COMMAND.exec(line);
    if (linux) {
      current.linux = linux[2]!;
      current.args = linux[3]!.trim();
    }
    const initrd = INITRD_COMMAND.exec(line);
    if (initrd) current.initrd = initrd[2]!;
    if (/^\s*}\s*$/.test(line)) current = undefined;
  }
  return { bls, entries: entries.filter((e) => e.linux !== '') };
}

export interface BlsEntry {
  /** File name without `.conf`, what grubenv's saved_entry names. */
  id: string;
  title: string;
  version: string;
  linux: string;
  initrd?: string;
  options: string;
}

export function parseBlsEntry(id: string, text: string): BlsEntry {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*(\w+)\s+(.*?)\s*$/.exec(line);
    if (match && !line.trimStart().startsWith('#')) fields[match[1]!] = match[2]!;
  }
  return {
    id,
    title: fields.title ?? id,
    version: fields.version ?? '',
    linux: fields.linux ?? '',
    // An initrd line may carry `$tuned_initrd` after the image; the first word is the image.
    initrd: fields.initrd?.split(/\s+/)[0],
    options: fields.options ?? '',
  };
}

/** `$name` and `${name}` from grubenv; unknown variables expand to nothing, as in grub. */
export function expandGrubVariables(text: string, env: Record<string, string>): string {
  return text
    .replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, braced: string | undefined, bare: string | undefined) => env[braced ?? bare!] ?? '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The entry grub boots: grubenv's saved_entry when it names one, else the first (BLS: newest version). */
export function defaultBlsEntry(entries: BlsEntry[], env: Record<string, string>): BlsEntry | undefined {
  const saved = entries.find((e) => e.id === env.saved_entry);
  if (saved) return saved;
  return [...entries].sort((a, b) => compareVersions(b.version, a.version))[0];
}

export function defaultMenuEntry(entries: BootEntry[], env: Record<string, string>): BootEntry | undefined {
  return entries.find((e) => e.title === env.saved_entry) ?? entries[0];
}

function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** The kernel version of an image path: /vmlinuz-3.10.0-1160.el7.x86_64 → 3.10.0-1160.el7.x86_64. */
export function kernelVersionOf(linuxPath: string): string {
  const base = linuxPath.replace(/^\(.*?\)/, '').split('/').pop() ?? '';
  return base.replace(/^vmlinuz-/, '');
}
