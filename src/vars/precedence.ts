// Variable precedence, as Ansible's (https://docs.ansible.com/ansible/latest/playbook_guide/
// playbooks_variables.html#understanding-variable-precedence), with hash_behaviour=replace: a
// higher level replaces a variable whole, dicts are not merged.
import { ExitCode, PlayError, type SourcePos } from '../errors.js';
import type { Vars } from '../playbook/types.js';
import { hasTemplate, templateValue } from './template-value.js';

export interface VarLayers {
  roleDefaults?: Vars;
  /** Inventory variables, group and host already merged (all, parents before children, then host). */
  inventory?: Vars;
  /** Gathered facts, without the `ansible_` prefix (`distribution`, `gpus`). */
  facts?: Vars;
  playVars?: Vars;
  varsFiles?: Vars;
  /** Role vars and the role's params. */
  roleVars?: Vars;
  /** Vars of the enclosing blocks, outermost first. */
  blockVars?: Vars[];
  taskVars?: Vars;
  /** Registered results and set_fact values. */
  hostFacts?: Vars;
  extraVars?: Vars;
  /** Per-call values on top of everything but magic: the loop variable, ansible_loop, a result being registered. */
  overrides?: Vars;
  /** inventory_hostname, groups, hostvars, ...: reserved, nothing overrides them. */
  magic?: Vars;
  /** Where a lazily templated variable's error is reported (usually the task); optional. */
  pos?: SourcePos;
}

export const PRECEDENCE: readonly { level: string; description: string }[] = [
  { level: 'roleDefaults', description: "role defaults (defaults/main.yml), the lowest: meant to be overridden" },
  { level: 'inventory', description: 'inventory group vars (all, then parent before child groups), then inventory host vars' },
  { level: 'facts', description: 'gathered facts, as ansible_facts.<name> and as ansible_<name>' },
  { level: 'playVars', description: 'play vars:' },
  { level: 'varsFiles', description: 'play vars_files:' },
  { level: 'roleVars', description: 'role vars (vars/main.yml) and role params' },
  { level: 'blockVars', description: 'block vars:, outer blocks below inner ones' },
  { level: 'taskVars', description: 'task vars:' },
  { level: 'hostFacts', description: 'registered results and set_fact' },
  { level: 'extraVars', description: 'extra vars (-e), the highest a user can set' },
  { level: 'overrides', description: 'per-call values: the loop variable (item), ansible_loop, a result being registered' },
  { level: 'magic', description: 'magic variables (inventory_hostname, groups, hostvars, ...): reserved, never overridden' },
];

const NO_POS: SourcePos = { file: '(variables)', line: 0, col: 0 };

/** Per layer object, the keys whose values hold `{{`: layers are shared by many tasks and hosts. */
const templatedKeys = new WeakMap<Vars, string[]>();

function keysToTemplate(layer: Vars): string[] {
  let keys = templatedKeys.get(layer);
  if (!keys) {
    keys = Object.keys(layer).filter((key) => hasTemplate(layer[key]));
    templatedKeys.set(layer, keys);
  }
  return keys;
}

/**
 * Makes `vars[key]` a getter that templates `raw` against the whole of `vars` on first read and
 * then keeps the result, as Ansible templates variables lazily: `a: "{{ b }}"` sees `b` from any
 * level, including higher ones. A higher layer assigning the key replaces the getter.
 */
function defineLazy(vars: Vars, key: string, raw: unknown, origin: string, pos: SourcePos, busy: Set<string>): void {
  const settle = (value: unknown) =>
    Object.defineProperty(vars, key, { value, writable: true, enumerable: true, configurable: true });
  Object.defineProperty(vars, key, {
    enumerable: true,
    configurable: true,
    get() {
      if (busy.has(key)) {
        throw new PlayError(`recursive loop: variable '${key}' refers to itself`, pos, ExitCode.HOST_FAILED);
      }
      busy.add(key);
      try {
        const value = templateValue(raw, vars, pos);
        settle(value);
        return value;
      } catch (error) {
        if (!(error instanceof PlayError)) throw error;
        throw new PlayError(`${error.message} (in variable '${key}' from ${origin})`, error.pos, error.exitCode);
      } finally {
        busy.delete(key);
      }
    },
    // Whoever assigns the key (a loop variable, say) replaces the pending template.
    set: settle,
  });
}

const factsVarsCache = new WeakMap<Vars, Vars>();

