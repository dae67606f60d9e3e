import path from 'node:path';
import { PlayError, type SourcePos } from '../errors.js';
import { findModule, moduleNames, validateModuleArgs } from '../modules/index.js';
import type { ModuleDefinition } from '../modules/types.js';
import { checkExpression, checkTemplate } from '../vars/index.js';
import { isFile, type Inherited, type InheritableAttributes, type PlayScope } from './context.js';
import { parseKeyValue } from './kv.js';
import {
  checkKeys,
  didYouMean,
  dropUndefined,
  expectBool,
  expectConditions,
  expectMap,
  expectString,
  expectStringList,
  expectTags,
  findEntry,
  optionalSeq,
  readOptional,
  unique,
} from './nodes.js';
import type { Block, Handler, MetaTask, Task, TaskNode, Vars } from './types.js';
import { stringsIn, toPlain, type YEntry, type YMap, type YNode } from './yaml-source.js';

/** Keywords every task-like node accepts (they are pushed down from blocks and imports). */
const COMMON_KEYS = ['name', 'when', 'tags', 'vars', 'become', 'become_user', 'become_method', 'check_mode', 'ignore_errors', 'no_log'] as const;
const TASK_KEYS = [
  ...COMMON_KEYS,
  'loop', 'with_items', 'loop_control', 'register', 'notify', 'changed_when', 'failed_when', 'run_once', 'delegate_to', 'args',
];
const HANDLER_KEYS = [...TASK_KEYS, 'listen'];
const BLOCK_KEYS = [...COMMON_KEYS, 'block', 'rescue', 'always'];
const META_ACTIONS: readonly MetaTask['action'][] = [
  'flush_handlers', 'noop', 'end_play', 'end_host', 'clear_facts', 'refresh_inventory', 'reset_connection',
];
const ROLE_INCLUDE_OPTIONS = ['name', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'allow_duplicates', 'public'];
const LOOP_KEYS = ['loop', 'with_items'];

/** Ansible task keywords this runner does not implement, with what to do instead. */
export const UNSUPPORTED_TASK_KEYS: Readonly<Record<string, string>> = {
  environment: "set variables in the command itself (shell: 'VAR=value command')",
  until: 'retries are not supported; use a wait_for task or a shell loop',
  retries: 'retries are not supported; use a wait_for task or a shell loop',
  delay: 'retries are not supported; use a wait_for task or a shell loop',
  async: 'asynchronous tasks are not supported',
  poll: 'asynchronous tasks are not supported',
  connection: 'the connection comes from the inventory (ansible_connection)',
  local_action: "use 'delegate_to: localhost'",
  action: "name the module as the task's key (e.g. 'copy:')",
  delegate_facts: 'facts always belong to the host the task runs for',
  throttle: 'use -f/--forks',
  any_errors_fatal: 'set it on the play',
  remote_user: 'set ansible_user in the inventory or pass -u',
  debugger: 'there is no task debugger',
  diff: 'use -D/--diff for the whole run',
  module_defaults: 'give the options on each task',
  collections: 'modules are built in; no collections are searched',
  timeout: 'task timeouts are not supported',
  with_dict: "use 'loop' with a list",
  with_list: "use 'loop'",
  with_fileglob: "use 'loop' with a list",
  with_together: "use 'loop' with a list",
  with_nested: "use 'loop' with a list",
  with_subelements: "use 'loop' with a list",
  with_sequence: "use 'loop' with a list",
  with_indexed_items: "use 'loop' with loop_control",
  include: "it was removed from Ansible; use 'include_tasks' or 'import_tasks'",
};

/** `ansible.builtin.import_tasks` and friends mean the same as the short keywords. */
function shortKeyword(key: string): string {
  for (const prefix of ['ansible.builtin.', 'ansible.legacy.']) {
    if (key.startsWith(prefix)) {
      const short = key.slice(prefix.length);
      if (['import_tasks', 'include_tasks', 'import_role', 'include_role', 'meta', 'import_playbook'].includes(short)) return short;
    }
  }
  return key;
}

