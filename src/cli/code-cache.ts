import { isAscii } from 'node:buffer';
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/**
 * Loads a CommonJS bundle with V8's code cache: compiling the bundle (play with ssh2, yaml,
 * handlebars…, ~1.8 MB) is a good part of the start-up of every `play` run, and V8 can skip it
 * given the code it produced for the same source before. The cache sits next to the bundle and is
 * written at the end of a run (so that it also holds the functions the run compiled on the way)
 * that found none it could use, or only one written by a run that compiled less (`--version`
 * before the first playbook run). It starts with the bundle's size and mtime: V8 itself only
 * checks the source's length, and a rebuilt bundle must never run with the old bundle's code.
 * Writing is best effort: a read-only install runs without a cache.
 */
export function loadWithCodeCache(
  bundleFile: string,
  bundleRequire: (id: string) => unknown,
  { fullRun }: { fullRun: boolean },
): Record<string, unknown> {
  const cacheFile = `${bundleFile}.v8-cache`;
  const bytes = readFileSync(bundleFile);
  // The build leaves the bundle ASCII (bundle-ascii.ts): Latin-1 then reads it as UTF-8 would, faster.
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const { size, mtimeMs } = statSync(bundleFile);
  const stamp = `${size} ${mtimeMs}`;
  const cache = readCache(cacheFile, stamp);
  // The wrapper Node gives CommonJS modules, so the bundle sees the usual module variables.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundleFile,
    ...(cache ? { cachedData: cache.data } : {}),
  });
  if (!cache || script.cachedDataRejected || (fullRun && !cache.fullRun)) {
    process.once('exit', () => writeCache(cacheFile, `${stamp} ${fullRun ? 'full' : 'partial'}\n`, script));
  }
  const module = { exports: {} as Record<string, unknown> };
  const run = script.runInThisContext() as (...moduleVariables: unknown[]) => void;
  run(module.exports, bundleRequire, module, bundleFile, dirname(bundleFile));
  return module.exports;
}

/** The cache for the bundle with this stamp: its first line is `SIZE MTIME full|partial`. */
function readCache(file: string, stamp: string): { data: Buffer; fullRun: boolean } | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  const newline = bytes.indexOf(0x0a);
  const header = bytes.subarray(0, Math.max(newline, 0)).toString('latin1');
  if (newline < 0 || !header.startsWith(`${stamp} `)) return undefined;
  return { data: bytes.subarray(newline + 1), fullRun: header.endsWith(' full') };
}

function writeCache(file: string, header: string, script: Script): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, Buffer.concat([Buffer.from(header, 'latin1'), script.createCachedData()]));
    renameSync(temp, file);
  } catch {
    // Not writable: the next run compiles again.
    rmSync(temp, { force: true });
  }
}

/** A `require` for the bundle: resolves from the bundle's directory, `aliases` first. */
export function requireFor(bundleFile: string, aliases: Record<string, string>): (id: string) => unknown {
  const resolveFromBundle = createRequire(bundleFile);
  return (id) => resolveFromBundle(aliases[id] ?? id);
}
