import { shellQuote } from '../connection/shell.js';
import { FILE_ATTRIBUTE_OPTIONS, fileAttributes } from './deliver.js';
import { modeProblem } from './mode.js';
import {
  attributeChanges,
  attributeCommand,
  execOrThrow,
  probeRemoteFile,
  resolvedAttributes,
  type FileAttributes,
  type RemoteFileState,
} from './remote-file.js';
import { failOnError, failure, withoutUndefined } from './result.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from './types.js';

const STATES = ['file', 'directory', 'absent', 'link', 'touch', 'hard'] as const;
type FileState = (typeof STATES)[number];

type FileArgs = {
  path: string;
  state?: FileState;
  src?: string;
  mode?: unknown;
  owner?: string;
  group?: string;
  recurse: boolean;
  force: boolean;
};

/** What the module decided: the commands that get the target there and how the change reads in --diff. */
interface Plan {
  commands: string[];
  changes: string[];
}

function defaultState(current: RemoteFileState, args: FileArgs): FileState {
  if (args.recurse) return 'directory';
  if (current.type === 'directory') return 'directory';
  if (current.type === 'link' && args.src !== undefined) return 'link';
  return 'file';
}

/** chmod/chown when they differ; with `recurse`, anything below that differs counts too. */
async function attributePlan(ctx: ModuleContext, current: RemoteFileState, wanted: FileAttributes, recurse: boolean): Promise<Plan> {
  const changes = attributeChanges(current, wanted);
  if (recurse && changes.length === 0 && (wanted.mode || wanted.owner || wanted.group)) {
    const tests: string[] = [];
    if (wanted.mode) tests.push(`! -perm ${shellQuote(wanted.mode)}`);
    if (wanted.owner) tests.push(`! -user ${shellQuote(wanted.owner)}`);
    if (wanted.group) tests.push(`! -group ${shellQuote(wanted.group)}`);
    const out = await execOrThrow(ctx, `find ${shellQuote(current.path)} \\( ${tests.join(' -o ')} \\) -print -quit`, 'find');
    if (out.trim()) changes.push(`attributes below ${current.path}`);
  }
  return { commands: changes.length ? [attributeCommand(current.path, wanted, { recurse, link: current.type === 'link' })] : [], changes };
}

const withState = (from: string, to: string, plan: Plan, command: string): Plan => ({
  commands: [command, ...plan.commands],
  changes: [`state ${from} -> ${to}`, ...plan.changes],
});

async function planFor(ctx: ModuleContext, state: FileState, current: RemoteFileState, args: FileArgs): Promise<Plan | string> {
  const p = shellQuote(args.path);
  const wanted = resolvedAttributes(current, fileAttributes(args), state === 'directory');
  switch (state) {
    case 'absent':
      if (current.type === 'absent') return { commands: [], changes: [] };
      return { commands: [`rm -rf -- ${p}`], changes: [`state ${current.type} -> absent`] };
    case 'file':
      if (current.type === 'absent') return `file (${args.path}) is absent, cannot continue`;
      if (current.type === 'directory') return `file (${args.path}) is a directory, cannot continue`;
      return attributePlan(ctx, current, wanted, false);
    case 'directory':
      if (current.type === 'absent') {
        const set = attributeCommand(args.path, wanted);
        return { commands: [`mkdir -p -- ${p}`, ...(set ? [set] : [])], changes: ['state absent -> directory'] };
      }
      if (current.type !== 'directory') return `${args.path} already exists as a ${current.type}`;
      return attributePlan(ctx, current, wanted, args.recurse);
    case 'touch': {
      const set = attributeCommand(args.path, wanted);
      // Ansible counts every touch as a change: the timestamps always move.
      return { commands: [`touch -- ${p}`, ...(set ? [set] : [])], changes: [current.type === 'absent' ? 'state absent -> file' : 'timestamps'] };
    }
    case 'link':
    case 'hard':
      return linkPlan(ctx, state, current, args, wanted);
  }
}

async function linkPlan(
  ctx: ModuleContext,
  state: 'link' | 'hard',
  current: RemoteFileState,
  args: FileArgs,
  wanted: FileAttributes,
): Promise<Plan | string> {
  const src = args.src!;
  const p = shellQuote(args.path);
  const already =
    state === 'link'
      ? current.type === 'link' && current.linkTarget === src
      : current.type !== 'absent' && (await sameInode(ctx, src, args.path));
  if (already) return attributePlan(ctx, current, wanted, false);
  if (current.type === 'directory') return `refusing to replace directory ${args.path} with a ${state} link`;
  if (current.type !== 'absent' && current.type !== 'link' && !args.force) {
    return `refusing to convert from ${current.type} to ${state} link for ${args.path}; use force: true`;
  }
  const ln = state === 'link' ? `ln -sfn -- ${shellQuote(src)} ${p}` : `ln -f -- ${shellQuote(src)} ${p}`;
  const set = attributeCommand(args.path, wanted, { link: state === 'link' });
  return withState(current.type, state, { commands: set ? [set] : [], changes: [] }, ln);
}

async function sameInode(ctx: ModuleContext, a: string, b: string): Promise<boolean> {
  const out = await execOrThrow(ctx, `if [ ${shellQuote(a)} -ef ${shellQuote(b)} ]; then echo same; fi`, 'comparing links');
  return out.trim() === 'same';
}

async function runFile(args: FileArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const followTarget = args.state !== 'link' && args.state !== 'hard' && args.state !== 'absent';
  const current = await probeRemoteFile(ctx, args.path, { checksum: 'none', follow: followTarget });
  const state = args.state ?? defaultState(current, args);
  const plan = await planFor(ctx, state, current, args);
  if (typeof plan === 'string') return failure(plan, { path: args.path, state });
  const changed = plan.commands.length > 0;
  if (changed && !ctx.check) await execOrThrow(ctx, plan.commands.join(' && '), `file ${state} ${args.path}`);
  const wanted = resolvedAttributes(current, fileAttributes(args), state === 'directory');
  return withoutUndefined({
    changed,
    path: args.path,
    state,
    mode: wanted.mode ?? current.mode,
    src: args.src,
    diff: changed && ctx.diff ? [{ path: args.path, before: '', after: '', attributes: plan.changes }] : undefined,
  });
}

export const fileModule: ModuleDefinition<FileArgs> = {
  name: 'file',
  schema: {
    ...FILE_ATTRIBUTE_OPTIONS,
    path: { type: 'path', required: true, aliases: ['dest', 'name'] },
    state: { type: 'str', choices: STATES },
    src: { type: 'path' },
    recurse: { type: 'bool', default: false },
    force: { type: 'bool', default: false },
  },
  validate(args) {
    if ((args.state === 'link' || args.state === 'hard') && args.src === undefined) return `src is required with state=${args.state}`;
    if (args.recurse && args.state !== undefined && args.state !== 'directory') return 'recurse needs state=directory';
    if (args.recurse && typeof args.mode === 'string' && /[a-zA-Z]/.test(args.mode) && !args.mode.includes('{{')) {
      return 'recurse needs an octal mode: a symbolic mode means something different for each file below';
    }
    return modeProblem(args.mode);
  },
  run: (args, ctx) => failOnError(() => runFile(args, ctx)),
};
