import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { BecomeSpec, Connection } from '../connection/types.js';
import { SUDO_PASSWORD_REFUSED } from '../connection/shell.js';
import { UnreachableError } from '../connection/types.js';
import { PlayError } from '../errors.js';
import { coerceArgs, findModule } from '../modules/index.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../modules/types.js';
import type { Playbook, Task, Vars } from '../playbook/types.js';
import { evaluateCondition, renderTemplate, templateValue, withExtraVars } from '../vars/index.js';
import type { ConnectionPool } from './connections.js';
import type { HostState } from './host-state.js';
import type { EventSink, HostStatus, RunOptions, TaskInfo } from './types.js';

export const CENSORED =
  "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/** How one task ended on one host, for the strategy to act on. */
export interface TaskOutcome {
  status: HostStatus;
  /** Failed, and `ignore_errors` did not forgive it. */
  fatal: boolean;
  result: ModuleResult;
}

export interface TaskRunnerDeps {
  playbook: Playbook;
  options: RunOptions;
  pool: ConnectionPool;
  emit: EventSink;
  /** Play-level become (tasks inherit it unless they say otherwise). */
  playBecome?: boolean;
  playBecomeUser?: string;
}

export function taskLabel(task: Task, handler = false): TaskInfo {
  const name = task.name ?? task.module;
  return { label: task.role ? `${task.role.name} : ${name}` : name, module: task.module, pos: task.pos, handler };
}

function errorMessage(error: unknown): string {
  if (error instanceof PlayError) return error.describe();
  return error instanceof Error ? error.message : String(error);
}

/** Values of options the module marks `noLog` (licence codes, passwords), masked wherever they appear. */
function secretsOf(def: ModuleDefinition, args: Vars): string[] {
  const secrets: string[] = [];
  for (const [name, spec] of Object.entries(def.schema)) {
    const value = args[name];
    if (spec.noLog && value !== undefined && value !== null && String(value).length > 0) secrets.push(String(value));
  }
  return secrets;
}

function maskSecrets(result: ModuleResult, secrets: string[]): ModuleResult {
  if (secrets.length === 0) return result;
  let text = JSON.stringify(result);
  for (const secret of secrets) text = text.split(JSON.stringify(secret).slice(1, -1)).join('********');
  return JSON.parse(text) as ModuleResult;
}

/** sudo refused the become password, so the command never ran: say that rather than 'non-zero return code'. */
function nameRefusedBecome(result: ModuleResult): ModuleResult {
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  if (result.failed !== true || !stderr.startsWith(SUDO_PASSWORD_REFUSED)) return result;
  return { ...result, msg: stderr.split('\n')[0] };
}

function loopLabel(item: unknown, task: Task, vars: Vars): string {
  if (task.loopLabel !== undefined) return String(templateValue(task.loopLabel, vars, task.pos));
  return typeof item === 'string' ? item : JSON.stringify(item);
}

/** Runs one task on one host: conditions, loop, templating, the module, then changed_when/failed_when. */
export class TaskRunner {
  constructor(private readonly deps: TaskRunnerDeps) {}

  async run(task: Task, host: HostState, vars: Vars, info: TaskInfo): Promise<TaskOutcome> {
    try {
      return task.loop === undefined
        ? await this.runOnce(task, host, vars, info, undefined)
        : await this.runLoop(task, host, vars, info);
    } catch (error) {
      const unreachable = error instanceof UnreachableError;
      const outcome: TaskOutcome = {
        status: unreachable ? 'unreachable' : 'failed',
        fatal: unreachable || !task.ignoreErrors,
        result: { changed: false, failed: !unreachable, unreachable, msg: errorMessage(error) },
      };
      this.report(task, host, info, outcome, undefined);
      return outcome;
    }
  }

