import { readdirSync } from 'node:fs';
import path from 'node:path';
import { PlayError, type SourcePos } from '../errors.js';
import { isDirectory, isFile, type Inherited, type LoadContext, type PlayScope, type RoleUse } from './context.js';
import { checkKeys, didYouMean, expectBool, expectMap, findEntry, optionalSeq } from './nodes.js';
import {
  checkTemplatesIn,
  inheritFrom,
  parseTaskList,
  readOwnAttributes,
  staticName,
  type OwnAttributes,
} from './tasks.js';
import type { Handler, RoleInstance, TaskNode, Vars } from './types.js';
import { toPlain, type YMap, type YNode } from './yaml-source.js';

/** Keywords of a role entry that apply to the role's tasks; every other key is a role parameter. */
const ROLE_ATTRIBUTE_KEYS = ['when', 'tags', 'become', 'become_user', 'become_method', 'check_mode', 'ignore_errors', 'no_log'];
const META_KEYS = ['dependencies', 'allow_duplicates', 'galaxy_info', 'argument_specs', 'collections'];

export interface RoleEntry {
  use: RoleUse;
  own: OwnAttributes;
}

/** A `roles:` item or a meta dependency: `name`, or `{role: name, tags, when, vars, param: value...}`. */
export function parseRoleEntry(node: YNode): RoleEntry {
  if (node.kind === 'scalar') {
    return { use: { name: staticName(node, 'a role name'), pos: node.pos, params: {} }, own: readOwnAttributes({ kind: 'map', pos: node.pos, entries: [] }) };
  }
  const map = expectMap(node, 'a role entry');
  const role = findEntry(map, 'role');
  const name = findEntry(map, 'name');
  if (role && name) throw new PlayError("a role entry takes 'role' or 'name', not both", name.keyPos);
  const nameEntry = role ?? name;
  if (!nameEntry) throw new PlayError("a role entry needs 'role' (the role's name or path)", map.pos);
  const attributes: YMap = { ...map, entries: map.entries.filter((e) => ROLE_ATTRIBUTE_KEYS.includes(e.key)) };
  const params: Vars = {};
  for (const entry of map.entries) {
    if (entry === nameEntry || ROLE_ATTRIBUTE_KEYS.includes(entry.key)) continue;
    checkTemplatesIn(entry.value);
    if (entry.key === 'vars') Object.assign(params, toPlain(expectMap(entry.value, "a role's 'vars'")) as Vars);
    else params[entry.key] = toPlain(entry.value);
  }
  return {
    use: { name: staticName(nameEntry.value, 'a role name'), pos: nameEntry.value.pos, params },
    own: readOwnAttributes(attributes),
  };
}

/** JSON with sorted keys, so equal params give equal keys whatever their order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableJson((value as Vars)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

type RoleSubdir = 'tasks' | 'handlers' | 'defaults' | 'vars' | 'meta';

interface RoleMeta {
  allowDuplicates: boolean;
  dependencies: RoleEntry[];
}

/**
 * Expands roles for one play: finds them, loads their files, puts dependencies first, and runs
 * each role once per play unless its params differ or it allows duplicates (Ansible's dedup).
 */
export class RoleExpander implements PlayScope {
  readonly roleHandlers: Handler[] = [];
  /** Every role instance of the play, in the order their tasks run. */
  readonly roles: RoleInstance[] = [];
  private readonly seen = new Map<string, RoleInstance>();
  private readonly stack: string[] = [];

  constructor(
    readonly ctx: LoadContext,
    readonly playbookDir: string,
  ) {}

  useRole(use: RoleUse, inherited: Inherited, searchDirs: string[]): TaskNode[] {
    return this.expand(use, inherited, searchDirs).nodes;
  }

