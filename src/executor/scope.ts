import type { Inventory } from '../inventory/index.js';
import type { Play, Playbook, RoleInstance, Task, Vars } from '../playbook/types.js';
import { buildVars, lazyHostvars } from '../vars/index.js';
import type { HostState } from './host-state.js';
import type { RunOptions } from './types.js';

/** Defaults of a role with its dependencies' first, so the role's own win. */
function chainOf(role: RoleInstance, pick: (r: RoleInstance) => Vars, seen = new Set<RoleInstance>()): Vars {
  if (seen.has(role)) return {};
  seen.add(role);
  const merged: Vars = {};
  for (const dep of role.dependencies) Object.assign(merged, chainOf(dep, pick, seen));
  return Object.assign(merged, pick(role));
}

const roleDefaults = (r: RoleInstance) => r.defaults;
const roleVars = (r: RoleInstance) => ({ ...r.vars, ...r.params });

/**
 * Builds the variables a task sees on a host, level by level (src/vars precedence).
 * Play-wide pieces are computed once per play; per-host pieces are views, not copies.
 */
export class VarScope {
  private readonly playRoleDefaults: Vars;
  private readonly playRoleVars: Vars;
  private readonly roleLayers = new Map<RoleInstance, { defaults: Vars; vars: Vars }>();
  private readonly groups: Record<string, string[]>;
  private readonly hostvars: Vars;
  private playHosts: string[] = [];
  private batchHosts: string[] = [];
  private activeLists?: { play: string[]; batch: string[] };
  private readonly groupNames = new Map<string, string[]>();

  constructor(
    private readonly inventory: Inventory,
    private readonly playbook: Playbook,
    private readonly play: Play,
    private readonly hosts: Map<string, HostState>,
    private readonly options: RunOptions,
  ) {
    this.playRoleDefaults = Object.assign({}, ...play.roles.map((r) => chainOf(r, roleDefaults)));
    this.playRoleVars = Object.assign({}, ...play.roles.map((r) => chainOf(r, roleVars)));
    this.groups = inventory.groupsMap();
    this.hostvars = lazyHostvars([...inventory.hosts.keys()], (host) => this.forHost(host));
  }

  /** The hosts of the play and of the current batch (`ansible_play_hosts`, `ansible_play_batch`). */
  setHosts(playHosts: string[], batchHosts: string[]): void {
    this.playHosts = playHosts;
    this.batchHosts = batchHosts;
    this.hostsChanged();
  }

  /** A host failed or ended: the active host lists are computed again on next use. */
  hostsChanged(): void {
    this.activeLists = undefined;
  }

  /** Computed once per change, not once per task and host: a fleet must not cost hosts². */
  private active(): { play: string[]; batch: string[] } {
    if (!this.activeLists) {
      const alive = (h: string) => this.hosts.get(h)?.active ?? true;
      this.activeLists = { play: this.playHosts.filter(alive), batch: this.batchHosts.filter(alive) };
    }
    return this.activeLists;
  }

  private layersOf(role: RoleInstance): { defaults: Vars; vars: Vars } {
    let layers = this.roleLayers.get(role);
    if (!layers) {
      layers = {
        defaults: { ...this.playRoleDefaults, ...chainOf(role, roleDefaults) },
        vars: { ...this.playRoleVars, ...chainOf(role, roleVars) },
      };
      this.roleLayers.set(role, layers);
    }
    return layers;
  }

  private groupNamesOf(host: string): string[] {
    let names = this.groupNames.get(host);
    if (!names) {
      names = this.inventory.hosts.has(host) ? this.inventory.groupNames(host) : [];
      this.groupNames.set(host, names);
    }
    return names;
  }

  private magic(host: string, role: RoleInstance | undefined): Vars {
    const active = this.active();
    const magic: Vars = {
      inventory_hostname: host,
      inventory_hostname_short: host.split('.')[0],
      group_names: this.groupNamesOf(host),
      groups: this.groups,
      hostvars: this.hostvars,
      ansible_play_hosts: active.play,
      ansible_play_hosts_all: this.playHosts,
      ansible_play_batch: active.batch,
      ansible_play_name: this.play.name,
      ansible_check_mode: this.options.check,
      ansible_diff_mode: this.options.diff,
      ansible_verbosity: this.options.verbosity,
      playbook_dir: this.playbook.dir,
    };
    if (role) {
      magic.role_name = role.name;
      magic.role_path = role.path;
    }
    return magic;
  }

  /** A host's variables outside any task: what `hostvars[host]` shows. */
  forHost(host: string): Vars {
    return this.build(host, undefined);
  }

  forTask(host: string, task: Task): Vars {
    return this.build(host, task);
  }

  private build(host: string, task: Task | undefined): Vars {
    const state = this.hosts.get(host);
    const role = task?.role;
    const layers = role ? this.layersOf(role) : { defaults: this.playRoleDefaults, vars: this.playRoleVars };
    return buildVars({
      roleDefaults: layers.defaults,
      inventory: this.inventory.hosts.has(host) ? this.inventory.hostVars(host) : {},
      facts: state?.facts ?? {},
      playVars: this.play.vars,
      varsFiles: this.play.varsFiles,
      roleVars: layers.vars,
      taskVars: task?.vars,
      hostFacts: state?.hostFacts ?? {},
      extraVars: this.options.extraVars,
      magic: this.magic(host, role),
      pos: task?.pos,
    });
  }
}
