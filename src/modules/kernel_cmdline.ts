/**
 * kernel_cmdline: makes kernel arguments survive into the next boot on EL7 and EL8, the way Red Hat's
 * own helper does (cockpit's kernelopt.sh): GRUB_CMDLINE_LINUX in /etc/default/grub, so every later
 * grub2-mkconfig keeps them, AND `grubby --update-kernel=ALL`, because BLS entries with literal
 * `options` lines never look at GRUB_CMDLINE_LINUX. Regenerating grub.cfg is left to the caller
 * (a handler), since only it knows which grub.cfg the firmware reads.
 */
import { shellQuote } from '../connection/shell.js';
import { execOrThrow } from './remote-file.js';
import { failOnError, failure } from './result.js';
import type { FileDiff, ModuleContext, ModuleDefinition, ModuleResult } from './types.js';

type KernelCmdlineArgs = {
  args: string[];
  remove: string[];
  grub_defaults: string;
  grubby: boolean;
};

/** Where GRUB_CMDLINE_LINUX sits in /etc/default/grub, and its words as written (shell escapes kept). */
export interface GrubCmdline {
  /** Index of the last assignment line (the one the shell keeps), -1 when there is none. */
  lineIndex: number;
  args: string[];
  /** What follows the closing quote on that line (a comment), kept as it was. */
  trailer: string;
}

/** One boot entry as `grubby --info=ALL` prints it. */
export interface GrubbyEntry {
  index: number;
  kernel: string;
  args: string[];
}

const ASSIGNMENT = /^(\s*(?:export\s+)?GRUB_CMDLINE_LINUX=)(.*)$/;

/** The part of an argument that names it: `video` for `video=efifb:off`, the flag itself for `quiet`. */
export function argKey(arg: string): string {
  const eq = arg.indexOf('=');
  return eq < 0 ? arg : arg.slice(0, eq);
}

/**
 * Splits a kernel command line into arguments the way the kernel does: on blanks, except inside
 * double quotes (`acpi_osi="!Windows 2012"`); a `\"` written inside the shell string counts as a quote.
 */
export function splitKernelArgs(text: string): string[] {
  const args: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && text[i + 1] === '"') {
      current += '\\"';
      quoted = !quoted;
      i++;
    } else if (c === '"') {
      current += c;
      quoted = !quoted;
    } else if (/\s/.test(c) && !quoted) {
      if (current) args.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (current) args.push(current);
  return args;
}

/** Reads a shell value as written after `NAME=`: its raw inner text and whatever follows it. */
function readShellValue(rest: string): { inner: string; trailer: string } {
  const quote = rest[0];
  if (quote === '"' || quote === "'") {
    let i = 1;
    while (i < rest.length && rest[i] !== quote) i += quote === '"' && rest[i] === '\\' ? 2 : 1;
    return { inner: rest.slice(1, i), trailer: rest.slice(i + 1) };
  }
  const end = rest.search(/\s/);
  return end < 0 ? { inner: rest, trailer: '' } : { inner: rest.slice(0, end), trailer: rest.slice(end) };
}

export function parseGrubDefaults(text: string): GrubCmdline {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = ASSIGNMENT.exec(lines[i]!);
    if (!match) continue;
    const { inner, trailer } = readShellValue(match[2]!);
    return { lineIndex: i, args: splitKernelArgs(inner), trailer };
  }
  return { lineIndex: -1, args: [], trailer: '' };
}

function isRemoved(arg: string, remove: readonly string[]): boolean {
  // A bare name removes the argument whatever its value, as grubby --remove-args does.
  return remove.some((r) => (r.includes('=') ? r === arg : argKey(arg) === r));
}

/**
 * The arguments after ensuring `wanted` and dropping `remove`: existing ones keep their order, a
 * `key=value` whose value differs is replaced where it stands, missing ones are appended. A key
 * wanted several times (`video=efifb:off video=vesafb:off`: one framebuffer per `video=`) is
 * multi-valued: each value is only added, never used to replace the others.
 */
