import type { SourcePos } from '../errors.js';

export type Vars = Record<string, unknown>;

/** A role as used in one play: its files loaded, its params and tags attached. */
export interface RoleInstance {
  name: string;
  /** Absolute path of the role directory. */
  path: string;
  defaults: Vars;
  vars: Vars;
  /** Params given where the role is used (`roles: [{role: x, foo: 1}]`); they rank as role vars. */
  params: Vars;
  /** Roles this one depends on (meta/main.yml), already resolved. */
  dependencies: RoleInstance[];
}

/** Privilege escalation asked for by a play, block or task. */
export interface BecomeDirective {
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
}

/** What every task-like node carries. */
interface NodeCommon extends BecomeDirective {
  pos: SourcePos;
  name?: string;
  /** Conditions (raw expressions), ANDed; inherited ones are prepended at load time. */
  when: string[];
  /** Own tags plus inherited ones (play, role, block, import). */
  tags: string[];
  /** Block/task vars: raw values, templated per host when the task runs. */
  vars: Vars;
  /** The role this node comes from, if any. */
  role?: RoleInstance;
  noLog?: boolean;
  ignoreErrors?: boolean;
  /** Per-task override of --check (`check_mode: false` runs for real). */
  checkMode?: boolean;
}

export interface Task extends NodeCommon {
  kind: 'task';
  /** Canonical module name (aliases and FQCNs resolved). */
  module: string;
  /** Module arguments, raw (may hold `{{ }}`), already checked against the module schema. */
  args: Vars;
  /** Raw loop expression or list; absent when the task does not loop. */
  loop?: unknown;
  loopVar: string;
  loopLabel?: string;
  register?: string;
  /** Handler names or listen topics. */
  notify: string[];
  changedWhen?: string[];
  failedWhen?: string[];
  runOnce?: boolean;
  delegateTo?: string;
}

export interface Block extends NodeCommon {
  kind: 'block';
  block: TaskNode[];
  rescue: TaskNode[];
  always: TaskNode[];
}

/** `meta:` directives the executor acts on. */
export interface MetaTask extends NodeCommon {
  kind: 'meta';
  action: 'flush_handlers' | 'noop' | 'end_play' | 'end_host' | 'clear_facts' | 'refresh_inventory' | 'reset_connection';
}

export type TaskNode = Task | Block | MetaTask;

export interface Handler extends Task {
  /** Topics this handler also answers to (`listen`). */
  listen: string[];
}

export interface Play extends BecomeDirective {
  pos: SourcePos;
  name: string;
  /** Host pattern, as in the playbook. */
  hosts: string;
  vars: Vars;
  /** vars_files, loaded at load time (paths templated with extra vars and play vars only). */
  varsFiles: Vars;
  gatherFacts: boolean;
  preTasks: TaskNode[];
  /** Roles' tasks first (in order, dependencies before dependants), then `tasks`. */
  tasks: TaskNode[];
  postTasks: TaskNode[];
  /** Play handlers and every role's handlers, in definition order. */
  handlers: Handler[];
  roles: RoleInstance[];
  /** Batch sizes: numbers or percentages ('30%'); empty means the whole play at once. */
  serial: (number | string)[];
  maxFailPercentage?: number;
  anyErrorsFatal: boolean;
  strategy: 'linear' | 'free';
  forceHandlers: boolean;
  tags: string[];
}

export interface Playbook {
  /** Absolute path of the playbook file. */
  path: string;
  /** Its directory: `playbook_dir`, where relative paths (roles/, templates/, files/) start. */
  dir: string;
  plays: Play[];
}
