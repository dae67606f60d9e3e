// Handlebars helpers a config author needs. Output is configuration, not HTML: nothing is escaped.
import type { HelperOptions } from 'handlebars';
import { shellQuote } from '../connection/shell.js';
import { parseJson, withDefault } from './filters.js';
import { compareValues, contains, deepEqual, isMapping, truthy, typeName } from './values.js';

/** A helper failed on its arguments; `line`/`column` are where it was called in the template. */
export class HelperError extends Error {
  constructor(
    readonly helper: string,
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

type HelperBody = (...args: unknown[]) => unknown;

/** Handlebars appends its options to every call; the body sees only what the author passed. */
function helper(body: HelperBody) {
  return function (this: unknown, ...args: unknown[]): unknown {
    const options = args.pop() as HelperOptions & { name: string; loc?: { start: { line: number; column: number } } };
    try {
      return body(...args);
    } catch (error) {
      const start = options.loc?.start ?? { line: 1, column: 0 };
      throw new HelperError(options.name, `helper '${options.name}': ${(error as Error).message}`, start.line, start.column);
    }
  };
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TypeError(`expects text, not ${typeName(value)}`);
}

function list(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  throw new TypeError(`expects a list, not ${typeName(value)}`);
}

/** POSIX shell quoting; a list becomes its items quoted one by one, separated by spaces. */
function quote(value: unknown): string {
  if (Array.isArray(value)) return value.map(quote).join(' ');
  if (value === null || isMapping(value)) throw new TypeError(`cannot quote ${typeName(value)}`);
  return shellQuote(value);
}

/** Jinja's indent: every line but the first (unless asked), blank lines left alone. */
function indent(value: unknown, width: unknown = 4, first: unknown = false): string {
  if (typeof width !== 'number' || !Number.isInteger(width) || width < 0) throw new TypeError('the width must be a whole number');
  const pad = ' '.repeat(width);
  return text(value)
    .split('\n')
    .map((line, i) => ((i > 0 || first === true) && line !== '' ? pad + line : line))
    .join('\n');
}

function json(value: unknown, spaces: unknown = undefined): string {
  return JSON.stringify(value, null, typeof spaces === 'number' ? spaces : undefined) ?? 'null';
}

export const HELPERS: Readonly<Record<string, HelperBody>> = {
  eq: (a, b) => deepEqual(a, b),
  ne: (a, b) => !deepEqual(a, b),
  lt: (a, b) => compareValues('<', a, b),
  lte: (a, b) => compareValues('<=', a, b),
  gt: (a, b) => compareValues('>', a, b),
  gte: (a, b) => compareValues('>=', a, b),
  and: (...values) => values.every(truthy),
  or: (...values) => values.some(truthy),
  not: (value) => !truthy(value),
  default: (value, fallback, orFalsy) => withDefault(value, fallback, orFalsy),
  defined: (value) => value !== undefined,
  join: (values, separator = '') => list(values).map((item) => text(item)).join(text(separator)),
  quote,
  json,
  from_json: (value) => parseJson(text(value)),
  indent,
  upper: (value) => text(value).toUpperCase(),
  lower: (value) => text(value).toLowerCase(),
  includes: (haystack, needle) => contains(haystack, needle),
};

/** Helpers whose first argument may be undefined: they exist to deal with that case. */
export const LENIENT_HELPERS: ReadonlySet<string> = new Set(['default', 'defined']);

export function wrappedHelpers(): Record<string, (...args: unknown[]) => unknown> {
  return {
    ...Object.fromEntries(Object.entries(HELPERS).map(([name, body]) => [name, helper(body)])),
    // `{{{{raw}}}} {{ not a variable }} {% either %} {{{{/raw}}}}` writes its text as it is.
    raw: (options: unknown) => (options as HelperOptions).fn(undefined),
  };
}
