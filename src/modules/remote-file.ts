import { createHash } from 'node:crypto';
import { shellQuote } from '../connection/shell.js';
import { resolveMode } from './mode.js';
import type { FileDiff, ModuleContext } from './types.js';

export type RemoteFileType = 'absent' | 'file' | 'directory' | 'link' | 'other';

/** What one probe learns about a path on the target. */
export interface RemoteFileState {
  /** The probed path: `path/NAME` when `intoDirectory` applied. */
  path: string;
  type: RemoteFileType;
  /** Four octal digits, e.g. '0644'. */
  mode?: string;
  uid?: number;
  gid?: number;
  owner?: string;
  group?: string;
  size?: number;
  /** Seconds since the epoch. */
  mtime?: number;
  /** Hex digest of a regular file's content, by the requested algorithm. */
  checksum?: string;
  /** What a symlink points to, as written. */
  linkTarget?: string;
  /** A symlink's target resolved to an absolute path. */
  linkSource?: string;
  /** The content, when asked for and not larger than the limit. */
  content?: Buffer;
  /** Content was asked for but the file is larger than the limit. */
  contentTooLarge?: boolean;
}

export interface ProbeOptions {
  /** Fetch the content of a regular file up to this many bytes (0: never). */
  contentLimit?: number;
  checksum?: 'sha1' | 'sha256' | 'none';
  /** Describe what a symlink points to instead of the link itself. */
  follow?: boolean;
  /** When the path is a directory, probe this entry inside it instead (copy's `dest: /etc/`). */
  intoDirectory?: string;
}

/** Enough of a file's old content for --diff without pulling huge files over the wire. */
export const DIFF_CONTENT_LIMIT = 1024 * 1024;

const CONTENT_MARK = '--play-content--';