  private async runLoop(task: Task, host: HostState, vars: Vars, info: TaskInfo): Promise<TaskOutcome> {
    let items: unknown;
    try {
      items = templateValue(task.loop, vars, task.pos);
    } catch (loopError) {
      // As Ansible: a loop that cannot be templated is an error only if the task's condition holds.
      if (this.conditionHolds(task, vars) === false) return this.skip(task, host, info, undefined);
      throw loopError;
    }
    if (!Array.isArray(items)) {
      throw new PlayError(`loop needs a list, got ${items === null ? 'null' : typeof items}`, task.pos);
    }
    const results: ModuleResult[] = [];
    let changed = false;
    let failed = false;
    let allSkipped = items.length > 0;
    for (const [index, item] of items.entries()) {
      const itemVars = withExtraVars(vars, {
        [task.loopVar]: item,
        ansible_loop_var: task.loopVar,
        ansible_loop: { index: index + 1, index0: index, first: index === 0, last: index === items.length - 1, length: items.length },
      });
      const outcome = await this.runOnce(task, host, itemVars, info, loopLabel(item, task, itemVars));
      results.push({ ...outcome.result, [task.loopVar]: item, ansible_loop_var: task.loopVar });
      changed ||= outcome.result.changed;
      failed ||= outcome.status === 'failed';
      if (outcome.status === 'unreachable') return outcome;
      if (outcome.status !== 'skipped') allSkipped = false;
    }
    const result: ModuleResult = { changed, results, msg: failed ? 'One or more items failed' : 'All items completed' };
    if (failed) result.failed = true;
    if (allSkipped || items.length === 0) result.skipped = true;
    const status: HostStatus = failed ? 'failed' : allSkipped || items.length === 0 ? 'skipped' : changed ? 'changed' : 'ok';
    const outcome: TaskOutcome = { status, fatal: failed && !task.ignoreErrors, result };
    if (items.length === 0) this.report(task, host, info, outcome, undefined);
    else if (failed) this.report(task, host, info, outcome, undefined, true);
    this.record(task, host, result);
    return outcome;
  }

  /** One module call (one loop item, or the whole task when it does not loop). */
  private async runOnce(
    task: Task,
    host: HostState,
    vars: Vars,
    info: TaskInfo,
    item: string | undefined,
  ): Promise<TaskOutcome> {
    if (!task.when.every((cond) => evaluateCondition(cond, vars, task.pos))) return this.skip(task, host, info, item);
    const def = findModule(task.module);
    if (!def) throw new PlayError(`unknown module '${task.module}'`, task.pos);
    const templated = templateValue(task.args, vars, task.pos) as Vars;
    const { args, errors } = coerceArgs(def, templated);
    if (errors.length > 0) throw new PlayError(`${task.module}: ${errors.join('; ')}`, task.pos);

    const conn = await this.connectionFor(task, def, host, vars);
    let result = nameRefusedBecome(await def.run(args, this.contextFor(task, host, vars, conn)));
    result = this.applyConditions(task, vars, result);
    result = maskSecrets(result, secretsOf(def, args));

    const failed = result.failed === true;
    const status: HostStatus = failed ? 'failed' : result.skipped ? 'skipped' : result.changed ? 'changed' : 'ok';
    const outcome: TaskOutcome = { status, fatal: failed && !task.ignoreErrors, result };
    this.report(task, host, info, outcome, item);
    if (item === undefined) this.record(task, host, result);
    else this.absorbFacts(host, result);
    return outcome;
  }

  /** The task's own condition without a loop item; undefined when it cannot be told without one. */
  private conditionHolds(task: Task, vars: Vars): boolean | undefined {
    try {
      return task.when.every((cond) => evaluateCondition(cond, vars, task.pos));
    } catch {
      return undefined;
    }
  }

  private skip(task: Task, host: HostState, info: TaskInfo, item: string | undefined): TaskOutcome {
    const outcome: TaskOutcome = {
      status: 'skipped',
      fatal: false,
      result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' },
    };
    this.report(task, host, info, outcome, item);
    if (item === undefined) this.record(task, host, outcome.result);
    return outcome;
  }

  private async connectionFor(task: Task, def: ModuleDefinition, host: HostState, vars: Vars): Promise<Connection> {
    if (def.controllerOnly || task.delegateTo !== undefined) return this.deps.pool.local;
    return this.deps.pool.get(host.name, vars);
  }

