/**
 * The mutable inventory that sources are parsed into, with Ansible's InventoryData rules:
 * 'all' and 'ungrouped' always exist, a host is created once (first source wins for
 * inventory_file), `ansible_group_priority` is a group property rather than a variable, and
 * after every source is read `reconcile()` hangs parentless groups under 'all', puts group-less
 * hosts in 'ungrouped', rejects cycles and computes each group's depth.
 */
import * as path from 'node:path';
import { PlayError, type SourcePos } from '../errors.js';
import type { Vars } from '../playbook/types.js';

export interface GroupRecord {
  name: string;
  /** Variables from inventory sources ([g:vars], `vars:`). */
  vars: Vars;
  /** Variables from group_vars/ files beside the inventory sources. */
  fileVars: Vars;
  hosts: string[];
  children: string[];
  parents: string[];
  priority: number;
  /** Longest distance from 'all', set by reconcile(). */
  depth: number;
}

export interface HostRecord {
  name: string;
  /** inventory_file/inventory_dir, the `:port` and inline variables, in definition order. */
  vars: Vars;
  /** Variables from host_vars/ files. */
  fileVars: Vars;
  /** Direct groups, in the order the host joined them. */
  groups: string[];
}

interface Edge {
  pos?: SourcePos;
  seq: number;
}

export class InventoryData {
  readonly groups = new Map<string, GroupRecord>();
  readonly hosts = new Map<string, HostRecord>();
  /** The source being read, recorded as inventory_file on hosts it creates. */
  currentSource: string | undefined;
  private readonly edges = new Map<string, Edge>();
  private edgeCount = 0;

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChildGroup('all', 'ungrouped');
  }

  addGroup(name: string): GroupRecord {
    let group = this.groups.get(name);
    if (!group) {
      group = { name, vars: {}, fileVars: {}, hosts: [], children: [], parents: [], priority: 1, depth: 0 };
      this.groups.set(name, group);
    }
    return group;
  }

  addHost(name: string, group: string | undefined, port: number | undefined): HostRecord {
    let host = this.hosts.get(name);
    if (!host) {
      host = { name, vars: {}, fileVars: {}, groups: [] };
      this.hosts.set(name, host);
      const source = this.currentSource;
      host.vars.inventory_file = source ?? null;
      host.vars.inventory_dir = source ? path.dirname(source) : null;
      if (port) host.vars.ansible_port = port;
    }
    if (group !== undefined) this.addHostToGroup(group, name);
    return host;
  }

  addHostToGroup(groupName: string, hostName: string): void {
    const group = this.groups.get(groupName)!;
    const host = this.hosts.get(hostName)!;
    if (host.groups.includes(groupName)) return;
    group.hosts.push(hostName);
    host.groups.push(groupName);
  }

  /** Links a child group; cycles are found later by reconcile(), at the edge that closed them. */
  addChildGroup(parentName: string, childName: string, pos?: SourcePos): void {
    if (parentName === childName) {
      throw new PlayError(`group '${parentName}' cannot be a child of itself`, pos);
    }
    const parent = this.addGroup(parentName);
    const child = this.addGroup(childName);
    if (parent.children.includes(childName)) return;
    parent.children.push(childName);
    child.parents.push(parentName);
    this.edges.set(edgeKey(parentName, childName), { pos, seq: this.edgeCount++ });
  }

  setGroupVar(groupName: string, key: string, value: unknown, pos?: SourcePos): void {
    const group = this.groups.get(groupName)!;
    if (key === 'ansible_group_priority') {
      const priority = Number(value);
      if (!Number.isInteger(priority)) {
        throw new PlayError(`ansible_group_priority of group '${groupName}' must be an integer, got '${String(value)}'`, pos);
      }
      group.priority = priority;
      return;
    }
    group.vars[key] = value;
  }

  setHostVar(hostName: string, key: string, value: unknown): void {
    this.hosts.get(hostName)!.vars[key] = value;
  }

  /** Ansible's reconcile_inventory, plus the cycle check and depth it does while linking. */
  reconcile(): void {
    this.rejectCycles();
    for (const group of this.groups.values()) {
      if (group.name !== 'all' && group.parents.length === 0) this.addChildGroup('all', group.name);
    }
    for (const host of this.hosts.values()) {
      const direct = host.groups;
      if (direct.includes('ungrouped')) {
        if (direct.some((g) => g !== 'all' && g !== 'ungrouped')) this.removeHostFromGroup('ungrouped', host.name);
      } else if (direct.every((g) => g === 'all')) {
        this.addHostToGroup('ungrouped', host.name);
      }
    }
    this.computeDepths();
  }

  private removeHostFromGroup(groupName: string, hostName: string): void {
    const group = this.groups.get(groupName)!;
    const host = this.hosts.get(hostName)!;
    group.hosts.splice(group.hosts.indexOf(hostName), 1);
    host.groups.splice(host.groups.indexOf(groupName), 1);
  }

  /** Depth-first search over child links; a link back into the current path closes a loop. */
  private rejectCycles(): void {
    const state = new Map<string, 'open' | 'done'>();
    const pathStack: string[] = [];
    const visit = (name: string): void => {
      state.set(name, 'open');
      pathStack.push(name);
      for (const child of this.groups.get(name)!.children) {
        const childState = state.get(child);
        if (childState === 'open') this.throwCycle([...pathStack.slice(pathStack.indexOf(child)), child]);
        if (childState === undefined) visit(child);
      }
      pathStack.pop();
      state.set(name, 'done');
    };
    for (const name of this.groups.keys()) if (!state.has(name)) visit(name);
  }

  private throwCycle(loop: string[]): never {
    // Report the link written last: in Ansible that is the one whose addition failed.
    let closing = { parent: loop[0], child: loop[1], edge: this.edges.get(edgeKey(loop[0], loop[1]))! };
    for (let i = 1; i < loop.length - 1; i++) {
      const edge = this.edges.get(edgeKey(loop[i], loop[i + 1]))!;
      if (edge.seq > closing.edge.seq) closing = { parent: loop[i], child: loop[i + 1], edge };
    }
    throw new PlayError(
      `adding group '${closing.child}' as child of '${closing.parent}' creates a loop: ${loop.join(' -> ')}`,
      closing.edge.pos,
    );
  }

  private computeDepths(): void {
    const known = new Map<string, number>([['all', 0]]);
    const depthOf = (name: string): number => {
      const cached = known.get(name);
      if (cached !== undefined) return cached;
      const parents = this.groups.get(name)!.parents;
      const depth = parents.length ? Math.max(...parents.map((p) => depthOf(p) + 1)) : 0;
      known.set(name, depth);
      return depth;
    };
    for (const group of this.groups.values()) group.depth = depthOf(group.name);
  }
}

function edgeKey(parent: string, child: string): string {
  return `${parent}\n${child}`;
}
