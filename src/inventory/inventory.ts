/**
 * A loaded inventory: hosts, groups, host patterns and each host's merged variables, answering
 * as Ansible's InventoryManager and VariableManager do.
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { OptionsError } from '../errors.js';
import type { Vars } from '../playbook/types.js';
import type { GroupRecord, HostRecord, InventoryData } from './inventory-data.js';
import { applySubscript, orderPatterns, splitHostPattern, splitSubscript, termMatcher } from './pattern.js';

export interface InventoryHost {
  name: string;
  /** Inline (inventory source) variables, then host_vars/ files over them. */
  vars: Vars;
  /** Direct groups. */
  groups: string[];
}

export interface InventoryGroup {
  name: string;
  /** Inventory source variables, then group_vars/ files over them. */
  vars: Vars;
  /** Direct hosts, in the order they joined. */
  hosts: string[];
  children: string[];
  parents: string[];
  /** `ansible_group_priority` (default 1): orders groups of equal depth when merging vars. */
  priority: number;
}

/** Names Ansible treats as the control machine: naming one gives an implicit local host. */
export const LOCALHOST_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];

export interface InventoryOptions {
  /** Where `@file` limit paths are resolved. */
  cwd: string;
  /** host_vars/ files for localhost names that the inventory does not define. */
  implicitHostFileVars: Map<string, Vars>;
}

export class Inventory {
  readonly hosts = new Map<string, InventoryHost>();
  readonly groups = new Map<string, InventoryGroup>();
  private readonly hostVarsCache = new Map<string, Vars>();
  private readonly groupHostsCache = new Map<string, string[]>();
  private readonly ancestorsCache = new Map<string, Set<string>>();
  private readonly termCache = new Map<string, string[]>();
  private implicitLocalhost: HostRecord | undefined;

  constructor(
    private readonly data: InventoryData,
    private readonly options: InventoryOptions,
  ) {
    for (const h of data.hosts.values()) {
      this.hosts.set(h.name, { name: h.name, vars: { ...h.vars, ...h.fileVars }, groups: [...h.groups] });
    }
    for (const g of data.groups.values()) {
      this.groups.set(g.name, {
        name: g.name,
        vars: { ...g.vars, ...g.fileVars },
        hosts: [...g.hosts],
        children: [...g.children],
        parents: [...g.parents],
        priority: g.priority,
      });
    }
  }

  /**
   * Host names matching an Ansible host pattern, in Ansible's order: terms in the order written,
   * a group's own hosts before its children's. `limit` (as --limit) keeps only hosts it matches;
   * only the limit reads `@file` terms, as in Ansible (in a pattern `@x` is just a name).
   */
  select(pattern: string, limit?: string): string[] {
    let hosts = this.evaluate(splitHostPattern(pattern));
    if (limit !== undefined) {
      const allowed = new Set(this.evaluate(this.expandLimitTerms(limit)));
      hosts = hosts.filter((h) => allowed.has(h));
    }
    return hosts;
  }

  /** A host by name, including the implicit localhost once a pattern has named it. */
  host(name: string): InventoryHost | undefined {
    const known = this.hosts.get(name);
    if (known) return known;
    const implicit = this.implicitLocalhost;
    if (implicit?.name !== name) return undefined;
    return { name, vars: { ...implicit.vars, ...implicit.fileVars }, groups: [] };
  }

  /** `group_names`: every group the host is in (ancestors too), sorted, without 'all'. */
  groupNames(host: string): string[] {
    return [...this.groupsOfHost(host)].filter((g) => g !== 'all').sort(compareText);
  }

  /** `groups`: every group name → all its hosts (descendants too), in Ansible's order. */
  groupsMap(): Record<string, string[]> {
    const map: Record<string, string[]> = {};
    for (const name of this.groups.keys()) map[name] = [...this.hostsOf(name)];
    return map;
  }

  /** A group's hosts, its own first, then its children's level by level (Ansible's get_hosts). */
  hostsOf(groupName: string): string[] {
    const cached = this.groupHostsCache.get(groupName);
    if (cached) return cached;
    const order = [groupName];
    const seenGroups = new Set(order);
    for (let i = 0; i < order.length; i++) {
      for (const child of this.data.groups.get(order[i])!.children) {
        if (!seenGroups.has(child)) {
          seenGroups.add(child);
          order.push(child);
        }
      }
    }
    const hosts = [...new Set(order.flatMap((g) => this.data.groups.get(g)!.hosts))];
    this.groupHostsCache.set(groupName, hosts);
    return hosts;
  }

