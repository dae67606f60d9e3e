/**
 * Ansible's INI inventory format: `[group]` host lines with inline `key=value` vars,
 * `[group:children]`, `[group:vars]`, and ungrouped host lines before the first section.
 * A child group may be named before its own section, but it must get one somewhere in the file.
 */
import { PlayError, type SourcePos } from '../errors.js';
import { expandHostPattern, HostRangeError } from './host-address.js';
import type { InventoryData } from './inventory-data.js';
import { iniValue } from './python-literal.js';
import { shlexSplit, ShlexError } from '../connection/shlex.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

type SectionKind = 'hosts' | 'children' | 'vars';

interface PendingDeclaration {
  pos: SourcePos;
  kind: 'children' | 'vars';
  /** For a child named before its section: the groups that want it as a child, and where. */
  parents: { group: string; pos: SourcePos }[];
}

export function parseIniInventory(text: string, file: string, inventory: InventoryData): void {
  const pending = new Map<string, PendingDeclaration>();
  let group = 'ungrouped';
  let kind: SectionKind = 'hosts';

  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const pos: SourcePos = { file, line: index + 1, col: raw.indexOf(line[0]) + 1 };

    const header = SECTION.exec(line);
    if (header) {
      group = header[1];
      const declared = header[2] ?? 'hosts';
      if (declared !== 'hosts' && declared !== 'children' && declared !== 'vars') {
        throw new PlayError(`section [${group}:${declared}] has unknown type '${declared}': expected :children or :vars`, pos);
      }
      kind = declared;
      openSection(inventory, pending, group, kind, pos);
      return;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      throw new PlayError(
        `invalid section header '${line}': expected [group], [group:children] or [group:vars] with no spaces`,
        pos,
      );
    }

    if (kind === 'hosts') parseHostLine(inventory, group, line, pos);
    else if (kind === 'vars') parseVarLine(inventory, group, line, pos);
    else parseChildLine(inventory, pending, group, line, pos);
  });

  const [name, unresolved] = pending.entries().next().value ?? [];
  if (name !== undefined && unresolved) {
    throw new PlayError(
      unresolved.kind === 'vars'
        ? `section [${name}:vars] is for group '${name}', which is never defined: add a [${name}] section`
        : `section [${unresolved.parents[unresolved.parents.length - 1].group}:children] includes undefined group '${name}': add a [${name}] section`,
      unresolved.pos,
    );
  }
}

function openSection(
  inventory: InventoryData,
  pending: Map<string, PendingDeclaration>,
  group: string,
  kind: SectionKind,
  pos: SourcePos,
): void {
  if (!inventory.groups.has(group)) {
    // [g:vars] alone does not declare g; note it and check at the end of the file.
    if (kind === 'vars' && !pending.has(group)) pending.set(group, { pos, kind: 'vars', parents: [] });
    inventory.addGroup(group);
  }
  const waiting = pending.get(group);
  if (!waiting || kind === 'vars') return;
  if (waiting.kind === 'children') resolvePendingChild(inventory, pending, group);
  else pending.delete(group);
}

function resolvePendingChild(inventory: InventoryData, pending: Map<string, PendingDeclaration>, group: string): void {
  const waiting = pending.get(group)!;
  pending.delete(group);
  for (const parent of waiting.parents) {
    inventory.addChildGroup(parent.group, group, parent.pos);
    if (pending.get(parent.group)?.kind === 'children') resolvePendingChild(inventory, pending, parent.group);
  }
}

function parseHostLine(inventory: InventoryData, group: string, line: string, pos: SourcePos): void {
  let tokens: string[];
  try {
    tokens = shlexSplit(line, { comments: true });
  } catch (err) {
    if (err instanceof ShlexError) throw new PlayError(`cannot parse host line '${line}': ${err.message}`, pos);
    throw err;
  }
  if (tokens.length === 0) return;
  const [pattern, ...assignments] = tokens;
  const variables: [string, unknown][] = assignments.map((token) => {
    const eq = token.indexOf('=');
    if (eq < 0) throw new PlayError(`expected key=value host variable after '${pattern}', got '${token}'`, pos);
    return [token.slice(0, eq), iniValue(token.slice(eq + 1))];
  });

  const { hosts, port } = expandInventoryHost(pattern, pos);
  for (const host of hosts) {
    inventory.addHost(host, group, port);
    for (const [key, value] of variables) inventory.setHostVar(host, key, value);
  }
}

function expandInventoryHost(pattern: string, pos: SourcePos): { hosts: string[]; port?: number } {
  let expanded: { hosts: string[]; port?: number };
  try {
    expanded = expandHostPattern(pattern);
  } catch (err) {
    if (err instanceof HostRangeError) throw new PlayError(`invalid host range in '${pattern}': ${err.message}`, pos);
    throw err;
  }
  if (pattern.endsWith(':') && expanded.port === undefined) {
    throw new PlayError(
      `invalid host '${pattern}': a trailing ':' must be followed by a port number (is this a YAML file?)`,
      pos,
    );
  }
  if (expanded.hosts.some((h) => h === '---')) {
    throw new PlayError(`invalid host '---': this looks like a YAML file; name it *.yml or *.yaml`, pos);
  }
  return expanded;
}

function parseVarLine(inventory: InventoryData, group: string, line: string, pos: SourcePos): void {
  const eq = line.indexOf('=');
  if (eq < 0) throw new PlayError(`expected key=value in [${group}:vars], got '${line}'`, pos);
  const key = line.slice(0, eq).trim();
  if (!key) throw new PlayError(`missing variable name before '=' in [${group}:vars]`, pos);
  inventory.setGroupVar(group, key, iniValue(line.slice(eq + 1).trim()), pos);
}

function parseChildLine(
  inventory: InventoryData,
  pending: Map<string, PendingDeclaration>,
  group: string,
  line: string,
  pos: SourcePos,
): void {
  const m = GROUP_NAME.exec(line);
  if (!m) throw new PlayError(`expected a group name in [${group}:children], got '${line}'`, pos);
  const child = m[1];
  if (inventory.groups.has(child)) {
    inventory.addChildGroup(group, child, pos);
    return;
  }
  const waiting = pending.get(child);
  if (waiting) waiting.parents.push({ group, pos });
  else pending.set(child, { pos, kind: 'children', parents: [{ group, pos }] });
}
