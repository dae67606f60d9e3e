import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { normalizeMode } from './mode.js';
import { applyFile, DIFF_CONTENT_LIMIT, probeRemoteFile, resolvedAttributes, sha1Hex, type FileAttributes } from './remote-file.js';
import { withoutUndefined } from './result.js';
import type { ModuleContext, ModuleResult, ModuleSchema } from './types.js';

/** mode/owner/group, as every module writing files takes them. */
export const FILE_ATTRIBUTE_OPTIONS: ModuleSchema = {
  mode: { type: 'raw' },
  owner: { type: 'str' },
  group: { type: 'str' },
};

/** The options every module that uploads a whole file (copy, template) takes. */
export const DELIVER_OPTIONS: ModuleSchema = {
  ...FILE_ATTRIBUTE_OPTIONS,
  dest: { type: 'path', required: true },
  backup: { type: 'bool', default: false },
  force: { type: 'bool', default: true, aliases: ['thirsty'] },
  validate: { type: 'str' },
};

/** A file the task names on the controller (role files/ or templates/ first), read whole. */
export interface ControllerFile {
  path: string;
  content: Buffer;
  /** Permission bits, for copy's `mode: preserve`. */
  mode: number;
}

/** Finds a file or directory the task names on the controller, failing the way Ansible words it. */
export async function locateControllerFile(ctx: ModuleContext, kind: 'files' | 'templates', name: string): Promise<{ path: string; info: Stats }> {
  const path = ctx.findFile(kind, name);
  try {
    return { path, info: await stat(path) };
  } catch {
    throw new Error(`Could not find or access '${name}' on the controller (looked for ${path})`);
  }
}

/** Reads a single controller file whole. */
export async function readControllerFile(ctx: ModuleContext, kind: 'files' | 'templates', name: string): Promise<ControllerFile> {
  const { path, info } = await locateControllerFile(ctx, kind, name);
  if (info.isDirectory()) throw new Error(`src ${name} is a directory (${path}); a ${kind === 'templates' ? 'template' : 'file'} was expected`);
  return { path, content: await readFile(path), mode: info.mode & 0o7777 };
}

/** `validate` runs on the new file before it replaces the old one, so it must name it with %s. */
export function validateProblem(validate: string | undefined): string | undefined {
  return validate !== undefined && !validate.includes('%s') ? `validate must contain %s (the new file); got '${validate}'` : undefined;
}

export function fileAttributes(args: { mode?: unknown; owner?: string; group?: string }): FileAttributes {
  return { mode: normalizeMode(args.mode), owner: args.owner || undefined, group: args.group || undefined };
}

export type DeliverArgs = {
  dest: string;
  mode?: unknown;
  owner?: string;
  group?: string;
  backup: boolean;
  force: boolean;
  validate?: string;
};

/**
 * Puts `content` at `dest` on the target unless it is already there: one probe, then at most one upload
 * or one chmod/chown. `baseName` is used when dest names a directory (copy's `dest: /etc/`).
 */
export async function deliverContent(
  ctx: ModuleContext,
  args: DeliverArgs,
  content: Buffer,
  baseName?: string,
): Promise<ModuleResult> {
  const intoDirectory = baseName !== undefined && !args.dest.endsWith('/') ? baseName : undefined;
  const dest = baseName !== undefined && args.dest.endsWith('/') ? args.dest + baseName : args.dest;
  const attributes = fileAttributes(args);
  const state = await probeRemoteFile(ctx, dest, {
    intoDirectory,
    contentLimit: ctx.diff ? DIFF_CONTENT_LIMIT : 0,
  });
  if (state.type === 'directory') {
    return { changed: false, failed: true, msg: `dest ${state.path} is a directory`, dest: state.path };
  }
  // force: no keeps an existing file's content: only a missing file is written.
  const wanted = args.force || state.type === 'absent' ? content : undefined;
  const change = await applyFile(ctx, state, wanted, attributes, { backup: args.backup, validate: args.validate });
  return withoutUndefined({
    changed: change.changed,
    dest: state.path,
    checksum: wanted ? sha1Hex(content) : state.checksum,
    size: wanted ? content.length : state.size,
    mode: resolvedAttributes(state, attributes).mode ?? state.mode,
    owner: attributes.owner ?? state.owner,
    group: attributes.group ?? state.group,
    backup_file: change.backupFile,
    diff: change.diff ? [change.diff] : undefined,
  });
}