/** Ansible's inject_facts_as_vars: `distribution` is also `ansible_distribution`. */
function factsAsVars(facts: Vars): Vars {
  let vars = factsVarsCache.get(facts);
  if (!vars) {
    vars = { ansible_facts: facts };
    for (const [name, value] of Object.entries(facts)) {
      vars[name.startsWith('ansible_') ? name : `ansible_${name}`] = value;
    }
    factsVarsCache.set(facts, vars);
  }
  return vars;
}

/**
 * Copies `source`'s own keys onto `target`: a plain loop is several times faster than
 * Object.assign on objects this size, and a key named `__proto__` stays a key.
 */
function assignOwn(target: Vars, source: Vars): void {
  for (const key of Object.keys(source)) {
    if (key === '__proto__') {
      Object.defineProperty(target, key, { value: source[key], writable: true, enumerable: true, configurable: true });
    } else {
      target[key] = source[key];
    }
  }
}

interface Layer {
  values: Vars;
  /** Where its templated values come from, for errors; absent for layers that are never templated. */
  origin?: string;
}

function orderedLayers(layers: VarLayers): Layer[] {
  const ordered: (Layer | undefined)[] = [
    layers.roleDefaults && { values: layers.roleDefaults, origin: 'role defaults' },
    layers.inventory && { values: layers.inventory, origin: 'inventory' },
    layers.facts && { values: factsAsVars(layers.facts) },
    layers.playVars && { values: layers.playVars, origin: 'play vars' },
    layers.varsFiles && { values: layers.varsFiles, origin: 'vars_files' },
    layers.roleVars && { values: layers.roleVars, origin: 'role vars' },
    ...(layers.blockVars ?? []).map((values) => ({ values, origin: 'block vars' })),
    layers.taskVars && { values: layers.taskVars, origin: 'task vars' },
    // Registered results are data from hosts, never templates (Ansible marks them unsafe).
    layers.hostFacts && { values: layers.hostFacts },
    layers.extraVars && { values: layers.extraVars, origin: 'extra vars' },
    layers.overrides && { values: layers.overrides },
    layers.magic && { values: layers.magic },
  ];
  return ordered.filter((layer): layer is Layer => layer !== undefined);
}

/**
 * The variables a task (or host) sees: each layer shallow-merged over the ones below it, in
 * PRECEDENCE order. Values holding `{{` are templated lazily, on first read. Layer objects are
 * not copied deeply and must not be modified after their first use.
 */
export function buildVars(layers: VarLayers): Vars {
  const ordered = orderedLayers(layers);
  const vars: Vars = {};
  builtFrom.set(vars, layers);
  for (const layer of ordered) assignOwn(vars, layer.values);
  const pos = layers.pos ?? NO_POS;
  const busy = new Set<string>();
  ordered.forEach((layer, index) => {
    if (!layer.origin) return;
    for (const key of keysToTemplate(layer.values)) {
      const overridden = ordered.slice(index + 1).some((higher) => Object.hasOwn(higher.values, key));
      if (!overridden) defineLazy(vars, key, layer.values[key], layer.origin, pos, busy);
    }
  });
  return vars;
}

/** The layers each result of buildVars was made from, so that it can be extended lazily. */
const builtFrom = new WeakMap<Vars, VarLayers>();

/**
 * `vars` with `extra` on top (the loop item, a registered result for changed_when). Use this
 * rather than `{ ...vars, item }`: a spread reads, and so templates, every lazy variable, and
 * templates them without `extra`; here task vars such as `dev: "{{ item.addr }}"` see the item.
 */
export function withExtraVars(vars: Vars, extra: Vars): Vars {
  const layers = builtFrom.get(vars);
  if (!layers) return { ...vars, ...extra };
  return buildVars({ ...layers, overrides: { ...layers.overrides, ...extra } });
}

/**
 * A `hostvars` dict whose entries are computed on first read and then kept, so that a task
 * that never looks at other hosts costs nothing for them.
 */
export function lazyHostvars(hostnames: readonly string[], resolve: (host: string) => Vars): Vars {
  const view: Vars = {};
  for (const host of hostnames) {
    Object.defineProperty(view, host, {
      enumerable: true,
      configurable: true,
      get() {
        const value = resolve(host);
        Object.defineProperty(view, host, { value, enumerable: true, configurable: true });
        return value;
      },
    });
  }
  return view;
}
