import { shellQuote } from '../connection/shell.js';
import { execOrThrow } from './remote-file.js';
import { failOnError, failure } from './result.js';
import { shlexSplit } from '../connection/shlex.js';
import type { FileDiff, ModuleContext, ModuleDefinition, ModuleResult } from './types.js';

type ModprobeArgs = {
  name: string;
  state: 'present' | 'absent';
  params: string;
  persistent: 'present' | 'absent' | 'disabled';
};

/** Where persistence is written; fixed on real hosts, other directories only in tests. */
export interface ModprobeDirs {
  modulesLoad: string;
  modprobe: string;
}

const SYSTEM_DIRS: ModprobeDirs = { modulesLoad: '/etc/modules-load.d', modprobe: '/etc/modprobe.d' };

/** The kernel lists modules with underscores whatever the name was written with. */
const kernelName = (name: string) => name.replace(/-/g, '_');

/** Loaded (in /proc/modules, via lsmod) or built into the running kernel. */
function loadedScript(name: string): string {
  const k = shellQuote(kernelName(name));
  return [
    `if lsmod | awk -v m=${k} '$1 == m { f = 1 } END { exit !f }'; then echo loaded; exit 0; fi`,
    `b=/lib/modules/$(uname -r)/modules.builtin`,
    `if [ -f "$b" ] && sed 's/-/_/g' "$b" | grep -q -- /${k}.ko; then echo loaded; fi`,
  ].join('\n');
}

/** A config file's lines, without their newlines. */
export interface ConfFile {
  path: string;
  lines: string[];
}

/** A file to (re)write, with what it held before ('' when new). */
export interface ConfWrite {
  path: string;
  before: string;
  after: string;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const joinLines = (lines: string[]) => lines.map((l) => l + '\n').join('');

/**
 * What `persistent` changes, the way Ansible 2.13+'s modprobe does it: a module counts as persistent when
 * any modules-load.d file lists it; its params are the `options NAME k=v` lines of every modprobe.d file.
 * present: add NAME.conf to modules-load.d if needed; if the params differ, comment out the old
 * `options` lines everywhere and write modprobe.d/NAME.conf with one line per param.
 * absent: comment out the module's lines and its options lines wherever they are.
 */
export function planPersistence(
  dirs: ModprobeDirs,
  args: Pick<ModprobeArgs, 'name' | 'params' | 'persistent'>,
  loadFiles: ConfFile[],
  optionFiles: ConfFile[],
): ConfWrite[] {
  const n = escapeRegex(args.name);
  const moduleLine = new RegExp(`^ *${n} *(?:[#;].*)?$`);
  const optionLine = new RegExp(`^options ${n} (\\w+=\\S+) *(?:[#;].*)?$`);
  const listed = loadFiles.some((f) => f.lines.some((l) => moduleLine.test(l)));
  const current = new Set(optionFiles.flatMap((f) => f.lines.flatMap((l) => optionLine.exec(l)?.[1] ?? [])));
  const wanted = new Set(args.params.split(/\s+/).filter(Boolean));
  const paramsSet = current.size === wanted.size && [...wanted].every((p) => current.has(p));

  const writes = new Map<string, ConfWrite>();
  const commentOut = (files: ConfFile[], re: RegExp) => {
    for (const f of files) {
      if (!f.lines.some((l) => re.test(l))) continue;
      writes.set(f.path, { path: f.path, before: joinLines(f.lines), after: joinLines(f.lines.map((l) => (re.test(l) ? '#' + l : l))) });
    }
  };
  const replace = (files: ConfFile[], path: string, after: string) => {
    const before = writes.get(path)?.before ?? joinLines(files.find((f) => f.path === path)?.lines ?? []);
    if (before !== after) writes.set(path, { path, before, after });
  };

  if (args.persistent === 'present') {
    if (!listed) replace(loadFiles, `${dirs.modulesLoad}/${args.name}.conf`, `${args.name}\n`);
    if (!paramsSet) {
      commentOut(optionFiles, optionLine);
      replace(optionFiles, `${dirs.modprobe}/${args.name}.conf`, joinLines([...wanted].map((p) => `options ${args.name} ${p}`)));
    }
  } else if (args.persistent === 'absent') {
    commentOut(loadFiles, moduleLine);
    commentOut(optionFiles, optionLine);
  }
  return [...writes.values()];
}

const FILE_MARK = '\u0001';

/** Every file of both directories in one exec, each introduced by a marker line naming it. */
function listingScript(dirs: ModprobeDirs): string {
  return [dirs.modulesLoad, dirs.modprobe]
    .map((d) => `for f in ${shellQuote(d)}/*; do [ -f "$f" ] || continue; printf '\\001%s\\n' "$f"; cat -- "$f"; echo; done`)
    .join('\n');
}

function parseListing(stdout: string): ConfFile[] {
  const files: ConfFile[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith(FILE_MARK)) files.push({ path: line.slice(1), lines: [] });
    else files[files.length - 1]?.lines.push(line);
  }
  // Drop the blank line the listing adds after each file (and a file's own final empty line).
  for (const f of files) while (f.lines.length && f.lines[f.lines.length - 1] === '') f.lines.pop();
  return files;
}

