import path from 'node:path';
import { ExitCode, PlayError, type SourcePos } from '../errors.js';
import { renderTemplate } from '../vars/index.js';
import type { Inherited, LoadContext } from './context.js';
import { isFile } from './context.js';
import {
  checkKeys,
  didYouMean,
  dropUndefined,
  expectBool,
  expectMap,
  expectString,
  expectStringList,
  expectTags,
  findEntry,
  optionalSeq,
  readOptional,
  unique,
} from './nodes.js';
import { parseRoleEntry, RoleExpander } from './roles.js';
import { allTasks, checkTemplatesIn, inheritFrom, parseTaskList, readVars } from './tasks.js';
import type { Handler, Play, Task, TaskNode, Vars } from './types.js';
import type { YMap, YNode } from './yaml-source.js';

const PLAY_KEYS = [
  'name', 'hosts', 'vars', 'vars_files', 'gather_facts', 'become', 'become_user', 'become_method', 'roles',
  'pre_tasks', 'tasks', 'post_tasks', 'handlers', 'serial', 'max_fail_percentage', 'any_errors_fatal', 'strategy',
  'tags', 'force_handlers', 'check_mode', 'ignore_errors', 'no_log',
];

const UNSUPPORTED_PLAY_KEYS: Readonly<Record<string, string>> = {
  remote_user: 'set ansible_user in the inventory or pass -u USER',
  environment: "set variables in the commands themselves (shell: 'VAR=value command')",
  connection: 'the connection comes from the inventory (ansible_connection)',
  vars_prompt: 'pass values with -e instead',
  order: 'hosts run in inventory order',
  ignore_unreachable: 'unreachable hosts always leave the play',
  collections: 'modules are built in; no collections are searched',
  module_defaults: 'give the options on each task',
  gather_subset: 'facts are gathered in one fixed set',
  gather_timeout: 'fact gathering has no separate timeout',
  fact_path: 'local facts are not read',
  throttle: 'use -f/--forks',
  run_once: 'set run_once on the tasks',
  debugger: 'there is no task debugger',
  diff: 'use -D/--diff for the whole run',
  when: "a play has no 'when'; put it on its tasks, roles or a block",
};

const STRATEGIES = ['linear', 'free'] as const;

function readSerial(node: YNode): (number | string)[] {
  const items = node.kind === 'seq' ? node.items : [node];
  return items.map((item) => {
    const bad = () =>
      new PlayError(
        `'serial' must be a positive whole number, a percentage such as '30%', or a list of those; got '${item.kind === 'scalar' ? String(item.value) : item.kind}'`,
        item.pos,
      );
    if (item.kind !== 'scalar') throw bad();
    const value = item.value;
    if (typeof value === 'number') {
      if (!Number.isInteger(value) || value < 1) throw bad();
      return value;
    }
    if (typeof value !== 'string') throw bad();
    const text = value.trim();
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
    if (percent) {
      const amount = Number(percent[1]);
      if (amount <= 0 || amount > 100) throw bad();
      return text;
    }
    if (/^\d+$/.test(text) && Number(text) >= 1) return Number(text);
    throw bad();
  });
}

function readPercentage(node: YNode): number {
  const raw = node.kind === 'scalar' ? node.value : undefined;
  const value = typeof raw === 'string' ? Number(raw.trim().replace(/%$/, '')) : raw;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || value > 100) {
    throw new PlayError(`'max_fail_percentage' must be a number from 0 to 100, got '${String(raw)}'`, node.pos);
  }
  return value;
}

function readHosts(map: YMap, ctx: LoadContext, playVars: Vars): string {
  const entry = findEntry(map, 'hosts');
  if (!entry) throw new PlayError("a play needs 'hosts' (a host pattern such as 'all' or 'gpu_nodes')", map.pos);
  const hosts = expectStringList(entry.value, "'hosts'")
    .map((h) => templateWithPlayVars(h, entry.value.pos, ctx, playVars).trim())
    .filter((h) => h !== '');
  if (hosts.length === 0) throw new PlayError("'hosts' is empty; give a host pattern such as 'all'", entry.value.pos);
  return hosts.join(',');
}

/** vars_files: paths relative to the playbook; a nested list means "the first of these that exists". */
function readVarsFiles(node: YNode | undefined, ctx: LoadContext, playbookDir: string, playVars: Vars): Vars {
  const vars: Vars = {};
  for (const item of optionalSeq(node, "'vars_files'")) {
    const choices = item.kind === 'seq' ? item.items : [item];
    const tried: string[] = [];
    let found: string | undefined;
    for (const choice of choices) {
      const file = path.resolve(playbookDir, templateWithPlayVars(expectString(choice, 'a vars_files entry'), choice.pos, ctx, playVars));
      tried.push(ctx.display(file));
      if (isFile(file)) {
        found = file;
        break;
      }
    }
    if (!found) throw new PlayError(`vars file not found: ${tried.join(', ')}`, item.pos);
    const content = ctx.readYaml(found);
    if (!content || (content.kind === 'scalar' && content.value === null)) continue;
    Object.assign(vars, readVars(expectMap(content, `the vars file ${ctx.display(found)}`), 'a vars file'));
  }
  return vars;
}

