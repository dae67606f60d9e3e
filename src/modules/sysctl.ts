import { shellQuote } from '../connection/shell.js';
import { applyFile, execOrThrow, probeRemoteFile } from './remote-file.js';
import { failOnError, failure } from './result.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from './types.js';

type SysctlArgs = {
  name: string;
  value?: unknown;
  state: 'present' | 'absent';
  sysctl_file: string;
  reload: boolean;
  sysctl_set: boolean;
  ignoreerrors: boolean;
};

const TRUE_WORDS = new Set(['yes', 'on', 'true', 'y', 't', '1']);
const FALSE_WORDS = new Set(['no', 'off', 'false', 'n', 'f', '0']);

/** Ansible writes booleans as 1/0 and trims the rest. */
export function sysctlValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  const text = String(value).trim();
  if (TRUE_WORDS.has(text.toLowerCase())) return '1';
  if (FALSE_WORDS.has(text.toLowerCase())) return '0';
  return text;
}

/** '4096 87380' and '4096\t87380' are the same setting. */
const sameValue = (a: string, b: string) => a.split(/\s+/).join(' ') === b.split(/\s+/).join(' ');

const isSetting = (line: string) => {
  const t = line.trim();
  return t !== '' && !t.startsWith('#') && !t.startsWith(';') && t.includes('=');
};

function splitSetting(line: string): [string, string] {
  const t = line.trim();
  const eq = t.indexOf('=');
  return [t.slice(0, eq).trim(), t.slice(eq + 1).trim()];
}

/** The value a sysctl file gives `name` (the last one wins, as sysctl -p applies them in order). */
export function fileValue(content: string, name: string): string | undefined {
  let value: string | undefined;
  for (const line of content.split('\n')) {
    if (!isSetting(line)) continue;
    const [k, v] = splitSetting(line);
    if (k === name) value = v;
  }
  return value;
}

/**
 * The file as Ansible rewrites it: comments kept, every setting written `k=v` once (first occurrence),
 * `name` set to `value` (or dropped with state=absent), appended if it was not there.
 */
export function rewriteSysctlFile(content: string, name: string, value: string, state: 'present' | 'absent'): string {
  const seen = new Set<string>();
  const out: string[] = [];
  const lines = content === '' ? [] : content.replace(/\n$/, '').split('\n');
  for (const line of lines) {
    if (!isSetting(line)) {
      out.push(line);
      continue;
    }
    const [k, v] = splitSetting(line);
    if (seen.has(k)) continue;
    seen.add(k);
    if (k !== name) out.push(`${k}=${v}`);
    else if (state === 'present') out.push(`${k}=${value}`);
  }
  if (!seen.has(name) && state === 'present') out.push(`${name}=${value}`);
  return out.map((l) => l + '\n').join('');
}

async function kernelValue(ctx: ModuleContext, name: string): Promise<string | undefined> {
  const r = await ctx.conn.exec(`sysctl -e -n ${shellQuote(name)}`, { become: ctx.become });
  return r.rc === 0 && r.stdout !== '' ? r.stdout.replace(/\n$/, '') : undefined;
}

async function runSysctl(args: SysctlArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const value = sysctlValue(args.value);
  const file = await probeRemoteFile(ctx, args.sysctl_file, { contentLimit: 4 * 1024 * 1024, follow: true });
  if (file.type !== 'file' && file.type !== 'absent') return failure(`${args.sysctl_file} is not a regular file`);
  const content = file.content?.toString('utf8') ?? '';
  const inFile = fileValue(content, args.name);
  const current = await kernelValue(ctx, args.name);

  // Ansible's order of questions: does the file need writing, else does the kernel disagree (reload fixes it)?
  let writeFile = false;
  let changed = false;
  if (args.state === 'present' ? inFile !== value : inFile !== undefined) {
    writeFile = true;
    changed = true;
  } else if (args.reload && args.state === 'present') {
    changed = current === undefined || !sameValue(current, value);
  }
  const setKernel = args.sysctl_set && args.state === 'present' && (current === undefined || !sameValue(current, value));
  if (setKernel) changed = true;

  const result: ModuleResult = { changed, name: args.name, ...(args.state === 'present' ? { value } : {}) };
  if (ctx.check || !changed) {
    if (writeFile && ctx.diff) {
      result.diff = [{ path: args.sysctl_file, before: content, after: rewriteSysctlFile(content, args.name, value, args.state) }];
    }
    return result;
  }
  const e = args.ignoreerrors ? '-e ' : '';
  if (setKernel) await execOrThrow(ctx, `sysctl ${e}-w ${shellQuote(`${args.name}=${value}`)}`, `setting ${args.name}`);
  if (writeFile) {
    const target = file.linkSource ? { ...file, path: file.linkSource } : file;
    const change = await applyFile(ctx, target, Buffer.from(rewriteSysctlFile(content, args.name, value, args.state)), {});
    if (change.diff) result.diff = [change.diff];
  }
  if (args.reload) await execOrThrow(ctx, `sysctl ${e}-p ${shellQuote(args.sysctl_file)}`, `reloading ${args.sysctl_file}`);
  return result;
}

export const sysctlModule: ModuleDefinition<SysctlArgs> = {
  name: 'sysctl',
  schema: {
    name: { type: 'str', required: true, aliases: ['key'] },
    value: { type: 'raw', aliases: ['val'] },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'] },
    sysctl_file: { type: 'path', default: '/etc/sysctl.conf' },
    reload: { type: 'bool', default: true },
    sysctl_set: { type: 'bool', default: false },
    ignoreerrors: { type: 'bool', default: false },
  },
  validate(args) {
    if (args.state === 'present' && (args.value === undefined || args.value === null || sysctlValue(args.value) === '')) {
      return 'value is required with state=present';
    }
    return /\s/.test(args.name.trim()) ? `sysctl name '${args.name}' must not contain spaces` : undefined;
  },
  run: (args, ctx) => failOnError(() => runSysctl({ ...args, name: args.name.trim() }, ctx)),
};