export type Section = 'tasks' | 'handlers';

/** Parses a list of tasks (a section, a block body, an imported file) into plan nodes. */
export function parseTaskList(items: readonly YNode[], scope: PlayScope, inherited: Inherited, section: Section): TaskNode[] {
  return items.flatMap((item) => parseTaskEntry(item, scope, inherited, section));
}

function parseTaskEntry(node: YNode, scope: PlayScope, inherited: Inherited, section: Section): TaskNode[] {
  const what = section === 'handlers' ? 'a handler' : 'a task';
  const given = expectMap(node, what);
  const map: YMap = { ...given, entries: given.entries.map((e) => ({ ...e, key: shortKeyword(e.key) })) };
  const has = (key: string) => findEntry(map, key) !== undefined;
  if (has('block')) {
    if (section === 'handlers') throw new PlayError('a handler must be a task; blocks are not allowed among handlers', map.pos);
    return [parseBlock(map, scope, inherited)];
  }
  const importTasks = findEntry(map, 'import_tasks') ?? findEntry(map, 'include_tasks');
  if (importTasks) return parseTaskImport(map, importTasks, scope, inherited, section);
  const importRole = findEntry(map, 'import_role') ?? findEntry(map, 'include_role');
  if (importRole) {
    if (section === 'handlers') throw new PlayError(`'${importRole.key}' cannot be used among handlers`, importRole.keyPos);
    return parseRoleImport(map, importRole, scope, inherited);
  }
  if (has('import_playbook')) {
    throw new PlayError("'import_playbook' is only allowed at the top level of a playbook, not among tasks", findEntry(map, 'import_playbook')!.keyPos);
  }
  if (has('meta')) {
    if (section === 'handlers') throw new PlayError("'meta' cannot be used among handlers", findEntry(map, 'meta')!.keyPos);
    return [parseMeta(map, inherited)];
  }
  return [parseModuleTask(map, inherited, section)];
}

/** The keywords a node sets itself, before inheritance. */
export interface OwnAttributes extends InheritableAttributes {
  name?: string;
}

/** Reads `vars:` (a mapping, or a list of mappings merged in order) and checks its templates. */
export function readVars(node: YNode | undefined, what: string): Vars {
  if (!node || (node.kind === 'scalar' && node.value === null)) return {};
  const maps = node.kind === 'seq' ? node.items : [node];
  const vars: Vars = {};
  for (const item of maps) Object.assign(vars, toPlain(expectMap(item, what)) as Vars);
  checkTemplatesIn(node);
  return vars;
}

export function checkTemplatesIn(node: YNode | undefined): void {
  for (const { text, pos } of stringsIn(node)) if (text.includes('{{') || text.includes('{%')) checkTemplate(text, pos);
}

/** `when`-style conditions, syntax-checked now so a typo fails before any host is touched. */
function readConditions(node: YNode, what: string): string[] {
  return expectConditions(node, what).map(({ text, pos }) => {
    checkExpression(text, pos);
    return text;
  });
}

export function readOwnAttributes(map: YMap): OwnAttributes {
  const name = readOptional(map, 'name', expectString);
  const nameEntry = findEntry(map, 'name');
  if (name !== undefined && nameEntry) checkTemplatesIn(nameEntry.value);
  const whenEntry = findEntry(map, 'when');
  return {
    name,
    when: whenEntry ? readConditions(whenEntry.value, "'when'") : [],
    tags: readOptional(map, 'tags', expectTags) ?? [],
    vars: readVars(findEntry(map, 'vars')?.value, "'vars'"),
    become: readOptional(map, 'become', expectBool),
    becomeUser: readOptional(map, 'become_user', expectString),
    becomeMethod: readOptional(map, 'become_method', expectString),
    checkMode: readOptional(map, 'check_mode', expectBool),
    ignoreErrors: readOptional(map, 'ignore_errors', expectBool),
    noLog: readOptional(map, 'no_log', expectBool),
  };
}

