import { closest, distance } from 'fastest-levenshtein';
import { PlayError } from '../errors.js';
import type { YEntry, YMap, YNode, YSeq } from './yaml-source.js';

/** "; did you mean 'src'?" when a close candidate exists, else ''. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const list = [...candidates];
  if (list.length === 0) return '';
  const best = closest(word, list);
  const limit = Math.max(2, Math.floor(word.length / 3));
  return distance(word, best) <= limit ? `; did you mean '${best}'?` : '';
}

function describeKind(node: YNode): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  if (node.value === null) return 'nothing (null)';
  return `${typeof node.value} '${String(node.value)}'`;
}

export function expectMap(node: YNode, what: string): YMap {
  if (node.kind !== 'map') throw new PlayError(`${what} must be a mapping, got ${describeKind(node)}`, node.pos);
  return node;
}

export function expectSeq(node: YNode, what: string): YSeq {
  if (node.kind !== 'seq') throw new PlayError(`${what} must be a list, got ${describeKind(node)}`, node.pos);
  return node;
}

/** A list, or nothing at all (`tasks:` left empty). */
export function optionalSeq(node: YNode | undefined, what: string): YNode[] {
  if (!node || (node.kind === 'scalar' && node.value === null)) return [];
  return expectSeq(node, what).items;
}

export function expectString(node: YNode, what: string): string {
  if (node.kind === 'scalar' && node.value !== null && typeof node.value !== 'boolean') return String(node.value);
  throw new PlayError(`${what} must be a string, got ${describeKind(node)}`, node.pos);
}

export function expectBool(node: YNode, what: string): boolean {
  if (node.kind === 'scalar') {
    if (typeof node.value === 'boolean') return node.value;
    if (typeof node.value === 'string') {
      const lowered = node.value.toLowerCase();
      if (['yes', 'true', 'on', 'y'].includes(lowered)) return true;
      if (['no', 'false', 'off', 'n'].includes(lowered)) return false;
    }
  }
  throw new PlayError(`${what} must be a boolean (true/false), got ${describeKind(node)}`, node.pos);
}

/** A string, or a list of strings (numbers are taken as their text). */
export function expectStringList(node: YNode, what: string): string[] {
  if (node.kind === 'seq') return node.items.map((item) => expectString(item, `each item of ${what}`));
  return [expectString(node, `${what} (a string or a list of strings)`)];
}

/** Conditions (`when`, `changed_when`, `failed_when`): a string, a boolean, or a list of those. */
export function expectConditions(node: YNode, what: string): { text: string; pos: YNode['pos'] }[] {
  const items = node.kind === 'seq' ? node.items : [node];
  return items.map((item) => {
    if (item.kind === 'scalar' && item.value !== null) return { text: String(item.value), pos: item.pos };
    throw new PlayError(`${what} must be an expression string, a boolean, or a list of them, got ${describeKind(item)}`, item.pos);
  });
}

/** Ansible's tags: a list, or a comma-separated string. */
export function expectTags(node: YNode, what: string): string[] {
  const raw = node.kind === 'seq' ? node.items.map((item) => expectString(item, `each tag in ${what}`)) : [expectString(node, what)];
  return raw.flatMap((tag) => tag.split(',')).map((tag) => tag.trim()).filter((tag) => tag !== '');
}

export function findEntry(map: YMap, key: string): YEntry | undefined {
  return map.entries.find((entry) => entry.key === key);
}

/** The value of `key` read with `read`, or undefined when the key is absent. */
export function readOptional<T>(map: YMap, key: string, read: (node: YNode, what: string) => T): T | undefined {
  const entry = findEntry(map, key);
  return entry ? read(entry.value, `'${key}'`) : undefined;
}

/** Rejects keys outside `allowed`; keys Ansible knows but we do not support get their own message. */
export function checkKeys(
  map: YMap,
  allowed: readonly string[],
  where: string,
  unsupported: Readonly<Record<string, string>> = {},
): void {
  for (const entry of map.entries) {
    if (allowed.includes(entry.key)) continue;
    const reason = unsupported[entry.key];
    if (reason !== undefined) throw new PlayError(`'${entry.key}' is not supported in ${where}: ${reason}`, entry.keyPos);
    throw new PlayError(`unknown key '${entry.key}' in ${where}${didYouMean(entry.key, allowed)}`, entry.keyPos);
  }
}

/** Keeps the first occurrence of each value, in order. */
export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Removes keys whose value is undefined, so "not set" stays distinguishable from "set to false". */
export function dropUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}
