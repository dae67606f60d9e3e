// Jinja/Ansible filters available in expressions (`x | default(1)`), with their Python behaviour.
import { isMapping, toText, typeName } from './values.js';

type Filter = (value: unknown, ...args: unknown[]) => unknown;

function text(value: unknown, filter: string): string {
  if (value === undefined || value === null || typeof value === 'object') {
    throw new TypeError(`filter '${filter}' expects a string, not ${typeName(value)}`);
  }
  return toText(value);
}

function sequence(value: unknown, filter: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (isMapping(value)) return Object.keys(value);
  throw new TypeError(`filter '${filter}' expects a list, not ${typeName(value)}`);
}

/** Ansible's `bool`: true for true, 1, and the strings yes/on/1/true in any case; false otherwise. */
function toBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1;
  if (typeof value === 'string') return ['yes', 'on', '1', 'true'].includes(value.trim().toLowerCase());
  return false;
}

/** Jinja's `int(default=0)`: numbers truncate, numeric strings parse ("3.7" gives 3), others give the default. */
function toInt(value: unknown, fallback: unknown = 0): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$/.test(value)) return Math.trunc(Number(value));
  return fallback;
}

function toFloat(value: unknown, fallback: unknown = 0): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return fallback;
}

function length(value: unknown): number {
  if (typeof value === 'string') return [...value].length;
  if (Array.isArray(value)) return value.length;
  if (isMapping(value)) return Object.keys(value).length;
  throw new TypeError(`filter 'length' expects a list, string or dict, not ${typeName(value)}`);
}

/** Ansible's `from_json`: the data a JSON text describes (a command's `stdout`, typically). */
export function parseJson(source: string): unknown {
  try {
    return JSON.parse(source);
  } catch (error) {
    const shown = source.length > 60 ? `${source.slice(0, 60)}...` : source;
    throw new TypeError(`not JSON (${(error as Error).message}): ${JSON.stringify(shown)}`);
  }
}

/** `default(fallback, boolean=false)`: replaces an undefined value, and with `true` any false one too. */
export function withDefault(value: unknown, fallback: unknown = '', orFalsy: unknown = false): unknown {
  if (value === undefined) return fallback;
  return orFalsy === true && !value ? fallback : value;
}

export const FILTERS: ReadonlyMap<string, Filter> = new Map<string, Filter>([
  ['bool', toBool],
  ['int', toInt],
  ['float', toFloat],
  ['length', length],
  ['count', length],
  ['default', withDefault],
  ['d', withDefault],
  ['lower', (v) => text(v, 'lower').toLowerCase()],
  ['upper', (v) => text(v, 'upper').toUpperCase()],
  ['string', (v) => toText(v)],
  ['from_json', (v) => parseJson(text(v, 'from_json'))],
  ['trim', (v) => text(v, 'trim').trim()],
  ['join', (v, separator = '') => sequence(v, 'join').map(toText).join(toText(separator))],
  ['first', (v) => sequence(v, 'first')[0]],
  ['last', (v) => sequence(v, 'last').at(-1)],
  ['list', (v) => [...sequence(v, 'list')]],
  ['split', (v, separator) => (separator === undefined ? text(v, 'split').split(/\s+/).filter(Boolean) : text(v, 'split').split(toText(separator)))],
  ['replace', (v, from, to) => text(v, 'replace').split(toText(from)).join(toText(to))],
]);

/** Filters that accept an undefined value instead of failing on it. */
export const LENIENT_FILTERS: ReadonlySet<string> = new Set(['default', 'd']);