function probeScript(path: string, options: ProbeOptions): string {
  const statFlag = options.follow ? '-L ' : '';
  const lines = [`p=${shellQuote(path)}`];
  if (options.intoDirectory !== undefined) {
    lines.push(`if [ -d "$p" ]; then p="$p"/${shellQuote(options.intoDirectory)}; echo into=1; fi`);
  }
  const linkTest = options.follow ? '' : 'if [ -L "$p" ]; then t=link; el';
  lines.push(
    `${linkTest}if [ -d "$p" ]; then t=directory; elif [ -f "$p" ]; then t=file;` +
      ` elif [ -e "$p" ] || [ -L "$p" ]; then t=other; else echo type=absent; exit 0; fi`,
    'echo "type=$t"',
    `stat ${statFlag}--printf 'mode=%a\\nuid=%u\\ngid=%g\\nowner=%U\\ngroup=%G\\nsize=%s\\nmtime=%Y\\n' -- "$p"`,
    `if [ -L "$p" ]; then printf 'target=%s\\nsource=%s\\n' "$(readlink -- "$p")" "$(readlink -f -- "$p")"; fi`,
  );
  const algorithm = options.checksum ?? 'sha1';
  if (algorithm !== 'none') {
    // `HASH  -` from the tool itself: no subshell and no cut on the host; the parser keeps the hash.
    lines.push(`if [ "$t" = file ] && [ -r "$p" ]; then printf 'checksum='; ${algorithm}sum < "$p" || echo; fi`);
  }
  const limit = options.contentLimit ?? 0;
  if (limit > 0) {
    lines.push(
      `if [ "$t" = file ]; then if [ "$(stat -L -c %s -- "$p")" -le ${limit} ]; then` +
        ` echo ${CONTENT_MARK}; base64 < "$p"; else echo too_large=1; fi; fi`,
    );
  }
  return lines.join('\n');
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

function parseProbe(path: string, options: ProbeOptions, stdout: string): RemoteFileState {
  const markAt = stdout.indexOf(`${CONTENT_MARK}\n`);
  const head = markAt < 0 ? stdout : stdout.slice(0, markAt);
  const fields = new Map<string, string>();
  for (const line of head.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const probed = fields.has('into') ? joinPath(path, options.intoDirectory!) : path;
  const type = (fields.get('type') ?? 'absent') as RemoteFileType;
  const state: RemoteFileState = { path: probed, type };
  if (type === 'absent') return state;
  const num = (key: string) => (fields.has(key) ? Number(fields.get(key)) : undefined);
  state.mode = fields.get('mode')?.padStart(4, '0');
  state.uid = num('uid');
  state.gid = num('gid');
  state.owner = fields.get('owner');
  state.group = fields.get('group');
  state.size = num('size');
  state.mtime = num('mtime');
  state.checksum = fields.get('checksum')?.split(' ')[0] || undefined;
  state.linkTarget = fields.get('target');
  state.linkSource = fields.get('source');
  if (markAt >= 0) state.content = Buffer.from(stdout.slice(markAt + CONTENT_MARK.length + 1), 'base64');
  if (fields.has('too_large')) state.contentTooLarge = true;
  return state;
}

/** Learns a path's type, mode, owner, checksum (and, if asked, content) in one exec. */
export async function probeRemoteFile(ctx: ModuleContext, path: string, options: ProbeOptions = {}): Promise<RemoteFileState> {
  const result = await ctx.conn.exec(probeScript(path, options), { become: ctx.become });
  if (result.rc !== 0) {
    throw new Error(`cannot inspect ${path} (rc=${result.rc}): ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return parseProbe(path, options, result.stdout);
}

export function sha1Hex(content: Buffer | string): string {
  return createHash('sha1').update(content).digest('hex');
}

/** Mode, owner and group as a task asks for them; undefined means "leave as it is". */
export interface FileAttributes {
  mode?: string;
  owner?: string;
  group?: string;
}

/** `wanted` with a symbolic mode turned into the octal mode it gives this file. */
export function resolvedAttributes(state: RemoteFileState, wanted: FileAttributes, isDir = state.type === 'directory'): FileAttributes {
  if (!wanted.mode) return wanted;
  return { ...wanted, mode: resolveMode(wanted.mode, state.type === 'absent' ? undefined : state.mode, isDir) };
}

/** Compares a name or numeric id the user gave with what the probe saw. */
function sameIdentity(wanted: string, name: string | undefined, id: number | undefined): boolean {
  return /^\d+$/.test(wanted) ? Number(wanted) === id : wanted === name;
}

/** The attribute differences between the target and the wish, as "mode 0644 -> 0600" lines. */
export function attributeChanges(state: RemoteFileState, wanted: FileAttributes): string[] {
  if (state.type === 'absent') return [];
  const changes: string[] = [];
  const mode = resolvedAttributes(state, wanted).mode;
  if (mode && mode !== state.mode && state.type !== 'link') changes.push(`mode ${state.mode} -> ${mode}`);
  if (wanted.owner && !sameIdentity(wanted.owner, state.owner, state.uid)) {
    changes.push(`owner ${state.owner} -> ${wanted.owner}`);
  }
  if (wanted.group && !sameIdentity(wanted.group, state.group, state.gid)) {
    changes.push(`group ${state.group} -> ${wanted.group}`);
  }
  return changes;
}

export interface AttributeScope {
  /** Apply to everything below a directory too. */
  recurse?: boolean;
  /** The path is a symlink being managed itself: change the link's owner, not its target's. */
  link?: boolean;
}

/** chown/chmod for `path`, in one command line. */
export function attributeCommand(path: string, wanted: FileAttributes, scope: AttributeScope = {}): string {
  const p = shellQuote(path);
  const r = scope.recurse ? '-R ' : '';
  const parts: string[] = [];
  if (wanted.owner || wanted.group) {
    const who = `${wanted.owner ?? ''}${wanted.group ? ':' + wanted.group : ''}`;
    parts.push(`chown ${r}${scope.link ? '-h ' : ''}${shellQuote(who)} -- ${p}`);
  }
  // A symlink has no mode of its own: chmod would change its target.
  if (wanted.mode && !scope.link) parts.push(`chmod ${r}${shellQuote(wanted.mode)} -- ${p}`);
  return parts.join(' && ');
}

/** Runs a command on the target for a module, failing loudly with its output. */
export async function execOrThrow(ctx: ModuleContext, command: string, what: string): Promise<string> {
  const result = await ctx.conn.exec(command, { become: ctx.become });
  if (result.rc !== 0) {
    throw new Error(`${what} failed (rc=${result.rc}): ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result.stdout;
}

export interface WriteOptions {
  backup?: boolean;
  /** Command checking the new file before it replaces the old one; `%s` is the new file. */
  validate?: string;
}

export interface FileChange {
  changed: boolean;
  diff?: FileDiff;
  backupFile?: string;
}

function printable(content: Buffer): string | undefined {
  return content.includes(0) ? undefined : content.toString('utf8');
}

function diffBefore(state: RemoteFileState): string {
  if (state.type === 'absent') return '';
  if (state.content) return printable(state.content) ?? '[binary content]';
  return state.contentTooLarge ? '[content too large to show]' : '';
}

/**
 * Brings a probed file to the wished content and attributes: one atomic `put` when the content differs,
 * else one chown/chmod exec when only attributes differ, else nothing. With `ctx.check` it only reports.
 * `content` undefined leaves the content alone (attributes only).
 */
export async function applyFile(
  ctx: ModuleContext,
  state: RemoteFileState,
  content: Buffer | undefined,
  wanted: FileAttributes,
  options: WriteOptions = {},
): Promise<FileChange> {
  if (state.type === 'directory') throw new Error(`${state.path} is a directory`);
  wanted = resolvedAttributes(state, wanted);
  const contentChanged = content !== undefined && (state.type === 'absent' || state.checksum !== sha1Hex(content));
  const attributes = attributeChanges(state, wanted);
  const change: FileChange = { changed: contentChanged || attributes.length > 0 };
  if (!change.changed) return change;
  if (!ctx.check) {
    if (contentChanged) {
      const put = await ctx.conn.put(state.path, content, { ...wanted, ...options, become: ctx.become });
      change.backupFile = put.backupFile;
    } else {
      await execOrThrow(ctx, attributeCommand(state.path, wanted), `setting attributes of ${state.path}`);
    }
  }
  if (ctx.diff) {
    const before = diffBefore(state);
    const after = contentChanged ? (printable(content) ?? '[binary content]') : before;
    change.diff = { path: state.path, before, after, ...(attributes.length ? { attributes } : {}) };
  }
  return change;
}