/** What the children of a node (block, import, role) inherit from it. */
export function inheritFrom(parent: Inherited, own: OwnAttributes): Inherited {
  return {
    ...parent,
    when: [...parent.when, ...own.when],
    tags: unique([...parent.tags, ...own.tags]),
    vars: { ...parent.vars, ...own.vars },
    become: own.become ?? parent.become,
    becomeUser: own.becomeUser ?? parent.becomeUser,
    becomeMethod: own.becomeMethod ?? parent.becomeMethod,
    checkMode: own.checkMode ?? parent.checkMode,
    ignoreErrors: own.ignoreErrors ?? parent.ignoreErrors,
    noLog: own.noLog ?? parent.noLog,
  };
}

/** The common fields of a node: its own keywords over the inherited ones. */
function commonFields(pos: SourcePos, own: OwnAttributes, parent: Inherited) {
  const merged = inheritFrom(parent, own);
  return dropUndefined({
    pos,
    name: own.name,
    when: merged.when,
    tags: merged.tags,
    vars: merged.vars,
    role: parent.role,
    become: merged.become,
    becomeUser: merged.becomeUser,
    becomeMethod: merged.becomeMethod,
    checkMode: merged.checkMode,
    ignoreErrors: merged.ignoreErrors,
    noLog: merged.noLog,
  });
}

function parseBlock(map: YMap, scope: PlayScope, inherited: Inherited): Block {
  checkKeys(map, BLOCK_KEYS, 'a block', UNSUPPORTED_TASK_KEYS);
  const own = readOwnAttributes(map);
  const inner = inheritFrom(inherited, own);
  const section = (key: string) => parseTaskList(optionalSeq(findEntry(map, key)?.value, `'${key}'`), scope, inner, 'tasks');
  return { kind: 'block', ...commonFields(map.pos, own, inherited), block: section('block'), rescue: section('rescue'), always: section('always') };
}

function parseMeta(map: YMap, inherited: Inherited): MetaTask {
  checkKeys(map, ['meta', 'name', 'when', 'tags'], "a 'meta' task", UNSUPPORTED_TASK_KEYS);
  const entry = findEntry(map, 'meta')!;
  const action = expectString(entry.value, "'meta'");
  if (!(META_ACTIONS as readonly string[]).includes(action)) {
    throw new PlayError(`unknown meta action '${action}'; expected one of: ${META_ACTIONS.join(', ')}${didYouMean(action, META_ACTIONS)}`, entry.value.pos);
  }
  return { kind: 'meta', ...commonFields(map.pos, readOwnAttributes(map), inherited), action: action as MetaTask['action'] };
}

export function staticName(node: YNode, what: string): string {
  const text = expectString(node, what);
  if (text.includes('{{')) {
    throw new PlayError(`${what} cannot hold a template ('${text}'): it is resolved before the run, when no variables exist yet`, node.pos);
  }
  return text;
}

/** The first existing file among the candidates, tried with .yml/.yaml when no extension is given. */
export function findTaskFile(name: string, dirs: readonly string[]): { found?: string; tried: string[] } {
  const tried: string[] = [];
  const extensions = path.extname(name) ? [''] : ['', '.yml', '.yaml'];
  for (const dir of path.isAbsolute(name) ? [''] : dirs) {
    for (const extension of extensions) {
      const candidate = path.resolve(dir, name + extension);
      if (tried.includes(candidate)) continue;
      tried.push(candidate);
      if (isFile(candidate)) return { found: candidate, tried };
    }
  }
  return { tried };
}

