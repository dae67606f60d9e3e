/**
 * `play inventory`: shows an inventory the way `ansible-inventory` does (--list, --graph, --host),
 * plus `--list-hosts` to see what a pattern or --limit selects.
 */
import { Command, CommanderError } from 'commander';
import { stringify } from 'yaml';
import { ExitCode, OptionsError } from '../errors.js';
import { loadInventory, type Inventory, type InventoryGroup } from '../inventory/index.js';
import { pythonJsonDumps, pythonStr } from '../inventory/python-format.js';
import type { Vars } from '../playbook/types.js';
import { describeError, sourceLineReader } from './error-display.js';

interface InventoryCommandOptions {
  inventory: string[];
  list?: boolean;
  host?: string;
  graph?: boolean;
  listHosts?: boolean;
  limit?: string;
  vars?: boolean;
  yaml?: boolean;
}

export interface InventoryCommandIO {
  /** Where errors and warnings go (default: stderr). */
  err?: (text: string) => void;
  /** Directory relative inventory paths are resolved against (default: process.cwd()). */
  cwd?: string;
}

/** Variables Ansible computes rather than reads, which ansible-inventory leaves out. */
const INTERNAL_VARS = new Set([
  'inventory_file', 'inventory_dir', 'inventory_hostname', 'inventory_hostname_short', 'group_names', 'groups',
  'hostvars', 'omit', 'playbook_dir', 'ansible_facts', 'ansible_version', 'ansible_playbook_python',
  'ansible_config_file', 'ansible_check_mode', 'ansible_diff_mode', 'ansible_forks', 'ansible_inventory_sources',
  'ansible_limit', 'ansible_run_tags', 'ansible_skip_tags', 'ansible_verbosity',
]);

function buildParser(out: (text: string) => void, err: (text: string) => void): Command {
  return new Command('play inventory')
    .description('Show the inventory as Ansible sees it, like ansible-inventory.')
    .argument('[pattern]', 'with --graph: the group to draw (default all); with --list-hosts: the host pattern')
    .option('-i, --inventory <source>', 'inventory file, directory or comma-separated host list (repeatable)', collect, [])
    .option('--list', 'print every group and host variable as JSON (the inventory-script format)')
    .option('--host <name>', 'print the merged variables of one host')
    .option('--graph', 'draw the group tree')
    .option('--list-hosts', 'print the hosts the pattern (and --limit) select, one per line')
    .option('-l, --limit <pattern>', 'only hosts matching this pattern; @FILE reads one pattern per line')
    .option('--vars', 'with --graph: show variables')
    .option('-y, --yaml', 'print YAML instead of JSON (--list, --host)')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err, outputError: (text, write) => write(text) });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function inventoryCommand(
  argv: string[],
  out: (text: string) => void,
  io: InventoryCommandIO = {},
): Promise<number> {
  const err = io.err ?? ((text: string) => void process.stderr.write(text));
  const cwd = io.cwd ?? process.cwd();
  const parser = buildParser(out, err);
  try {
    parser.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.OK : ExitCode.BAD_OPTIONS;
    throw error;
  }
  const options = parser.opts<InventoryCommandOptions>();
  const pattern: string | undefined = parser.args[0];
  try {
    checkActions(options);
    const inventory = await loadInventory(options.inventory, { cwd });
    out(render(inventory, options, pattern, err) + '\n');
    return ExitCode.OK;
  } catch (error) {
    const { text, exitCode } = describeError(error, sourceLineReader(cwd));
    err(text);
    return exitCode;
  }
}

function checkActions(options: InventoryCommandOptions): void {
  const actions = [options.list, options.host !== undefined, options.graph, options.listHosts].filter(Boolean).length;
  if (actions === 0) throw new OptionsError('no action selected: use one of --list, --host, --graph or --list-hosts');
  if (actions > 1) throw new OptionsError('conflicting options: use only one of --list, --host, --graph or --list-hosts');
  if (options.inventory.length === 0) throw new OptionsError('no inventory given: use -i FILE, -i DIR or -i host1,host2,');
}

