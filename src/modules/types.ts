import type { BecomeSpec, Connection } from '../connection/types.js';

/** The type of one module option, checked at load time (before any host is contacted). */
export type OptionType = 'str' | 'int' | 'bool' | 'list' | 'dict' | 'path' | 'raw' | 'conditions';

export interface OptionSpec {
  /** 'conditions': one expression or a list of them (assert's `that`), syntax-checked at load time. */
  type: OptionType;
  required?: boolean;
  choices?: readonly (string | number | boolean)[];
  default?: unknown;
  aliases?: readonly string[];
  /** For type 'list': the type of each element. */
  elements?: OptionType;
  /** Never shown in output (passwords, licence codes). */
  noLog?: boolean;
}

export type ModuleSchema = Record<string, OptionSpec>;

/** One file's change, shown with --diff as a unified diff. */
export interface FileDiff {
  path: string;
  before: string;
  after: string;
  /** Shown instead of a content diff, e.g. "mode 0644 -> 0600". */
  attributes?: string[];
}

export interface ModuleResult {
  changed: boolean;
  failed?: boolean;
  /** The module chose to do nothing on this host (e.g. `creates` exists). */
  skipped?: boolean;
  msg?: string;
  diff?: FileDiff[];
  rc?: number;
  stdout?: string;
  stderr?: string;
  /** Variables to set on the host at set_fact level (set_fact, setup, stat's result is registered instead). */
  facts?: Record<string, unknown>;
  /** Anything else the module returns; registered as-is. */
  [key: string]: unknown;
}

/** Everything a module may use; it never sees the CLI or the executor. */
export interface ModuleContext {
  conn: Connection;
  /** Check mode: report what would change, change nothing. */
  check: boolean;
  /** Produce `diff` entries for changed files. */
  diff: boolean;
  become?: BecomeSpec;
  /** The host's variables as the task sees them (already merged by precedence). */
  vars: Record<string, unknown>;
  inventoryHostname: string;
  /** Find a file named by the user: role `files/` or `templates/`, then the playbook's, then top level. */
  findFile(kind: 'files' | 'templates', name: string): string;
  /** Render a Handlebars template strictly against `vars`; `source` names it in errors. */
  renderTemplate(text: string, source: string): string;
  /** Evaluate a condition (assert's `that`) against `vars`. */
  evaluate(expression: string): boolean;
}

/** A module: validated arguments in, a result out, with check mode in the same code path. */
export interface ModuleDefinition<Args = Record<string, unknown>> {
  name: string;
  /** Other accepted names, e.g. 'ansible.builtin.copy', 'systemd'. */
  aliases?: readonly string[];
  /** `command: echo hi` style: the free text lands in this option. */
  freeForm?: string;
  /** Accepts any option names (set_fact): the schema then only lists the reserved ones. */
  anyOptions?: boolean;
  schema: ModuleSchema;
  /** Cross-option checks the schema cannot express (mutually exclusive options...). Returns an error message. */
  validate?(args: Args): string | undefined;
  /** Runs on the controller only (debug, set_fact, assert, fail): no connection needed. */
  controllerOnly?: boolean;
  /** Check mode is handled inside: with `ctx.check` a module reports what it would change and changes nothing. */
  run(args: Args, ctx: ModuleContext): Promise<ModuleResult>;
}