function parseTaskImport(map: YMap, entry: YEntry, scope: PlayScope, inherited: Inherited, section: Section): TaskNode[] {
  checkKeys(map, [...COMMON_KEYS, entry.key], `'${entry.key}'`, { ...UNSUPPORTED_TASK_KEYS, ...loopReasons(entry.key) });
  let fileNode = entry.value;
  if (entry.value.kind === 'map') {
    checkKeys(entry.value, ['file'], `the options of '${entry.key}'`, { apply: "put the keywords on the importing task; they are pushed down to every task" });
    const file = findEntry(entry.value, 'file');
    if (!file) throw new PlayError(`'${entry.key}' needs 'file'`, entry.value.pos);
    fileNode = file.value;
  }
  const name = staticName(fileNode, `the file of '${entry.key}'`);
  const dirs = [inherited.baseDir, inherited.roleTasksDir, scope.playbookDir].filter((d): d is string => d !== undefined);
  const { found, tried } = findTaskFile(name, dirs);
  if (!found) {
    throw new PlayError(`file '${name}' for '${entry.key}' not found; looked for: ${tried.map((t) => scope.ctx.display(t)).join(', ')}`, fileNode.pos);
  }
  if (inherited.includeStack.includes(found)) {
    const chain = [...inherited.includeStack, found].map((f) => scope.ctx.display(f)).join(' -> ');
    throw new PlayError(`task files include each other in a cycle: ${chain}`, fileNode.pos);
  }
  const own = readOwnAttributes(map);
  const inner: Inherited = { ...inheritFrom(inherited, own), baseDir: path.dirname(found), includeStack: [...inherited.includeStack, found] };
  const items = optionalSeq(scope.ctx.readYaml(found), `the task file ${scope.ctx.display(found)}`);
  return parseTaskList(items, scope, inner, section);
}

function loopReasons(key: string): Record<string, string> {
  const reason = `a loop on '${key}' is not supported: files and roles are read before the run; put the loop on the tasks inside instead`;
  return Object.fromEntries(LOOP_KEYS.map((k) => [k, reason]));
}

function parseRoleImport(map: YMap, entry: YEntry, scope: PlayScope, inherited: Inherited): TaskNode[] {
  checkKeys(map, [...COMMON_KEYS, entry.key], `'${entry.key}'`, { ...UNSUPPORTED_TASK_KEYS, ...loopReasons(entry.key) });
  const options = expectMap(entry.value, `the options of '${entry.key}'`);
  checkKeys(options, ROLE_INCLUDE_OPTIONS, `the options of '${entry.key}'`, {
    apply: "put the keywords on the importing task; they are pushed down to every task of the role",
    rolespec_validate: 'role argument specs are not checked',
  });
  const nameEntry = findEntry(options, 'name');
  if (!nameEntry) throw new PlayError(`'${entry.key}' needs 'name' (the role to use)`, options.pos);
  const from = (key: string) => {
    const e = findEntry(options, key);
    return e ? staticName(e.value, `'${key}'`) : undefined;
  };
  const allowDuplicates = findEntry(options, 'allow_duplicates');
  const own = readOwnAttributes(map);
  const searchDirs = inherited.role ? [path.dirname(inherited.role.path)] : [];
  return scope.useRole(
    {
      name: staticName(nameEntry.value, 'the role name'),
      pos: nameEntry.value.pos,
      params: {},
      tasksFrom: from('tasks_from'),
      varsFrom: from('vars_from'),
      defaultsFrom: from('defaults_from'),
      handlersFrom: from('handlers_from'),
      allowDuplicates: allowDuplicates ? expectBool(allowDuplicates.value, "'allow_duplicates'") : true,
    },
    inheritFrom(inherited, own),
    searchDirs,
  );
}