  private becomeFor(task: Task, vars: Vars): BecomeSpec | undefined {
    const { options } = this.deps;
    const become = task.become ?? this.deps.playBecome ?? options.become;
    if (!become) return undefined;
    const password = vars.ansible_become_password ?? vars.ansible_become_pass;
    // As in Ansible, become_user may be a template ("{{ app_user }}").
    const user = task.becomeUser ?? this.deps.playBecomeUser ?? options.becomeUser ?? 'root';
    return {
      method: 'sudo',
      user: String(templateValue(user, vars, task.pos)),
      ...(password !== undefined ? { password: String(password) } : {}),
    };
  }

  private contextFor(task: Task, host: HostState, vars: Vars, conn: Connection): ModuleContext {
    const check = task.checkMode ?? this.deps.options.check;
    return {
      conn,
      check,
      diff: this.deps.options.diff,
      become: this.becomeFor(task, vars),
      vars,
      inventoryHostname: host.name,
      findFile: (kind, name) => this.findFile(task, kind, name),
      renderTemplate: (text, source) => renderTemplate(text, vars, { file: source, line: 1, col: 1 }),
      evaluate: (expression) => evaluateCondition(expression, vars, task.pos),
    };
  }

  /** Role `files/`/`templates/` first, then the playbook's directory and the project's top level. */
  private findFile(task: Task, kind: 'files' | 'templates', name: string): string {
    if (isAbsolute(name)) return name;
    const dir = this.deps.playbook.dir;
    const candidates = [
      ...(task.role ? [join(task.role.path, kind, name), join(task.role.path, name)] : []),
      join(dir, kind, name),
      join(dir, name),
      join(dir, '..', kind, name),
      resolve(kind, name),
    ];
    const found = candidates.find((c) => existsSync(c));
    if (!found) {
      throw new PlayError(`could not find ${kind} file '${name}' (looked in: ${candidates.join(', ')})`, task.pos);
    }
    return found;
  }

  /** changed_when / failed_when see the result under the registered name, as in Ansible. */
  private applyConditions(task: Task, vars: Vars, result: ModuleResult): ModuleResult {
    if (!task.changedWhen && !task.failedWhen) return result;
    const scope = withExtraVars(vars, { [task.register ?? 'result']: result });
    const out = { ...result };
    if (task.changedWhen) out.changed = task.changedWhen.every((c) => evaluateCondition(c, scope, task.pos));
    if (task.failedWhen) {
      out.failed = task.failedWhen.every((c) => evaluateCondition(c, scope, task.pos));
      out.failed_when_result = out.failed;
    }
    return out;
  }

  /** Register the result and keep the facts it brings. */
  private record(task: Task, host: HostState, result: ModuleResult): void {
    if (task.register) host.hostFacts[task.register] = result;
    this.absorbFacts(host, result);
  }

  private absorbFacts(host: HostState, result: ModuleResult): void {
    if (!result.facts) return;
    const { ansible_facts: facts, ...rest } = result.facts;
    if (facts && typeof facts === 'object') host.facts = { ...host.facts, ...(facts as Vars) };
    Object.assign(host.hostFacts, rest);
  }

  private report(
    task: Task,
    host: HostState,
    info: TaskInfo,
    outcome: TaskOutcome,
    item: string | undefined,
    loopSummary = false,
  ): void {
    const hidden = task.noLog === true;
    const result = hidden ? { changed: outcome.result.changed, censored: CENSORED } : outcome.result;
    this.deps.emit({
      type: 'host.result',
      host: host.name,
      task: info,
      status: outcome.status,
      result: loopSummary ? { changed: result.changed, msg: outcome.result.msg } : result,
      item: hidden && item !== undefined ? '(censored due to no_log)' : item,
      ignored: outcome.status === 'failed' && !outcome.fatal,
      delegatedTo: task.delegateTo,
      diff: hidden ? undefined : outcome.result.diff,
    });
  }
}