export function mergeKernelArgs(existing: readonly string[], wanted: readonly string[], remove: readonly string[] = []): string[] {
  const keyCount = new Map<string, number>();
  for (const w of wanted) keyCount.set(argKey(w), (keyCount.get(argKey(w)) ?? 0) + 1);
  const singleValued = (w: string) => w.includes('=') && keyCount.get(argKey(w)) === 1;

  const result: string[] = [];
  const placed = new Set<string>();
  for (const arg of existing) {
    if (isRemoved(arg, remove)) continue;
    const replacement = wanted.find((w) => singleValued(w) && argKey(w) === argKey(arg));
    if (replacement === undefined) {
      if (!result.includes(arg)) result.push(arg);
    } else if (!placed.has(replacement)) {
      result.push(replacement);
      placed.add(replacement);
    }
  }
  for (const w of wanted) if (!result.includes(w)) result.push(w);
  return result;
}

/** /etc/default/grub with GRUB_CMDLINE_LINUX set to `args`; every other byte kept. */
export function renderGrubDefaults(text: string, args: readonly string[]): string {
  const parsed = parseGrubDefaults(text);
  const lines = text.split('\n');
  if (parsed.lineIndex < 0) {
    const line = `GRUB_CMDLINE_LINUX="${args.join(' ')}"`;
    const body = text === '' || text.endsWith('\n') ? text : text + '\n';
    return `${body}${line}\n`;
  }
  const prefix = ASSIGNMENT.exec(lines[parsed.lineIndex]!)![1]!;
  lines[parsed.lineIndex] = `${prefix}"${args.join(' ')}"${parsed.trailer}`;
  return lines.join('\n');
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/** Parses `grubby --info=ALL`; entries without a kernel (non-Linux entries) are left out. */
export function parseGrubbyInfo(text: string): GrubbyEntry[] {
  const entries: GrubbyEntry[] = [];
  let current: GrubbyEntry | undefined;
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const value = unquote(line.slice(eq + 1).trim());
    if (key === 'index') {
      current = { index: Number(value), kernel: '', args: [] };
      entries.push(current);
    } else if (current && key === 'kernel') {
      current.kernel = value;
    } else if (current && key === 'args') {
      current.args = splitKernelArgs(value);
    }
  }
  return entries.filter((e) => e.kernel !== '');
}

/** Whether a boot entry already carries every wanted argument and none of the removed ones. */
export function entryIsCurrent(entry: GrubbyEntry, wanted: readonly string[], remove: readonly string[]): boolean {
  return wanted.every((w) => entry.args.includes(w)) && !entry.args.some((a) => isRemoved(a, remove));
}

/**
 * The grubby command that brings every entry up to date, or undefined when none needs it. All wanted
 * arguments go in one call: grubby drops every argument of the same key before adding, so adding only
 * the missing `video=vesafb:off` would drop `video=efifb:off`.
 */
export function grubbyCommand(entries: readonly GrubbyEntry[], wanted: readonly string[], remove: readonly string[]): string | undefined {
  const stale = entries.filter((e) => !entryIsCurrent(e, wanted, remove));
  if (stale.length === 0) return undefined;
  const present = remove.filter((r) => stale.some((e) => e.args.some((a) => isRemoved(a, [r]))));
  const parts = ['grubby', '--update-kernel=ALL'];
  if (wanted.length) parts.push(shellQuote(`--args=${wanted.join(' ')}`));
  if (present.length) parts.push(shellQuote(`--remove-args=${present.join(' ')}`));
  return parts.join(' ');
}

const GRUBBY_MARK = '--play-grubby--';
const DEFAULTS_MARK = '--play-grub-defaults--';

/** One exec: grubby's view of every entry, then the defaults file in base64 (any byte survives). */
function probeScript(grubDefaults: string, grubby: boolean): string {
  const f = shellQuote(grubDefaults);
  const lines: string[] = [];
  if (grubby) {
    lines.push(
      `if ! command -v grubby >/dev/null 2>&1; then echo 'grubby is not installed' >&2; exit 3; fi`,
      `echo ${GRUBBY_MARK}`,
      'grubby --info=ALL || exit 4',
    );
  }
  lines.push(`if [ ! -f ${f} ]; then echo ${f}' does not exist' >&2; exit 2; fi`, `echo ${DEFAULTS_MARK}`, `base64 < ${f}`);
  return lines.join('\n');
}

