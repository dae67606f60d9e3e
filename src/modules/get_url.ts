import { shellQuote } from '../connection/shell.js';
import { FILE_ATTRIBUTE_OPTIONS, fileAttributes } from './deliver.js';
import { modeProblem } from './mode.js';
import { applyFile, probeRemoteFile } from './remote-file.js';
import { failOnError, failure } from './result.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from './types.js';

type GetUrlArgs = {
  url: string;
  dest: string;
  checksum?: string;
  force: boolean;
  timeout: number;
  mode?: unknown;
  owner?: string;
  group?: string;
};

const ALGORITHMS = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'md5'] as const;

/** 'sha256:abc…' → the command computing it and the expected digest. */
export function parseChecksum(spec: string): { algorithm: string; digest: string } | string {
  const colon = spec.indexOf(':');
  const algorithm = spec.slice(0, colon).toLowerCase();
  const digest = spec.slice(colon + 1).trim().toLowerCase();
  if (colon < 0 || !(ALGORITHMS as readonly string[]).includes(algorithm)) {
    return `checksum must look like 'sha256:<hex digest>' with one of ${ALGORITHMS.join(', ')}; got '${spec}'`;
  }
  if (!/^[0-9a-f]+$/.test(digest)) return `checksum digest must be hexadecimal; got '${digest}'`;
  return { algorithm, digest };
}

/** The last path segment of the URL, used when dest is a directory. */
function urlBaseName(url: string): string {
  const path = new URL(url).pathname;
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)) || 'index.html';
}

const MARK = { ok: 'state=ok', would: 'state=would', same: 'state=same', downloaded: 'state=downloaded' };

/**
 * One script on the target: skip if dest already holds the right file, else download into a temp file
 * beside dest (curl, else wget), verify the checksum, and rename into place only if the bytes differ.
 */
function downloadScript(args: GetUrlArgs, check: boolean): string {
  const sum = args.checksum !== undefined ? (parseChecksum(args.checksum) as { algorithm: string; digest: string }) : undefined;
  const digestOf = (file: string) => `$(${sum!.algorithm}sum < ${file} | cut -d' ' -f1)`;
  const u = shellQuote(args.url);
  const t = args.timeout;
  return [
    'set -e',
    `d=${shellQuote(args.dest)}`,
    `if [ -d "$d" ]; then d="\${d%/}"/${shellQuote(urlBaseName(args.url))}; fi`,
    'printf "dest=%s\\n" "$d"',
    sum
      ? `if [ -f "$d" ] && [ "${digestOf('"$d"')}" = ${sum.digest} ]; then echo ${MARK.ok}; exit 0; fi`
      : args.force
        ? ':'
        : `if [ -e "$d" ]; then echo ${MARK.ok}; exit 0; fi`,
    ...(check ? [`echo ${MARK.would}`, 'exit 0'] : []),
    `t=$(mktemp "$(dirname -- "$d")/.play-tmp.XXXXXX")`,
    `trap 'rm -f "$t"' EXIT`,
    `if command -v curl >/dev/null 2>&1; then curl -fsSL --connect-timeout ${t} --max-time ${t * 10} -o "$t" ${u};`,
    `elif command -v wget >/dev/null 2>&1; then wget -q -T ${t} -O "$t" ${u};`,
    'else echo "neither curl nor wget is installed" >&2; exit 2; fi',
    ...(sum
      ? [`a="${digestOf('"$t"')}"`, `[ "$a" = ${sum.digest} ] || { echo "checksum mismatch: expected ${sum.digest}, got $a" >&2; exit 4; }`]
      : []),
    `if [ -f "$d" ] && cmp -s "$t" "$d"; then echo ${MARK.same}; exit 0; fi`,
    'if [ -e "$d" ]; then chmod --reference="$d" "$t"; else chmod 0644 "$t"; fi',
    'mv -f -- "$t" "$d"',
    'trap - EXIT',
    `echo ${MARK.downloaded}`,
  ].join('\n');
}

async function runGetUrl(args: GetUrlArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const started = Date.now();
  const r = await ctx.conn.exec(downloadScript(args, ctx.check), { become: ctx.become });
  const dest = /^dest=(.*)$/m.exec(r.stdout)?.[1] ?? args.dest;
  if (r.rc !== 0) return failure(`Request failed: ${r.stderr.trim() || `rc=${r.rc}`}`, { url: args.url, dest });
  const fetched = r.stdout.includes(MARK.downloaded) || r.stdout.includes(MARK.would);
  const wanted = fileAttributes(args);
  let attributesChanged = false;
  if (wanted.mode || wanted.owner || wanted.group) {
    const state = await probeRemoteFile(ctx, dest, { checksum: 'none' });
    // In check mode a file not yet downloaded has no attributes to compare.
    if (state.type !== 'absent') attributesChanged = (await applyFile(ctx, state, undefined, wanted)).changed;
  }
  return {
    changed: fetched || attributesChanged,
    url: args.url,
    dest,
    elapsed: Math.round((Date.now() - started) / 1000),
    msg: fetched ? (ctx.check ? 'would download' : 'OK') : 'file already exists',
  };
}

export const getUrlModule: ModuleDefinition<GetUrlArgs> = {
  name: 'get_url',
  schema: {
    ...FILE_ATTRIBUTE_OPTIONS,
    url: { type: 'str', required: true },
    dest: { type: 'path', required: true },
    checksum: { type: 'str' },
    force: { type: 'bool', default: false },
    timeout: { type: 'int', default: 10 },
  },
  validate(args) {
    if (!/^(https?|ftp|file):\/\/[^\s]+$/i.test(args.url)) return `url must be an http, https, ftp or file URL; got '${args.url}'`;
    if (args.timeout < 1) return 'timeout must be at least 1 second';
    if (args.checksum !== undefined) {
      const parsed = parseChecksum(args.checksum);
      if (typeof parsed === 'string') return parsed;
    }
    return modeProblem(args.mode);
  },
  run: (args, ctx) => failOnError(() => runGetUrl(args, ctx)),
};
