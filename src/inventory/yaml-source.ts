/**
 * Ansible's YAML inventory format: top-level keys are groups (usually just `all`), each a mapping
 * of `hosts` (host → vars or null), `vars` and `children` (nested groups, to any depth).
 * Ansible only warns about unknown keys and malformed groups; we refuse them, because a skipped
 * group silently drops hosts from a run.
 */
import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import { PlayError, type SourcePos } from '../errors.js';
import { expandHostPattern, HostRangeError } from './host-address.js';
import type { InventoryData } from './inventory-data.js';
import { loadYaml, type YamlSource } from './yaml-load.js';

const SECTIONS = ['hosts', 'children', 'vars'] as const;
type Section = (typeof SECTIONS)[number];

interface Entry {
  key: string;
  value: Node | null;
  pos: SourcePos;
}

export function parseYamlInventory(text: string, file: string, inventory: InventoryData): void {
  const src = loadYaml(text, file);
  const root = src.root;
  if (isEmpty(root)) throw new PlayError('the YAML inventory is empty: expected a mapping such as "all: {hosts: ...}"', src.posOf(root));
  if (!isMap(root)) {
    throw new PlayError(`a YAML inventory must be a mapping of groups (such as "all:"), got ${describe(root)}`, src.posOf(root));
  }
  const groups = entriesOf(src, root.items as Pair[]);
  if (groups.some((g) => g.key === 'plugin')) {
    throw new PlayError('this is an inventory plugin configuration, not a YAML inventory: plugins are not supported', src.posOf(root));
  }
  for (const group of groups) parseGroup(src, inventory, group);
}

function parseGroup(src: YamlSource, inventory: InventoryData, group: Entry): string {
  inventory.addGroup(group.key);
  const body = group.value;
  if (isEmpty(body)) return group.key;
  if (!isMap(body)) {
    throw new PlayError(`group '${group.key}' must be a mapping of hosts, children and vars, got ${describe(body)}`, group.pos);
  }
  for (const section of entriesOf(src, body.items as Pair[])) {
    if (!(SECTIONS as readonly string[]).includes(section.key)) {
      throw new PlayError(`unexpected key '${section.key}' in group '${group.key}': expected hosts, children or vars`, section.pos);
    }
    parseSection(src, inventory, group.key, section.key as Section, sectionEntries(src, group.key, section));
  }
  return group.key;
}

function parseSection(src: YamlSource, inventory: InventoryData, group: string, section: Section, entries: Entry[]): void {
  for (const entry of entries) {
    if (section === 'vars') {
      inventory.setGroupVar(group, entry.key, src.toData(entry.value), entry.pos);
    } else if (section === 'children') {
      inventory.addChildGroup(group, parseGroup(src, inventory, entry), entry.pos);
    } else {
      parseHost(src, inventory, group, entry);
    }
  }
}

function parseHost(src: YamlSource, inventory: InventoryData, group: string, entry: Entry): void {
  const vars = entry.value;
  if (!isEmpty(vars) && !isMap(vars)) {
    throw new PlayError(`host '${entry.key}' in group '${group}' must map to its variables (or nothing), got ${describe(vars)}`, entry.pos);
  }
  let expanded: { hosts: string[]; port?: number };
  try {
    expanded = expandHostPattern(entry.key);
  } catch (err) {
    if (err instanceof HostRangeError) throw new PlayError(`invalid host range in '${entry.key}': ${err.message}`, entry.pos);
    throw err;
  }
  const assignments = isMap(vars) ? entriesOf(src, vars.items as Pair[]) : [];
  for (const host of expanded.hosts) {
    inventory.addHost(host, group, expanded.port);
    for (const assignment of assignments) inventory.setHostVar(host, assignment.key, src.toData(assignment.value));
  }
}

/** A section's entries; Ansible accepts a bare string as a one-entry mapping (`hosts: web1`). */
function sectionEntries(src: YamlSource, group: string, section: Entry): Entry[] {
  const body = section.value;
  if (isEmpty(body)) return [];
  if (isScalar(body) && typeof body.value === 'string') return [{ key: body.value, value: null, pos: src.posOf(body) }];
  if (!isMap(body)) {
    throw new PlayError(`'${section.key}' of group '${group}' must be a mapping, got ${describe(body)}`, section.pos);
  }
  return entriesOf(src, body.items as Pair[]);
}

function entriesOf(src: YamlSource, pairs: Pair[]): Entry[] {
  return pairs.map((pair) => {
    const keyNode = src.resolve(pair.key);
    const pos = src.posOf(keyNode);
    const key = isScalar(keyNode) ? keyNode.value : src.toData(keyNode);
    if (key === null || key === undefined || key === '' || typeof key === 'object') {
      throw new PlayError(`expected a name as mapping key, got ${key === '' ? 'an empty string' : describe(keyNode)}`, pos);
    }
    return { key: String(key), value: src.resolve(pair.value), pos };
  });
}

function isEmpty(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

function describe(node: Node | null): string {
  if (isEmpty(node)) return 'nothing';
  if (isSeq(node)) return 'a list';
  if (isMap(node)) return 'a mapping';
  if (isScalar(node)) return `the ${typeof node.value} '${String(node.value)}'`;
  return 'an unexpected value';
}
