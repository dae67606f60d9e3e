import { shellQuote } from '../connection/shell.js';
import type { ModuleContext, ModuleResult, ModuleSchema } from './types.js';

/** Options command and shell share. */
export const COMMAND_OPTIONS: ModuleSchema = {
  cmd: { type: 'str', aliases: ['_raw_params'] },
  chdir: { type: 'path' },
  creates: { type: 'path' },
  removes: { type: 'path' },
  stdin: { type: 'str' },
  stdin_add_newline: { type: 'bool', default: true },
  strip_empty_ends: { type: 'bool', default: true },
};

/** The values of COMMAND_OPTIONS once validated. */
export type CommandOptions = {
  cmd?: string;
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline: boolean;
  strip_empty_ends: boolean;
};

export interface CommandSpec extends Omit<CommandOptions, 'cmd'> {
  /** The shell line actually executed; every user word in it already quoted. */
  line: string;
  /** What the result reports as `cmd` (argv list for command, the text for shell). */
  cmd: string | string[];
}

/**
 * Whether `creates`/`removes` tell us to leave the command alone, decided on the target. Patterns are
 * globbed like Ansible's glob.glob, but never otherwise expanded: with IFS empty an unquoted `$c`
 * is only pathname-expanded, so `$(...)` or `;` in a pattern stay plain characters.
 */
function guardScript(creates: string | undefined, removes: string | undefined): string {
  const anyExists = (v: string) => `for f in $${v}; do if [ -e "$f" ] || [ -L "$f" ]; then e=1; break; fi; done`;
  const lines = ['IFS='];
  if (creates !== undefined) lines.push(`c=${shellQuote(creates)}`, 'e=', anyExists('c'), '[ -n "$e" ] && echo creates');
  if (removes !== undefined) lines.push(`r=${shellQuote(removes)}`, 'e=', anyExists('r'), '[ -z "$e" ] && echo removes');
  lines.push('exit 0');
  return lines.join('\n');
}

/** Why creates/removes leave the command alone, as Ansible words it (msg quotes the path, stdout does not). */
interface SkipReason {
  path: string;
  condition: 'exists' | 'does not exist';
}

async function guardVerdict(ctx: ModuleContext, spec: CommandSpec): Promise<SkipReason | undefined> {
  if (spec.creates === undefined && spec.removes === undefined) return undefined;
  const result = await ctx.conn.exec(guardScript(spec.creates, spec.removes), { cwd: spec.chdir, become: ctx.become });
  if (result.rc !== 0) throw new Error(`checking creates/removes failed: ${result.stderr.trim()}`);
  const verdict = result.stdout.split('\n');
  if (verdict.includes('creates')) return { path: spec.creates!, condition: 'exists' };
  if (verdict.includes('removes')) return { path: spec.removes!, condition: 'does not exist' };
  return undefined;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Ansible's timestamp format: '2024-05-01 12:00:00.123000'. */
export function formatTimestamp(date: Date): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}000`
  );
}

/** Python's str(timedelta): '0:00:01.250000'. */
export function formatDelta(ms: number): string {
  const totalSeconds = Math.floor(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  return `${hours}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}.${pad(ms % 1000, 3)}000`;
}

function output(text: string, strip: boolean): { text: string; lines: string[] } {
  const t = strip ? text.replace(/[\r\n]+$/, '') : text;
  return { text: t, lines: t === '' ? [] : t.split(/\r?\n/) };
}

/** Runs command/shell with creates/removes, chdir, stdin and check mode, returning Ansible's keys. */
export async function runCommand(ctx: ModuleContext, spec: CommandSpec): Promise<ModuleResult> {
  const skip = await guardVerdict(ctx, spec);
  if (skip !== undefined) {
    const stdout = `skipped, since ${skip.path} ${skip.condition}`;
    return {
      changed: false,
      cmd: spec.cmd,
      rc: 0,
      stdout,
      stderr: '',
      stdout_lines: [stdout],
      stderr_lines: [],
      msg: `${ctx.check ? 'Would not' : 'Did not'} run command since '${skip.path}' ${skip.condition}`,
    };
  }
  if (ctx.check) {
    // Only creates/removes make check mode meaningful; without them the command is skipped.
    const guarded = spec.creates !== undefined || spec.removes !== undefined;
    return { changed: guarded, skipped: !guarded, cmd: spec.cmd, msg: 'Command would have run if not in check mode' };
  }
  const stdin = spec.stdin === undefined ? undefined : spec.stdin + (spec.stdin_add_newline ? '\n' : '');
  const start = new Date();
  const result = await ctx.conn.exec(spec.line, { cwd: spec.chdir, stdin, become: ctx.become });
  const end = new Date();
  const stdout = output(result.stdout, spec.strip_empty_ends);
  const stderr = output(result.stderr, spec.strip_empty_ends);
  return {
    changed: true,
    ...(result.rc !== 0 ? { failed: true, msg: 'non-zero return code' } : { msg: '' }),
    cmd: spec.cmd,
    rc: result.rc,
    stdout: stdout.text,
    stderr: stderr.text,
    stdout_lines: stdout.lines,
    stderr_lines: stderr.lines,
    start: formatTimestamp(start),
    end: formatTimestamp(end),
    delta: formatDelta(end.getTime() - start.getTime()),
  };
}