/** The module key of a task: exactly one key that is not a task keyword and names a module. */
function findModuleEntry(map: YMap, allowed: readonly string[]): { entry: YEntry; def: ModuleDefinition } {
  let found: { entry: YEntry; def: ModuleDefinition } | undefined;
  for (const entry of map.entries) {
    if (allowed.includes(entry.key)) continue;
    const reason = UNSUPPORTED_TASK_KEYS[entry.key];
    if (reason !== undefined) throw new PlayError(`'${entry.key}' is not supported in a task: ${reason}`, entry.keyPos);
    const def = findModule(entry.key);
    if (!def) {
      throw new PlayError(
        `unknown key '${entry.key}' in a task: it is neither a task keyword nor a module${didYouMean(entry.key, [...allowed, ...moduleNames()])}`,
        entry.keyPos,
      );
    }
    if (found) {
      throw new PlayError(`a task runs one module, but this one names two: '${found.entry.key}' and '${entry.key}'`, entry.keyPos);
    }
    found = { entry, def };
  }
  if (!found) {
    throw new PlayError(`this task names no module; add one as a key (for example 'command: ...' or 'copy: ...')`, map.pos);
  }
  return found;
}

/** Module arguments from `module: {..}`, `module: k=v ...` or free-form text, plus `args:` underneath. */
function readModuleArgs(entry: YEntry, def: ModuleDefinition, argsEntry: YEntry | undefined) {
  const positions = new Map<string, SourcePos>();
  const args: Record<string, unknown> = {};
  if (argsEntry) {
    for (const e of expectMap(argsEntry.value, "'args'").entries) {
      args[e.key] = toPlain(e.value);
      positions.set(e.key, e.keyPos);
    }
  }
  const value = entry.value;
  if (value.kind === 'map') {
    for (const e of value.entries) {
      args[e.key] = toPlain(e.value);
      positions.set(e.key, e.keyPos);
    }
  } else if (value.kind === 'scalar' && value.value !== null) {
    const text = String(value.value);
    const freeForm = def.freeForm;
    let parsed;
    try {
      parsed = parseKeyValue(text, freeForm ? (key) => key !== freeForm && key in def.schema : undefined);
    } catch (error) {
      throw new PlayError((error as Error).message, value.pos);
    }
    for (const [key, v] of Object.entries(parsed.options)) {
      args[key] = v;
      positions.set(key, value.pos);
    }
    if (parsed.raw !== '') {
      if (!freeForm) {
        throw new PlayError(
          `module ${def.name} takes no free-form text ('${parsed.raw}'); give its options as a mapping or as key=value words`,
          value.pos,
        );
      }
      args[freeForm] = parsed.raw;
      positions.set(freeForm, value.pos);
    }
  } else if (value.kind === 'seq') {
    throw new PlayError(`the arguments of module ${def.name} must be a mapping or a string, not a list`, value.pos);
  }
  return { args, positions };
}

/** Where an option named in a registry message was written; the module key when none is named. */
function optionPos(message: string, positions: Map<string, SourcePos>, fallback: SourcePos): SourcePos {
  for (const [key, pos] of positions) {
    if (message.includes(`'${key}'`) || message.startsWith(`${key} `)) return pos;
  }
  return fallback;
}

function readLoop(map: YMap): unknown {
  const loop = findEntry(map, 'loop');
  const withItems = findEntry(map, 'with_items');
  if (loop && withItems) throw new PlayError("a task can have 'loop' or 'with_items', not both", withItems.keyPos);
  const entry = loop ?? withItems;
  if (!entry) return undefined;
  const value = entry.value;
  if (value.kind === 'map') throw new PlayError(`'${entry.key}' must be a list or a template such as "{{ gpus }}", not a mapping`, value.pos);
  if (value.kind === 'scalar' && !(typeof value.value === 'string' && value.value.includes('{{'))) {
    throw new PlayError(`'${entry.key}' must be a list or a template such as "{{ gpus }}", got '${String(value.value)}'`, value.pos);
  }
  checkTemplatesIn(value);
  return toPlain(value);
}

