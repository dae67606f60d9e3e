/**
 * group_vars/ and host_vars/ beside an inventory source, found as Ansible's host_group_vars
 * plugin finds them: the first of NAME, NAME.yml, NAME.yaml, NAME.json that exists; when it is a
 * directory, every YAML/JSON (or extension-less) file inside it, recursively, in name order,
 * merged with later files replacing earlier keys.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { isMap } from 'yaml';
import { PlayError } from '../errors.js';
import type { Vars } from '../playbook/types.js';
import { loadYaml } from './yaml-load.js';

const VARS_EXTENSIONS = ['.yml', '.yaml', '.json'];

/** Variables for each of `names` found in `dir` (a group_vars or host_vars directory). */
export async function loadVarsFor(dir: string, names: Iterable<string>): Promise<Map<string, Vars>> {
  const found = new Map<string, Vars>();
  const present = new Set(await listDir(dir));
  if (present.size === 0) return found;
  for (const name of names) {
    if (name.includes('/')) continue;
    const candidate = ['', ...VARS_EXTENSIONS].map((ext) => name + ext).find((entry) => present.has(entry));
    if (candidate === undefined) continue;
    const files = await varsFilesAt(path.join(dir, candidate));
    let vars: Vars = {};
    for (const file of files) vars = { ...vars, ...(await loadVarsFile(file)) };
    found.set(name, vars);
  }
  return found;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

async function varsFilesAt(target: string): Promise<string[]> {
  if (!(await stat(target)).isDirectory()) return [target];
  const files: string[] = [];
  for (const entry of (await readdir(target)).sort()) {
    if (entry.startsWith('.') || entry.endsWith('~')) continue;
    const full = path.join(target, entry);
    const ext = path.extname(entry);
    const info = await stat(full);
    if (info.isDirectory() && !ext) files.push(...(await varsFilesAt(full)));
    else if (info.isFile() && (!ext || VARS_EXTENSIONS.includes(ext))) files.push(full);
  }
  return files;
}

/** One YAML/JSON vars file: a mapping, or nothing at all. */
export async function loadVarsFile(file: string): Promise<Vars> {
  const text = await readFile(file, 'utf8');
  if (text.startsWith('$ANSIBLE_VAULT')) {
    throw new PlayError('vault-encrypted variable files are not supported', { file, line: 1, col: 1 });
  }
  const src = loadYaml(text, file);
  const root = src.root;
  if (root === null || (src.toData(root) ?? null) === null) return {};
  if (!isMap(root)) throw new PlayError('a variables file must hold a mapping of variable names to values', src.posOf(root));
  return src.toData(root) as Vars;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