interface Probed {
  defaults: string;
  entries: GrubbyEntry[];
}

function parseProbe(stdout: string): Probed {
  const defaultsAt = stdout.indexOf(`${DEFAULTS_MARK}\n`);
  const grubbyAt = stdout.indexOf(`${GRUBBY_MARK}\n`);
  const grubbyText = grubbyAt < 0 ? '' : stdout.slice(grubbyAt + GRUBBY_MARK.length + 1, defaultsAt);
  const defaults = Buffer.from(stdout.slice(defaultsAt + DEFAULTS_MARK.length + 1), 'base64').toString('utf8');
  return { defaults, entries: parseGrubbyInfo(grubbyText) };
}

async function runKernelCmdline(args: KernelCmdlineArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const probe = await ctx.conn.exec(probeScript(args.grub_defaults, args.grubby), { become: ctx.become });
  if (probe.rc !== 0) {
    const why = probe.stderr.trim() || probe.stdout.trim();
    const hint = probe.rc === 3 ? '; install grubby or set grubby: false' : '';
    return failure(`cannot read the boot configuration: ${why}${hint}`, { rc: probe.rc });
  }
  const { defaults, entries } = parseProbe(probe.stdout);
  const before = parseGrubDefaults(defaults);
  const merged = mergeKernelArgs(before.args, args.args, args.remove);
  const newDefaults = renderGrubDefaults(defaults, merged);
  const defaultsChanged = newDefaults !== defaults;
  const grubby = args.grubby ? grubbyCommand(entries, args.args, args.remove) : undefined;
  const changed = defaultsChanged || grubby !== undefined;

  let backupFile: string | undefined;
  if (!ctx.check) {
    if (defaultsChanged) {
      const put = await ctx.conn.put(args.grub_defaults, Buffer.from(newDefaults, 'utf8'), { backup: true, become: ctx.become });
      backupFile = put.backupFile;
    }
    if (grubby) await execOrThrow(ctx, grubby, 'updating the boot entries with grubby');
  }
  const diff: FileDiff[] = ctx.diff && defaultsChanged ? [{ path: args.grub_defaults, before: defaults, after: newDefaults }] : [];
  return {
    changed,
    msg: changed ? describeChange(defaultsChanged, grubby, entries.length) : 'kernel arguments already in place',
    cmdline: merged.join(' '),
    grub_defaults_changed: defaultsChanged,
    grubby_command: grubby ?? null,
    entries: entries.map((e) => e.kernel),
    ...(backupFile ? { backup_file: backupFile } : {}),
    ...(diff.length ? { diff } : {}),
  };
}

function describeChange(defaultsChanged: boolean, grubby: string | undefined, entryCount: number): string {
  const parts: string[] = [];
  if (defaultsChanged) parts.push('GRUB_CMDLINE_LINUX updated');
  if (grubby) parts.push(`boot entries updated with grubby (${entryCount} entries)`);
  return parts.join('; ');
}

/** Characters that would need shell escaping inside GRUB_CMDLINE_LINUX="..." or split one argument in two. */
const UNSAFE_ARG = /[\s"'$`\\]/;

export const kernelCmdlineModule: ModuleDefinition<KernelCmdlineArgs> = {
  name: 'kernel_cmdline',
  schema: {
    args: { type: 'list', elements: 'str', default: [] },
    remove: { type: 'list', elements: 'str', default: [] },
    grub_defaults: { type: 'path', default: '/etc/default/grub' },
    grubby: { type: 'bool', default: true },
  },
  validate(args) {
    if (args.args.length === 0 && args.remove.length === 0) return 'kernel_cmdline needs args or remove';
    const bad = [...args.args, ...args.remove].find((a) => a === '' || UNSAFE_ARG.test(a));
    if (bad !== undefined) return `kernel argument '${bad}' must be one word without quotes, '$', '\\' or backticks`;
    const both = args.args.find((a) => isRemoved(a, args.remove));
    if (both !== undefined) return `kernel argument '${both}' is both in args and in remove`;
    return undefined;
  },
  run: (args, ctx) => failOnError(() => runKernelCmdline(args, ctx)),
};