  /**
   * The host's inventory variables in Ansible's precedence: inventory-source vars of 'all', then
   * of its other groups (by depth, ansible_group_priority, name); then group_vars/all and the
   * other groups' group_vars/ files in the same order; then the host's own inline vars and
   * host_vars/ files. Dicts replace, never merge. The result is cached and shared: do not modify it.
   */
  hostVars(host: string): Vars {
    const cached = this.hostVarsCache.get(host);
    if (cached) return cached;
    const record = this.data.hosts.get(host) ?? this.implicitRecord(host);
    if (!record) throw new Error(`hostVars: '${host}' is not in the inventory`);
    const all = this.data.groups.get('all')!;
    const groups = this.sortedGroups([...this.groupsOfHost(host)].filter((g) => g !== 'all'));
    const vars: Vars = { ...all.vars };
    for (const g of groups) Object.assign(vars, g.vars);
    Object.assign(vars, all.fileVars);
    for (const g of groups) Object.assign(vars, g.fileVars);
    Object.assign(vars, record.vars, record.fileVars);
    this.hostVarsCache.set(host, vars);
    return vars;
  }

  private implicitRecord(host: string): HostRecord | undefined {
    return this.implicitLocalhost?.name === host ? this.implicitLocalhost : undefined;
  }

  private sortedGroups(names: string[]): GroupRecord[] {
    return names
      .map((n) => this.data.groups.get(n)!)
      .sort((a, b) => a.depth - b.depth || a.priority - b.priority || compareText(a.name, b.name));
  }

  private groupsOfHost(host: string): Set<string> {
    const result = new Set<string>();
    for (const g of this.data.hosts.get(host)?.groups ?? []) {
      result.add(g);
      for (const a of this.ancestors(g)) result.add(a);
    }
    return result;
  }

  private ancestors(group: string): Set<string> {
    const cached = this.ancestorsCache.get(group);
    if (cached) return cached;
    const result = new Set<string>();
    for (const parent of this.data.groups.get(group)!.parents) {
      result.add(parent);
      for (const a of this.ancestors(parent)) result.add(a);
    }
    this.ancestorsCache.set(group, result);
    return result;
  }

  /** Splits a --limit into terms, replacing `@file` terms by the file's lines. */
  private expandLimitTerms(pattern: string): string[] {
    return splitHostPattern(pattern).flatMap((term) => (term.startsWith('@') ? this.readLimitFile(term.slice(1)) : [term]));
  }

  private readLimitFile(file: string): string[] {
    const full = path.resolve(this.options.cwd, file);
    let text: string;
    try {
      if (statSync(full).isDirectory()) throw new OptionsError(`limit starting with '@' must be a file, not a directory: ${file}`);
      text = readFileSync(full, 'utf8');
    } catch (err) {
      if (err instanceof OptionsError) throw err;
      throw new OptionsError(`unable to read limit file ${file}: ${(err as Error).message}`);
    }
    return text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  }

  private evaluate(terms: string[]): string[] {
    let hosts: string[] = [];
    for (const term of orderPatterns(terms)) {
      if (this.data.hosts.has(term)) {
        if (!hosts.includes(term)) hosts.push(term);
        continue;
      }
      const matched = this.matchTerm(term);
      if (term[0] === '!') {
        const drop = new Set(matched);
        hosts = hosts.filter((h) => !drop.has(h));
      } else if (term[0] === '&') {
        const keep = new Set(matched);
        hosts = hosts.filter((h) => keep.has(h));
      } else {
        const present = new Set(hosts);
        for (const h of matched) if (!present.has(h)) hosts.push(h);
      }
    }
    return [...new Set(hosts)];
  }

  private matchTerm(rawTerm: string): string[] {
    const term = rawTerm[0] === '&' || rawTerm[0] === '!' ? rawTerm.slice(1) : rawTerm;
    const cached = this.termCache.get(term);
    if (cached) return cached;
    const { expr, subscript } = splitSubscript(term);
    const hosts = applySubscript(this.enumerate(expr), subscript, term);
    this.termCache.set(term, hosts);
    return hosts;
  }

  /** Groups matching the term give all their hosts; hosts are matched too when no group was or the term is a glob/regex. */
  private enumerate(expr: string): string[] {
    const matcher = termMatcher(expr);
    const groups = [...this.data.groups.keys()].filter((g) => matcher.test(g));
    const results = groups.flatMap((g) => this.hostsOf(g));
    if (groups.length === 0 || expr.startsWith('~') || /[.?*[]/.test(expr)) {
      for (const h of this.data.hosts.keys()) if (matcher.test(h)) results.push(h);
    }
    if (results.length === 0 && LOCALHOST_NAMES.includes(expr)) results.push(this.localhostFor(expr));
    return results;
  }

  /** A localhost name the inventory lacks: its own localhost-like host if any, else an implicit one. */
  private localhostFor(name: string): string {
    const defined = [...this.data.hosts.keys()].find((h) => LOCALHOST_NAMES.includes(h));
    if (defined) return defined;
    this.implicitLocalhost ??= {
      name,
      vars: { ansible_connection: 'local' },
      fileVars: this.options.implicitHostFileVars.get(name) ?? {},
      groups: [],
    };
    return this.implicitLocalhost.name;
  }
}

/** Code-point order, as Python sorts strings. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
