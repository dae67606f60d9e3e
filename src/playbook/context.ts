import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SourcePos } from '../errors.js';
import type { Handler, RoleInstance, TaskNode, Vars } from './types.js';
import { parseYamlFile, type YNode } from './yaml-source.js';

export interface LoadOptions {
  /** Where relative paths given by the user start and what error messages are relative to (default: process.cwd()). */
  cwd?: string;
  /** -e values: they template vars_files paths. */
  extraVars?: Vars;
}

/** State shared by one load: file cache and how paths are shown. */
export class LoadContext {
  readonly cwd: string;
  readonly extraVars: Vars;
  private readonly files = new Map<string, YNode | undefined>();

  constructor(options: LoadOptions = {}) {
    this.cwd = path.resolve(options.cwd ?? process.cwd());
    this.extraVars = options.extraVars ?? {};
  }

  /** The path as messages show it: relative to the cwd when inside it. */
  display(absPath: string): string {
    const relative = path.relative(this.cwd, absPath);
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absPath;
  }

  readYaml(absPath: string): YNode | undefined {
    if (!this.files.has(absPath)) this.files.set(absPath, parseYamlFile(absPath, this.display(absPath)));
    return this.files.get(absPath);
  }
}

export function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}

export function isDirectory(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** The keywords a play, role, block or import passes down to every task below it. */
export interface InheritableAttributes {
  when: string[];
  tags: string[];
  vars: Vars;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
  checkMode?: boolean;
  ignoreErrors?: boolean;
  noLog?: boolean;
}

/** What is in force at one place of the playbook: inherited attributes and where files are read from. */
export interface Inherited extends InheritableAttributes {
  role?: RoleInstance;
  /** Directory of the file being read: relative includes start here. */
  baseDir: string;
  /** The current role's tasks/ directory, searched second for includes. */
  roleTasksDir?: string;
  /** Task files being read, outermost first: an include of one of them is a cycle. */
  includeStack: string[];
}

/** A role named somewhere: in `roles:`, a meta dependency, or import_role/include_role. */
export interface RoleUse {
  name: string;
  pos: SourcePos;
  params: Vars;
  tasksFrom?: string;
  varsFrom?: string;
  defaultsFrom?: string;
  handlersFrom?: string;
  /** Overrides the role's meta `allow_duplicates` (import_role/include_role default to true, as Ansible). */
  allowDuplicates?: boolean;
}

/** What task parsing needs from the play being loaded. */
export interface PlayScope {
  ctx: LoadContext;
  /** Directory of the playbook file the play is in. */
  playbookDir: string;
  /** Expands a role into its tasks (dependencies first); its handlers go to the play. */
  useRole(use: RoleUse, inherited: Inherited, searchDirs: string[]): TaskNode[];
  /** Handlers found so far in roles, in definition order. */
  roleHandlers: Handler[];
}
