/**
 * Reading inventory sources as `-i` gives them: a file (INI or YAML), a directory of such files,
 * or a `host1,host2:2222,` list. Sources merge in order; group_vars/ and host_vars/ beside each
 * file source (inside each directory source) are loaded after all sources are read.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import * as path from 'node:path';
import { OptionsError, PlayError } from '../errors.js';
import type { Vars } from '../playbook/types.js';
import { parseAddress } from './host-address.js';
import { parseIniInventory } from './ini-source.js';
import { Inventory, LOCALHOST_NAMES } from './inventory.js';
import { InventoryData } from './inventory-data.js';
import { loadVarsFor } from './vars-files.js';
import { parseYamlInventory } from './yaml-source.js';

/**
 * Entries of an inventory directory that are not inventories: Ansible's default INVENTORY_IGNORE_EXTS,
 * which includes `.ini` (an INI file inside an inventory directory needs no extension, or `-i FILE`).
 */
const IGNORED_NAMES = new Set(['host_vars', 'group_vars', 'vars_plugins']);
const IGNORED_SUFFIXES = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry'];
const YAML_EXTENSIONS = new Set(['.yml', '.yaml', '.json']);

export interface LoadInventoryOptions {
  /** Directory relative sources and `@file` limits are resolved against (default: process.cwd()). */
  cwd?: string;
}

export async function loadInventory(sources: string[], options: LoadInventoryOptions = {}): Promise<Inventory> {
  const cwd = options.cwd ?? process.cwd();
  const data = new InventoryData();
  const varsDirs: string[] = [];
  for (const source of sources) {
    const full = path.resolve(cwd, source);
    const info = await statOrUndefined(full);
    if (!info && source.includes(',')) {
      addHostList(data, source);
      continue;
    }
    if (!info) throw new OptionsError(`inventory source '${source}' does not exist (a host list needs a comma: '${source},')`);
    await readSource(data, full, info);
    varsDirs.push(info.isDirectory() ? full : path.dirname(full));
  }
  data.reconcile();
  const implicitHostFileVars = await attachVarsFiles(data, varsDirs);
  return new Inventory(data, { cwd, implicitHostFileVars });
}

function addHostList(data: InventoryData, list: string): void {
  data.currentSource = undefined;
  for (const entry of list.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    // Ansible's host_list plugin expands no ranges, and keeps an entry it cannot parse as a literal name.
    const address = parseAddress(entry, false);
    const host = address?.host ?? entry;
    if (!data.hosts.has(host)) data.addHost(host, 'ungrouped', address?.port);
  }
}

async function readSource(data: InventoryData, full: string, info: Stats): Promise<void> {
  if (info.isDirectory()) {
    for (const entry of (await readdir(full)).sort()) {
      if (isIgnored(entry)) continue;
      const child = path.join(full, entry);
      await readSource(data, child, await stat(child));
    }
    return;
  }
  const text = await readFile(full, 'utf8');
  if (text.startsWith('#!') && (info.mode & 0o111) !== 0) {
    throw new PlayError('dynamic inventory scripts are not supported: give a static INI or YAML inventory', { file: full, line: 1, col: 1 });
  }
  data.currentSource = full;
  if (isYamlInventory(full, text)) parseYamlInventory(text, full, data);
  else parseIniInventory(text, full, data);
  data.currentSource = undefined;
}

function isIgnored(entry: string): boolean {
  return entry.startsWith('.') || IGNORED_NAMES.has(entry) || IGNORED_SUFFIXES.some((s) => entry.endsWith(s));
}

/**
 * YAML by extension; otherwise by content, when the first meaningful line is `---`, JSON, or a
 * bare `key:` (never valid INI).
 */
function isYamlInventory(file: string, text: string): boolean {
  if (YAML_EXTENSIONS.has(path.extname(file).toLowerCase())) return true;
  const first = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'));
  return first !== undefined && (first === '---' || first.startsWith('{') || /^[^\s[=]+:\s*(?:#.*)?$/.test(first));
}

/** Loads group_vars/host_vars for every group and host; returns those for implicit localhost names. */
async function attachVarsFiles(data: InventoryData, dirs: string[]): Promise<Map<string, Vars>> {
  const implicit = new Map<string, Vars>();
  const implicitNames = LOCALHOST_NAMES.filter((n) => !data.hosts.has(n));
  for (const dir of dirs) {
    for (const [name, vars] of await loadVarsFor(path.join(dir, 'group_vars'), data.groups.keys())) {
      Object.assign(data.groups.get(name)!.fileVars, vars);
    }
    const hostVars = await loadVarsFor(path.join(dir, 'host_vars'), [...data.hosts.keys(), ...implicitNames]);
    for (const [name, vars] of hostVars) {
      const host = data.hosts.get(name);
      if (host) Object.assign(host.fileVars, vars);
      else implicit.set(name, { ...implicit.get(name), ...vars });
    }
  }
  return implicit;
}

async function statOrUndefined(full: string): Promise<Stats | undefined> {
  try {
    return await stat(full);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}