  private expand(use: RoleUse, inherited: Inherited, searchDirs: string[]): { instance: RoleInstance; nodes: TaskNode[] } {
    const rolePath = this.resolve(use.name, use.pos, searchDirs);
    if (this.stack.includes(rolePath)) {
      const chain = [...this.stack, rolePath].map((p) => path.basename(p)).join(' -> ');
      throw new PlayError(`role dependency cycle: ${chain}`, use.pos);
    }
    const meta = this.readMeta(rolePath, use.pos);
    const key = stableJson([rolePath, use.params, use.tasksFrom, use.varsFrom, use.defaultsFrom, use.handlersFrom]);
    const existing = this.seen.get(key);
    if (existing && !(use.allowDuplicates ?? meta.allowDuplicates)) return { instance: existing, nodes: [] };

    const instance: RoleInstance = {
      name: use.name.includes('/') ? path.basename(rolePath) : use.name,
      path: rolePath,
      defaults: this.readVarsFile(rolePath, 'defaults', use.defaultsFrom, use.pos),
      vars: this.readVarsFile(rolePath, 'vars', use.varsFrom, use.pos),
      params: use.params,
      dependencies: [],
    };
    if (!existing) this.seen.set(key, instance);

    const nodes: TaskNode[] = [];
    this.stack.push(rolePath);
    for (const dependency of meta.dependencies) {
      const inner = this.expand(dependency.use, inheritFrom(inherited, dependency.own), [path.dirname(rolePath)]);
      instance.dependencies.push(inner.instance);
      nodes.push(...inner.nodes);
    }
    this.stack.pop();
    this.roles.push(instance);

    const tasksDir = path.join(rolePath, 'tasks');
    const inRole = (file: string): Inherited => ({
      ...inherited,
      role: instance,
      baseDir: path.dirname(file),
      roleTasksDir: tasksDir,
      includeStack: [file],
    });
    const handlersFile = this.roleFile(rolePath, 'handlers', use.handlersFrom, use.pos);
    if (handlersFile) {
      const items = optionalSeq(this.ctx.readYaml(handlersFile), `the handler file ${this.ctx.display(handlersFile)}`);
      this.roleHandlers.push(...(parseTaskList(items, this, inRole(handlersFile), 'handlers') as Handler[]));
    }
    const tasksFile = this.roleFile(rolePath, 'tasks', use.tasksFrom, use.pos);
    if (tasksFile) {
      const items = optionalSeq(this.ctx.readYaml(tasksFile), `the task file ${this.ctx.display(tasksFile)}`);
      nodes.push(...parseTaskList(items, this, inRole(tasksFile), 'tasks'));
    }
    return { instance, nodes };
  }

  /** Lookup order: a path as given; else roles/ beside the playbook, ../roles, the cwd's roles/, the including role's siblings, the playbook dir. */
  private resolve(name: string, pos: SourcePos, searchDirs: string[]): string {
    if (name.includes('/') || name.startsWith('.')) {
      const candidate = path.resolve(this.playbookDir, name);
      if (isDirectory(candidate)) return candidate;
      throw new PlayError(`role '${name}' not found: ${this.ctx.display(candidate)} is not a directory`, pos);
    }
    const dirs = [
      path.join(this.playbookDir, 'roles'),
      path.resolve(this.playbookDir, '..', 'roles'),
      path.join(this.ctx.cwd, 'roles'),
      ...searchDirs,
      this.playbookDir,
    ].filter((dir, index, all) => all.indexOf(dir) === index);
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (isDirectory(candidate)) return candidate;
    }
    const known = dirs.filter(isDirectory).flatMap((dir) => readdirSync(dir).filter((entry) => isDirectory(path.join(dir, entry))));
    throw new PlayError(
      `role '${name}' not found; looked in: ${dirs.map((d) => this.ctx.display(d)).join(', ')}${didYouMean(name, known)}`,
      pos,
    );
  }

  /** `main.yml`, `main.yaml` or `main` (or the `*_from` name); a missing main file is fine, a missing `*_from` is not. */
  private roleFile(rolePath: string, subdir: RoleSubdir, from: string | undefined, pos: SourcePos): string | undefined {
    const base = from ?? 'main';
    const names = path.extname(base) ? [base] : [`${base}.yml`, `${base}.yaml`, base];
    const candidates = names.map((n) => path.join(rolePath, subdir, n));
    const found = candidates.find(isFile);
    if (!found && from !== undefined) {
      throw new PlayError(
        `file '${from}' not found in role ${path.basename(rolePath)}'s ${subdir}/; looked for: ${candidates.map((c) => this.ctx.display(c)).join(', ')}`,
        pos,
      );
    }
    return found;
  }

  private readVarsFile(rolePath: string, subdir: 'defaults' | 'vars', from: string | undefined, pos: SourcePos): Vars {
    const file = this.roleFile(rolePath, subdir, from, pos);
    if (!file) return {};
    const node = this.ctx.readYaml(file);
    if (!node || (node.kind === 'scalar' && node.value === null)) return {};
    const map = expectMap(node, `the ${subdir} file ${this.ctx.display(file)}`);
    checkTemplatesIn(map);
    return toPlain(map) as Vars;
  }

  private readMeta(rolePath: string, pos: SourcePos): RoleMeta {
    const file = this.roleFile(rolePath, 'meta', undefined, pos);
    const node = file ? this.ctx.readYaml(file) : undefined;
    if (!file || !node || (node.kind === 'scalar' && node.value === null)) return { allowDuplicates: false, dependencies: [] };
    const map = expectMap(node, `the role meta file ${this.ctx.display(file)}`);
    checkKeys(map, META_KEYS, `the role meta file ${this.ctx.display(file)}`);
    const allow = findEntry(map, 'allow_duplicates');
    return {
      allowDuplicates: allow ? expectBool(allow.value, "'allow_duplicates'") : false,
      dependencies: optionalSeq(findEntry(map, 'dependencies')?.value, "'dependencies'").map(parseRoleEntry),
    };
  }
}