/**
 * `hosts` and vars_files paths are templated at load time, when only extra vars and play vars exist
 * (as Ansible does); an undefined variable there is a load error (exit 4).
 */
function templateWithPlayVars(text: string, pos: SourcePos, ctx: LoadContext, playVars: Vars): string {
  if (!text.includes('{{')) return text;
  try {
    return renderTemplate(text, { ...playVars, ...ctx.extraVars }, pos);
  } catch (error) {
    if (error instanceof PlayError) throw new PlayError(error.message, error.pos ?? pos, ExitCode.PARSE_ERROR);
    throw error;
  }
}

/** What import_playbook adds to every play it imports. */
export interface ImportedAttributes {
  vars: Vars;
  tags: string[];
}

export function parsePlay(node: YNode, ctx: LoadContext, playbookDir: string, imported: ImportedAttributes): Play {
  const map = expectMap(node, 'a play');
  checkKeys(map, PLAY_KEYS, 'a play', UNSUPPORTED_PLAY_KEYS);
  const optional = <T>(key: string, read: (n: YNode, what: string) => T): T | undefined => readOptional(map, key, read);
  const name = optional('name', expectString);
  if (name !== undefined) checkTemplatesIn(findEntry(map, 'name')!.value);
  const vars = { ...readVars(findEntry(map, 'vars')?.value, "a play's 'vars'"), ...imported.vars };
  const hosts = readHosts(map, ctx, vars);
  const tags = unique([...imported.tags, ...(optional('tags', expectTags) ?? [])]);
  const strategy = optional('strategy', expectString) ?? 'linear';
  if (!(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new PlayError(`'strategy' must be one of: ${STRATEGIES.join(', ')}; got '${strategy}'${didYouMean(strategy, STRATEGIES)}`, findEntry(map, 'strategy')!.value.pos);
  }
  const become = {
    become: optional('become', expectBool),
    becomeUser: optional('become_user', expectString),
    becomeMethod: optional('become_method', expectString),
  };

  const scope = new RoleExpander(ctx, playbookDir);
  const base: Inherited = {
    when: [],
    tags,
    vars: {},
    ...become,
    checkMode: optional('check_mode', expectBool),
    ignoreErrors: optional('ignore_errors', expectBool),
    noLog: optional('no_log', expectBool),
    baseDir: playbookDir,
    includeStack: [],
  };
  const section = (key: string) => parseTaskList(optionalSeq(findEntry(map, key)?.value, `'${key}'`), scope, base, 'tasks');
  const preTasks = section('pre_tasks');
  const roleTasks = optionalSeq(findEntry(map, 'roles')?.value, "'roles'").flatMap((item) => {
    const entry = parseRoleEntry(item);
    return scope.useRole(entry.use, inheritFrom(base, entry.own), []);
  });
  const tasks = [...roleTasks, ...section('tasks')];
  const postTasks = section('post_tasks');
  const playHandlers = parseTaskList(optionalSeq(findEntry(map, 'handlers')?.value, "'handlers'"), scope, base, 'handlers') as Handler[];
  const handlers = [...scope.roleHandlers, ...playHandlers];
  checkNotifications([...preTasks, ...tasks, ...postTasks, ...handlers], handlers);

  const serialEntry = findEntry(map, 'serial');
  const maxFail = findEntry(map, 'max_fail_percentage');
  return dropUndefined<Play>({
    pos: map.pos,
    name: name ?? hosts,
    hosts,
    vars,
    varsFiles: readVarsFiles(findEntry(map, 'vars_files')?.value, ctx, playbookDir, vars),
    gatherFacts: optional('gather_facts', expectBool) ?? true,
    ...become,
    preTasks,
    tasks,
    postTasks,
    handlers,
    roles: scope.roles,
    serial: serialEntry ? readSerial(serialEntry.value) : [],
    maxFailPercentage: maxFail ? readPercentage(maxFail.value) : undefined,
    anyErrorsFatal: optional('any_errors_fatal', expectBool) ?? false,
    strategy: strategy as Play['strategy'],
    forceHandlers: optional('force_handlers', expectBool) ?? false,
    tags,
  });
}

/** The name a handler answers to: its name, "role : name" for role handlers, and its listen topics. */
function handlerNames(handler: Handler): string[] {
  const names = [...handler.listen];
  if (handler.name !== undefined) {
    names.push(handler.name);
    if (handler.role) names.push(`${handler.role.name} : ${handler.name}`);
  }
  return names;
}

/** Ansible finds a notify naming no handler only when the task changes; we fail before the run. */
function checkNotifications(nodes: TaskNode[], handlers: Handler[]): void {
  const known = new Set(handlers.flatMap(handlerNames));
  for (const task of allTasks(nodes) as Generator<Task>) {
    for (const target of task.notify) {
      if (known.has(target)) continue;
      const label = task.name ? `task '${task.name}'` : `this ${task.module} task`;
      throw new PlayError(
        `${label} notifies '${target}', but no handler has that name or listens to it${didYouMean(target, known)}`,
        task.pos,
      );
    }
  }
}
