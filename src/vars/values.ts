// Value semantics shared by expressions and template helpers. They follow Python/Jinja,
// because that is what playbook authors expect from `when:` and from Ansible.

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Python truthiness: empty lists, dicts and strings are false, as are 0, None and undefined. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (isMapping(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}

/**
 * Reads `key` from `container` the way a playbook may: own properties of dicts, list items by
 * index (negative counts from the end, as in Python). Inherited properties such as `constructor`
 * or `__proto__` are never reachable, so user text cannot climb into JavaScript internals.
 * Returns `found: false` when there is nothing there.
 */
export function readMember(container: unknown, key: unknown): { found: boolean; value?: unknown } {
  if (Array.isArray(container)) {
    const index = typeof key === 'number' ? key : typeof key === 'string' && /^-?\d+$/.test(key) ? Number(key) : NaN;
    if (!Number.isInteger(index)) return { found: false };
    const position = index < 0 ? container.length + index : index;
    return position >= 0 && position < container.length ? { found: true, value: container[position] } : { found: false };
  }
  if (typeof container === 'string' && typeof key === 'number' && Number.isInteger(key)) {
    const chars = [...container];
    const position = key < 0 ? chars.length + key : key;
    return position >= 0 && position < chars.length ? { found: true, value: chars[position] } : { found: false };
  }
  if (isMapping(container) && (typeof key === 'string' || typeof key === 'number')) {
    const name = String(key);
    return Object.prototype.hasOwnProperty.call(container, name)
      ? { found: true, value: container[name] }
      : { found: false };
  }
  return { found: false };
}

/** Python's str(): True/False/None for the scalars Python spells differently, JSON for containers. */
export function toText(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Structural equality, as Python's == on lists and dicts. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isMapping(a) && isMapping(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** `needle in haystack`: list membership, substring, or dict key, as in Python. */
export function contains(haystack: unknown, needle: unknown): boolean {
  if (Array.isArray(haystack)) return haystack.some((item) => deepEqual(item, needle));
  if (typeof haystack === 'string') {
    if (typeof needle !== 'string') throw new TypeError(`'in <string>' requires a string on the left, not ${typeName(needle)}`);
    return haystack.includes(needle);
  }
  if (isMapping(haystack)) return typeof needle === 'string' && Object.hasOwn(haystack, needle);
  throw new TypeError(`'in' needs a list, string or dict on the right, not ${typeName(haystack)}`);
}

/** The name of a value's type, in playbook terms, for error messages. */
export function typeName(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'None';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'dict';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'string';
}

/** Python ordering: numbers with numbers, strings with strings; anything else is an error. */
export function compareValues(operator: string, left: unknown, right: unknown): boolean {
  const comparable =
    (typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string');
  if (!comparable) throw new TypeError(`'${operator}' cannot compare ${typeName(left)} with ${typeName(right)}`);
  const a = left as number | string;
  const b = right as number | string;
  switch (operator) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    default: return a >= b;
  }
}
