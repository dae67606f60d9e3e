import type { SourcePos } from '../errors.js';
import type { Vars } from '../playbook/types.js';
import { renderValue } from './template.js';
import { isMapping } from './values.js';

/** True when any string within `value` (a string, list or dict, at any depth) holds `{{`. */
export function hasTemplate(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(hasTemplate);
  if (isMapping(value)) return Object.values(value).some(hasTemplate);
  return false;
}

/**
 * Templates every string within `value`. A string that is a single `{{ ... }}` yields the raw
 * value (list, dict, number, bool); strings without `{{` and values without any are returned
 * as they are, uncopied. `pos` is where the value was written, for errors.
 */
export function templateValue(value: unknown, vars: Vars, pos: SourcePos): unknown {
  if (!hasTemplate(value)) return value;
  if (typeof value === 'string') return renderValue(value, vars, pos);
  if (Array.isArray(value)) return value.map((item) => templateValue(item, vars, pos));
  return Object.fromEntries(Object.entries(value as Vars).map(([key, item]) => [key, templateValue(item, vars, pos)]));
}
