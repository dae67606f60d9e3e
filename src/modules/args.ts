import { distance } from 'fastest-levenshtein';
import type { ModuleDefinition, OptionSpec, OptionType } from './types.js';

export interface CheckedArgs {
  args: Record<string, unknown>;
  errors: string[];
}

const TRUE_WORDS = new Set(['yes', 'on', '1', 'true', 'y', 't']);
const FALSE_WORDS = new Set(['no', 'off', '0', 'false', 'n', 'f']);

/** A value the executor still has to template: its type is only known at run time. */
function isUntemplated(value: unknown): boolean {
  return typeof value === 'string' && value.includes('{{');
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a dict';
  if (typeof value === 'string') return `'${value}'`;
  return String(value);
}

type Coerced = { ok: true; value: unknown } | { ok: false; expected: string };

/** Converts a value to an option's type the way Ansible's check_type_* functions do. */
export function coerceValue(value: unknown, type: OptionType, elements?: OptionType): Coerced {
  switch (type) {
    case 'raw':
      return { ok: true, value };
    case 'conditions': {
      // A string is one condition, never split on commas: `x in ['a', 'b']` is a single test.
      const items = Array.isArray(value) ? value : [value];
      if (items.every((item) => typeof item === 'string' || typeof item === 'boolean')) return { ok: true, value: items };
      return { ok: false, expected: 'a condition or a list of conditions' };
    }
    case 'str':
    case 'path':
      if (typeof value === 'string') return { ok: true, value };
      if (typeof value === 'number' || typeof value === 'boolean') return { ok: true, value: String(value) };
      return { ok: false, expected: 'a string' };
    case 'int':
      if (typeof value === 'number' && Number.isInteger(value)) return { ok: true, value };
      if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return { ok: true, value: Number.parseInt(value, 10) };
      return { ok: false, expected: 'an integer' };
    case 'bool':
      if (typeof value === 'boolean') return { ok: true, value };
      if (typeof value === 'number' && (value === 0 || value === 1)) return { ok: true, value: value === 1 };
      if (typeof value === 'string') {
        const word = value.trim().toLowerCase();
        if (TRUE_WORDS.has(word)) return { ok: true, value: true };
        if (FALSE_WORDS.has(word)) return { ok: true, value: false };
      }
      return { ok: false, expected: 'a boolean (yes/no, true/false)' };
    case 'list': {
      let items: unknown[];
      if (Array.isArray(value)) items = value;
      else if (typeof value === 'string') items = value === '' ? [] : value.split(',').map((s) => s.trim());
      else if (typeof value === 'number') items = [String(value)];
      else return { ok: false, expected: 'a list' };
      if (!elements) return { ok: true, value: items };
      const converted: unknown[] = [];
      for (const item of items) {
        const c = isUntemplated(item) ? { ok: true as const, value: item } : coerceValue(item, elements);
        if (!c.ok) return { ok: false, expected: `a list of ${elementName(elements)}` };
        converted.push(c.value);
      }
      return { ok: true, value: converted };
    }
    case 'dict':
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { ok: true, value };
      if (typeof value === 'string') {
        const parsed = parseDictString(value);
        if (parsed) return { ok: true, value: parsed };
      }
      return { ok: false, expected: 'a dict' };
  }
}

function elementName(type: OptionType): string {
  return { str: 'strings', path: 'paths', int: 'integers', bool: 'booleans', list: 'lists', dict: 'dicts', raw: 'values', conditions: 'conditions' }[type];
}

/** Ansible accepts a dict written as JSON or as `k=v k2=v2`. */
function parseDictString(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }
  const result: Record<string, unknown> = {};
  for (const pair of trimmed.split(/[\s,]+/).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    result[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return result;
}

/** The option name closest to a misspelt one, if it is close enough to be a likely typo. */
function suggestion(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Built once per module: arguments are checked for every host of every task. */
const aliasTables = new WeakMap<ModuleDefinition, Map<string, string>>();

function aliasTable(def: ModuleDefinition): Map<string, string> {
  let table = aliasTables.get(def);
  if (table) return table;
  table = new Map<string, string>();
  aliasTables.set(def, table);
  for (const [name, spec] of Object.entries(def.schema)) {
    table.set(name, name);
    for (const alias of spec.aliases ?? []) table.set(alias, name);
  }
  return table;
}

function checkChoice(name: string, spec: OptionSpec, value: unknown): string | undefined {
  if (!spec.choices || value === undefined || value === null) return undefined;
  const values = Array.isArray(value) ? value : [value];
  for (const v of values) {
    if (!spec.choices.includes(v as string | number | boolean)) {
      return `${name} must be one of: ${spec.choices.join(', ')}; got ${describeValue(v)}`;
    }
  }
  return undefined;
}

/**
 * Resolves aliases, rejects unknown options, coerces types, checks choices and required options,
 * fills defaults, then runs the module's own cross-option check.
 * With `deferTemplates`, values still holding `{{` pass unchecked: they are checked again after templating.
 */
function checkArgs(def: ModuleDefinition, input: Record<string, unknown>, deferTemplates: boolean): CheckedArgs {
  const errors: string[] = [];
  const args: Record<string, unknown> = {};
  const aliases = aliasTable(def);
  const givenAs = new Map<string, string>();
  let deferred = false;

  for (const [given, value] of Object.entries(input)) {
    const name = aliases.get(given);
    if (name === undefined) {
      if (def.anyOptions) {
        args[given] = value;
        continue;
      }
      const hint = suggestion(given, [...aliases.keys()]);
      errors.push(`unknown option '${given}' for module ${def.name}${hint ? `; did you mean '${hint}'?` : ''}`);
      continue;
    }
    const earlier = givenAs.get(name);
    if (earlier !== undefined) {
      errors.push(`options '${earlier}' and '${given}' of module ${def.name} are the same option; give only one`);
      continue;
    }
    givenAs.set(name, given);
    const spec = def.schema[name]!;
    if (value === null || value === undefined) {
      args[name] = value;
      continue;
    }
    if (deferTemplates && isUntemplated(value)) {
      args[name] = value;
      deferred = true;
      continue;
    }
    const coerced = coerceValue(value, spec.type, spec.elements);
    if (!coerced.ok) {
      errors.push(`${given} must be ${coerced.expected}; got ${describeValue(value)}`);
      continue;
    }
    const badChoice = checkChoice(given, spec, coerced.value);
    if (badChoice) errors.push(badChoice);
    args[name] = coerced.value;
  }

  for (const [name, spec] of Object.entries(def.schema)) {
    if (args[name] !== undefined && args[name] !== null) continue;
    if (spec.required && givenAs.has(name) && args[name] === undefined) continue; // already reported as mistyped
    if (spec.required) errors.push(`missing required option '${name}' for module ${def.name}`);
    else if (spec.default !== undefined) args[name] = spec.default;
  }

  // Cross-option checks need final values; with templates pending they run after templating.
  if (errors.length === 0 && !deferred && def.validate) {
    const problem = def.validate(args);
    if (problem) errors.push(problem);
  }
  return { args, errors };
}

/** Load-time check of a task's arguments; `{{ }}` values are left for `coerceArgs` at run time. */
export function validateModuleArgs(def: ModuleDefinition, args: Record<string, unknown>): CheckedArgs {
  return checkArgs(def, args, true);
}

/** Run-time check after templating: every value is type-checked and coerced. */
export function coerceArgs(def: ModuleDefinition, args: Record<string, unknown>): CheckedArgs {
  return checkArgs(def, args, false);
}