function readLoopControl(map: YMap): { loopVar: string; loopLabel?: string } {
  const entry = findEntry(map, 'loop_control');
  if (!entry) return { loopVar: 'item' };
  const control = expectMap(entry.value, "'loop_control'");
  checkKeys(control, ['loop_var', 'label'], "'loop_control'", {
    index_var: 'use a list of dicts carrying the index',
    pause: 'pausing between items is not supported',
    extended: "the 'ansible_loop' variable is not provided",
    extended_allitems: "the 'ansible_loop' variable is not provided",
  });
  const loopVar = readOptional(control, 'loop_var', expectString) ?? 'item';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(loopVar)) {
    throw new PlayError(`'loop_var' must be a variable name, got '${loopVar}'`, findEntry(control, 'loop_var')!.value.pos);
  }
  const label = findEntry(control, 'label');
  if (label) checkTemplatesIn(label.value);
  return { loopVar, loopLabel: label ? expectString(label.value, "'label'") : undefined };
}

const LOCALHOST_NAMES = ['localhost', '127.0.0.1'];

function parseModuleTask(map: YMap, inherited: Inherited, section: Section): Task | Handler {
  const allowed = section === 'handlers' ? HANDLER_KEYS : TASK_KEYS;
  const { entry, def } = findModuleEntry(map, allowed);
  const argsEntry = findEntry(map, 'args');
  const { args, positions } = readModuleArgs(entry, def, argsEntry);
  const checked = validateModuleArgs(def, args);
  const firstError = checked.errors[0];
  if (firstError !== undefined) throw new PlayError(firstError, optionPos(firstError, positions, entry.keyPos));
  checkTemplatesIn(entry.value);
  checkTemplatesIn(argsEntry?.value);
  checkConditionOptions(def, entry, argsEntry);

  const own = readOwnAttributes(map);
  const register = readOptional(map, 'register', expectString);
  if (register !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(register)) {
    throw new PlayError(`'register' must be a variable name, got '${register}'`, findEntry(map, 'register')!.value.pos);
  }
  const delegateTo = readOptional(map, 'delegate_to', expectString);
  if (delegateTo !== undefined && !LOCALHOST_NAMES.includes(delegateTo)) {
    throw new PlayError(`delegate_to '${delegateTo}' is not supported: only localhost (or 127.0.0.1) can be delegated to`, findEntry(map, 'delegate_to')!.value.pos);
  }
  const changedWhen = findEntry(map, 'changed_when');
  const failedWhen = findEntry(map, 'failed_when');
  const task: Task = dropUndefined({
    kind: 'task',
    ...commonFields(map.pos, own, inherited),
    module: def.name,
    args: checked.args,
    loop: readLoop(map),
    ...readLoopControl(map),
    register,
    notify: readOptional(map, 'notify', expectStringList) ?? [],
    changedWhen: changedWhen ? readConditions(changedWhen.value, "'changed_when'") : undefined,
    failedWhen: failedWhen ? readConditions(failedWhen.value, "'failed_when'") : undefined,
    runOnce: readOptional(map, 'run_once', expectBool),
    delegateTo,
  });
  if (section === 'tasks') return task;
  const listen = readOptional(map, 'listen', expectStringList) ?? [];
  if (task.name === undefined && listen.length === 0) {
    throw new PlayError("a handler needs a 'name' or 'listen' so tasks can notify it", map.pos);
  }
  return { ...task, listen };
}

/** assert's `that` holds expressions: check them like `when`. */
/** Options holding conditions (assert's `that`) are expressions: their syntax is checked now. */
function checkConditionOptions(def: ModuleDefinition, entry: YEntry, argsEntry: YEntry | undefined): void {
  const names = Object.entries(def.schema).filter(([, spec]) => spec.type === 'conditions').map(([name]) => name);
  for (const source of [entry.value, argsEntry?.value]) {
    if (source?.kind !== 'map') continue;
    for (const name of names) {
      const option = findEntry(source, name);
      if (option) readConditions(option.value, `'${name}'`);
    }
  }
}

/** The full list of tasks below some nodes (block bodies included), for checks over a whole play. */
export function* allTasks(nodes: readonly TaskNode[]): Generator<Task> {
  for (const node of nodes) {
    if (node.kind === 'task') yield node;
    else if (node.kind === 'block') yield* allTasks([...node.block, ...node.rescue, ...node.always]);
  }
}