async function ensurePersistence(ctx: ModuleContext, dirs: ModprobeDirs, args: ModprobeArgs): Promise<ConfWrite[]> {
  const files = parseListing(await execOrThrow(ctx, listingScript(dirs), 'reading module configuration'));
  const inDir = (dir: string) => files.filter((f) => f.path.startsWith(`${dir}/`));
  const writes = planPersistence(dirs, args, inDir(dirs.modulesLoad), inDir(dirs.modprobe));
  if (!ctx.check) {
    for (const w of writes) await ctx.conn.put(w.path, Buffer.from(w.after), { become: ctx.become });
  }
  return writes;
}

async function runModprobe(dirs: ModprobeDirs, args: ModprobeArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const probe = await execOrThrow(ctx, loadedScript(args.name), 'checking loaded modules');
  const loaded = probe.trim() === 'loaded';
  const loadChange = args.state === 'present' ? !loaded : loaded;
  if (loadChange && !ctx.check) {
    const command =
      args.state === 'present'
        ? ['modprobe', '--', args.name, ...shlexSplit(args.params)].map(shellQuote).join(' ')
        : `modprobe -r -- ${shellQuote(args.name)}`;
    const r = await ctx.conn.exec(command, { become: ctx.become });
    if (r.rc !== 0) return failure(r.stderr.trim() || `modprobe failed (rc=${r.rc})`, { rc: r.rc, name: args.name });
  }
  const writes = args.persistent === 'disabled' ? [] : await ensurePersistence(ctx, dirs, args);
  const diff: FileDiff[] = ctx.diff ? writes : [];
  return {
    changed: loadChange || writes.length > 0,
    name: args.name,
    state: args.state,
    params: args.params,
    ...(diff.length ? { diff } : {}),
  };
}

/** The modprobe module, writing persistence under `dirs` (the system's directories in the registry). */
export function createModprobeModule(dirs: ModprobeDirs = SYSTEM_DIRS): ModuleDefinition<ModprobeArgs> {
  return {
    name: 'modprobe',
    aliases: ['community.general.modprobe'],
    schema: {
      name: { type: 'str', required: true },
      state: { type: 'str', default: 'present', choices: ['present', 'absent'] },
      params: { type: 'str', default: '' },
      persistent: { type: 'str', default: 'disabled', choices: ['present', 'absent', 'disabled'] },
    },
    validate(args) {
      if (!/^[A-Za-z0-9_-]+$/.test(args.name)) return `module name '${args.name}' may hold only letters, digits, '_' and '-'`;
      if (args.state === 'absent' && args.persistent === 'present') return 'state=absent cannot be combined with persistent=present';
      try {
        shlexSplit(args.params);
        return /[\n]/.test(args.params) ? 'params must be on one line' : undefined;
      } catch (e) {
        return `cannot split params: ${(e as Error).message}`;
      }
    },
    run: (args, ctx) => failOnError(() => runModprobe(dirs, args, ctx)),
  };
}

export const modprobeModule = createModprobeModule();
