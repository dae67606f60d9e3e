import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';

/**
 * Parsed YAML kept between runs, because parsing is most of loading a playbook: the `yaml` library
 * runs cold in a short-lived process (~45 ms for site.yml's 43 files; a cached file costs a read and a
 * structured-clone decode). One entry per source path under $XDG_CACHE_HOME/play/yaml (~/.cache by
 * default), holding the key it was made for: the parser's build (the size and mtime of `parserFile`,
 * the module or bundle holding it), the path as messages show it, and the text itself (hashed). Any
 * change to one of them is a miss, and a miss parses and writes the entry anew (temp file + rename).
 * Only successful parses are kept; the cache failing (unwritable, corrupt) never fails a run. Entries
 * of paths no longer read (temporary checkouts, test runs) are dropped, oldest first, once there are
 * more than MAX_ENTRIES.
 */
export function cachedParse<T>(parserFile: string, absPath: string, displayPath: string, text: string, parse: () => T): T {
  const key = entryKey(parserFile, displayPath, text);
  const entry = key === undefined ? undefined : join(cacheDir(), `${hash(absPath)}.v8`);
  if (entry !== undefined) {
    try {
      const stored = deserialize(readFileSync(entry)) as { key?: unknown; value?: unknown };
      if (stored.key === key) return stored.value as T;
    } catch {
      // No entry yet, or one this Node cannot read: parse.
    }
  }
  const value = parse();
  if (entry !== undefined) {
    try {
      makeCacheDir();
      const temp = `${entry}.${process.pid}.tmp`;
      writeFileSync(temp, serialize({ key, value }));
      renameSync(temp, entry);
      pruneOnce();
    } catch {
      // A read-only or full cache only costs the next run the parse.
    }
  }
  return value;
}

const MAX_ENTRIES = 2000;
const prunedDirs = new Set<string>();

/** Once per process and cache, at its first write: keeps the newest MAX_ENTRIES / 2 entries when there are more than MAX_ENTRIES. */
function pruneOnce(): void {
  const dir = cacheDir();
  if (prunedDirs.has(dir)) return;
  prunedDirs.add(dir);
  const names = readdirSync(dir);
  if (names.length <= MAX_ENTRIES) return;
  const byAge = names.map((name) => ({ name, mtime: statSync(join(dir, name)).mtimeMs })).sort((a, b) => a.mtime - b.mtime);
  for (const { name } of byAge.slice(0, names.length - MAX_ENTRIES / 2)) rmSync(join(dir, name), { force: true });
}

function cacheBase(): string {
  return process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
}

function cacheDir(): string {
  return join(cacheBase(), 'play', 'yaml');
}

/** One level at a time: Node's recursive mkdir never returns under /proc (measured: it spins). */
function makeCacheDir(): void {
  for (const dir of [cacheBase(), join(cacheBase(), 'play'), cacheDir()]) {
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

function hash(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** Undefined when the parser's file cannot be stat'ed: without its identity no entry can be trusted. */
function entryKey(parserFile: string, displayPath: string, text: string): string | undefined {
  try {
    const { size, mtimeMs } = statSync(parserFile);
    return hash(`${size} ${mtimeMs}\0${displayPath}\0${text}`);
  } catch {
    return undefined;
  }
}
