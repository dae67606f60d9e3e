import { shellQuote } from './shell.js';
import type { Connection, PutOptions, PutResult } from './types.js';

const BACKUP_MARK = 'play-backup=';

/**
 * One shell script that writes stdin to `path` atomically: a temp file in the same directory
 * (so the rename never crosses filesystems), mode and owner set on the temp file, an optional
 * backup of the old file, then `mv`. One round trip, whatever the transport.
 */
export function atomicWriteScript(path: string, options: PutOptions): string {
  const p = shellQuote(path);
  const lines = [
    'set -e',
    `t=$(mktemp ${shellQuote(dirnameOf(path) + '/.play-tmp.')}XXXXXX)`,
    `trap 'rm -f "$t"' EXIT`,
    'cat > "$t"',
  ];
  if (options.mode) lines.push(`chmod ${shellQuote(options.mode)} "$t"`);
  else lines.push(`if [ -e ${p} ]; then chmod --reference=${p} "$t"; else chmod 0644 "$t"; fi`);
  const owner = options.owner ?? '';
  const group = options.group ?? '';
  if (owner || group) lines.push(`chown ${shellQuote(`${owner}${group ? ':' + group : ''}`)} "$t"`);
  else lines.push(`if [ -e ${p} ]; then chown --reference=${p} "$t" 2>/dev/null || true; fi`);
  if (options.validate) {
    if (!options.validate.includes('%s')) throw new Error(`validate must contain %s: ${options.validate}`);
    lines.push(options.validate.split('%s').join('"$t"'));
  }
  if (options.backup) {
    lines.push(
      `if [ -f ${p} ]; then b=${p}.$(date +%Y-%m-%d@%H:%M:%S~); cp -p -- ${p} "$b"; echo "${BACKUP_MARK}$b"; fi`,
    );
  }
  lines.push(`mv -f -- "$t" ${p}`, 'trap - EXIT');
  return lines.join('\n');
}

function dirnameOf(path: string): string {
  const i = path.lastIndexOf('/');
  if (i < 0) return '.';
  return i === 0 ? '' : path.slice(0, i);
}

/** `Connection.put` for any transport that can exec with stdin. */
export async function putViaExec(
  conn: Connection,
  path: string,
  content: Buffer,
  options: PutOptions,
): Promise<PutResult> {
  const result = await conn.exec(atomicWriteScript(path, options), { stdin: content, become: options.become });
  if (result.rc !== 0) {
    throw new Error(`writing ${path} failed (rc=${result.rc}): ${result.stderr.trim() || result.stdout.trim()}`);
  }
  const mark = result.stdout.split('\n').find((l) => l.startsWith(BACKUP_MARK));
  return mark ? { backupFile: mark.slice(BACKUP_MARK.length) } : {};
}
