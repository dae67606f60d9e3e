import { shellQuote } from '../connection/shell.js';
import { applyFile, execOrThrow, probeRemoteFile, type FileChange } from './remote-file.js';
import { failOnError, failure } from './result.js';
import { shlexSplit } from './shlex.js';
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

/** The two files `persistent: present` maintains (Ansible 2.13+ layout); no options file without params. */
export function persistenceFiles(dirs: ModprobeDirs, name: string, params: string): { path: string; content?: string }[] {
  return [
    { path: `${dirs.modulesLoad}/${name}.conf`, content: `${name}\n` },
    { path: `${dirs.modprobe}/${name}.conf`, content: params.trim() ? `options ${name} ${params.trim()}\n` : undefined },
  ];
}

async function ensurePersistence(ctx: ModuleContext, dirs: ModprobeDirs, args: ModprobeArgs): Promise<FileChange[]> {
  const changes: FileChange[] = [];
  for (const file of persistenceFiles(dirs, args.name, args.params)) {
    const state = await probeRemoteFile(ctx, file.path, { contentLimit: ctx.diff ? 65536 : 0 });
    const wanted = args.persistent === 'present' ? file.content : undefined;
    if (wanted !== undefined) {
      changes.push(await applyFile(ctx, state, Buffer.from(wanted), {}));
    } else if (state.type !== 'absent') {
      if (!ctx.check) await execOrThrow(ctx, `rm -f -- ${shellQuote(file.path)}`, `removing ${file.path}`);
      const before = state.content?.toString('utf8') ?? '';
      changes.push({ changed: true, contentChanged: true, ...(ctx.diff ? { diff: { path: file.path, before, after: '' } } : {}) });
    }
  }
  return changes;
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
  const files = args.persistent === 'disabled' ? [] : await ensurePersistence(ctx, dirs, args);
  const diff = files.flatMap((f): FileDiff[] => (f.diff ? [f.diff] : []));
  return {
    changed: loadChange || files.some((f) => f.changed),
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