function render(inventory: Inventory, options: InventoryCommandOptions, pattern: string | undefined, err: (text: string) => void): string {
  const dump = (value: unknown): string => (options.yaml ? dumpYaml(value) : pythonJsonDumps(value));
  if (options.host !== undefined) {
    const hosts = inventory.select(options.host);
    if (hosts.length !== 1) throw new OptionsError(`--host needs a pattern naming exactly one host; '${options.host}' matches ${hosts.length}`);
    return dump(visibleVars(inventory.hostVars(hosts[0])));
  }
  const available = new Set(inventory.select('all', options.limit));
  if (options.graph) {
    const start = pattern ?? 'all';
    if (!inventory.groups.has(start)) throw new OptionsError(`--graph needs a group name; there is no group '${start}'`);
    return graphLines(inventory, start, 0, { showVars: options.vars === true, available }).join('\n');
  }
  if (options.listHosts) {
    const hosts = inventory.select(pattern ?? 'all', options.limit);
    if (hosts.length === 0) err('[WARNING]: No hosts matched\n');
    return hosts.join('\n');
  }
  return dump(options.yaml ? yamlInventory(inventory, available) : jsonInventory(inventory, available));
}

function dumpYaml(value: unknown): string {
  return stringify(value, { indentSeq: false, sortMapEntries: true }).trimEnd();
}

function visibleVars(vars: Vars): Vars {
  return Object.fromEntries(Object.entries(vars).filter(([key]) => !INTERNAL_VARS.has(key)));
}

/** What ansible-inventory shows as a group's variables: its own, group_vars/, and a non-default priority. */
function groupVarsView(group: InventoryGroup): Vars {
  const vars = visibleVars(group.vars);
  if (group.priority !== 1) vars.ansible_group_priority = group.priority;
  return vars;
}

/** The inventory-script JSON: each group's direct hosts and children, and every host's merged vars. */
function jsonInventory(inventory: Inventory, available: Set<string>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  const seen = new Set<string>();
  const format = (name: string): void => {
    const group = inventory.groups.get(name)!;
    const entry: Record<string, string[]> = {};
    const hosts = name === 'all' ? [] : group.hosts.filter((h) => available.has(h));
    if (hosts.length) entry.hosts = hosts;
    if (group.children.length) entry.children = [...group.children];
    if (hosts.length || group.children.length) result[name] = entry;
    for (const child of group.children) {
      if (seen.has(child)) continue;
      seen.add(child);
      format(child);
    }
  };
  format('all');
  const hostvars: Record<string, Vars> = {};
  for (const host of available) {
    const vars = visibleVars(inventory.hostVars(host));
    if (Object.keys(vars).length) hostvars[host] = vars;
  }
  result._meta = { hostvars };
  return result;
}

/** ansible-inventory --list --yaml: nested groups, each host's vars given at its first appearance. */
function yamlInventory(inventory: Inventory, available: Set<string>): Record<string, unknown> {
  const seenGroups = new Set<string>();
  const seenHosts = new Set<string>();
  const format = (name: string): Record<string, unknown> => {
    const group = inventory.groups.get(name)!;
    const children: Record<string, unknown> = {};
    for (const child of group.children) {
      if (seenGroups.has(child)) {
        children[child] = {};
        continue;
      }
      Object.assign(children, format(child));
      seenGroups.add(child);
    }
    const hosts: Record<string, Vars> = {};
    for (const host of name === 'all' ? [] : group.hosts) {
      if (!available.has(host)) continue;
      hosts[host] = seenHosts.has(host) ? {} : visibleVars(inventory.hostVars(host));
      seenHosts.add(host);
    }
    const entry: Record<string, unknown> = {};
    if (Object.keys(children).length) entry.children = children;
    if (Object.keys(hosts).length) entry.hosts = hosts;
    return Object.keys(entry).length ? { [name]: entry } : {};
  };
  return format('all');
}

function graphName(name: string, depth: number): string {
  return depth ? `${'  |'.repeat(depth)}--${name}` : name;
}

function varLines(vars: Vars, depth: number): string[] {
  return Object.keys(vars)
    .sort()
    .map((key) => graphName(`{${key} = ${pythonStr(vars[key])}}`, depth));
}

/** The `@group:` tree of ansible-inventory --graph; hosts outside --limit are left out. */
function graphLines(
  inventory: Inventory,
  name: string,
  depth: number,
  view: { showVars: boolean; available: Set<string> },
): string[] {
  const group = inventory.groups.get(name)!;
  const lines = [graphName(`@${name}:`, depth)];
  for (const child of group.children) lines.push(...graphLines(inventory, child, depth + 1, view));
  if (name !== 'all') {
    for (const host of group.hosts) {
      if (!view.available.has(host)) continue;
      lines.push(graphName(host, depth + 1));
      if (view.showVars) lines.push(...varLines(visibleVars(inventory.hostVars(host)), depth + 2));
    }
  }
  if (view.showVars) lines.push(...varLines(groupVarsView(group), depth + 1));
  return lines;
}
