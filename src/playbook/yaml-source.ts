import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node as YamlLibNode,
  type ScalarTag,
  type Tags,
} from 'yaml';
import { ExitCode, PlayError, type SourcePos } from '../errors.js';
import { cachedParse } from './yaml-cache.js';

/**
 * A YAML value that remembers where it was written, so every later check can name file:line:col.
 * Aliases and merge keys are already resolved; keys are strings.
 */
export type YNode = YMap | YSeq | YScalar;

export interface YEntry {
  key: string;
  keyPos: SourcePos;
  value: YNode;
}

export interface YMap {
  kind: 'map';
  pos: SourcePos;
  entries: YEntry[];
}

export interface YSeq {
  kind: 'seq';
  pos: SourcePos;
  items: YNode[];
}

export type ScalarValue = string | number | boolean | null;

export interface YScalar {
  kind: 'scalar';
  pos: SourcePos;
  value: ScalarValue;
}

/** `!unsafe` marks a string Ansible must not template; we keep the text as written. */
const unsafeTag: ScalarTag = { tag: '!unsafe', resolve: (text: string) => text };

/** PyYAML's booleans: YAML 1.1's list without the single letters y/Y/n/N (a key `y:` stays a string). */
const PYYAML_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const PYYAML_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;

function ansibleTags(tags: Tags): Tags {
  const adjusted = tags.map((tag): Tags[number] => {
    if (typeof tag !== 'object' || !('test' in tag) || tag.tag !== 'tag:yaml.org,2002:bool') return tag;
    const pythonBool: ScalarTag = { ...(tag as ScalarTag), test: tag.identify?.(true) ? PYYAML_TRUE : PYYAML_FALSE };
    return pythonBool;
  });
  return [...adjusted, unsafeTag];
}

/** Parses YAML the way Ansible reads it (YAML 1.1: yes/no booleans, 0644 octal, merge keys). */
export function parseYamlText(text: string, file: string): YNode | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    version: '1.1',
    prettyErrors: false,
    uniqueKeys: true,
    customTags: ansibleTags,
  });
  const posAt = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const firstError = doc.errors[0];
  if (firstError) {
    const pos = posAt(firstError.pos[0]);
    const message =
      firstError.code === 'DUPLICATE_KEY'
        ? `duplicate key '${keyTextAt(text, firstError.pos[0])}' in a mapping; each key may appear only once`
        : `YAML syntax error: ${firstError.message}`;
    throw new PlayError(message, pos, ExitCode.PARSE_ERROR);
  }
  if (doc.contents === null) return undefined;
  return new Converter(doc, posAt).convert(doc.contents as YamlLibNode, 0);
}

/** This module's file (or the bundle holding it): its identity keys the parse cache. */
const PARSER_FILE = fileURLToPath(import.meta.url);

export function parseYamlFile(absPath: string, displayPath: string): YNode | undefined {
  const text = readFileSync(absPath, 'utf8');
  return cachedParse(PARSER_FILE, absPath, displayPath, text, () => parseYamlText(text, displayPath));
}

function keyTextAt(text: string, offset: number): string {
  const rest = text.slice(offset);
  const match = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^:\n]*)/.exec(rest);
  return (match?.[1] ?? '').trim().replace(/^["']|["']$/g, '');
}

/** Alias chains deeper than this can only be a self-referencing document. */
const MAX_DEPTH = 200;

class Converter {
  constructor(
    private readonly doc: Document,
    private readonly posAt: (offset: number) => SourcePos,
  ) {}

  private nodePos(node: YamlLibNode | null | undefined, fallback: SourcePos): SourcePos {
    return node?.range ? this.posAt(node.range[0]) : fallback;
  }

  convert(node: YamlLibNode | null | undefined, depth: number, fallback?: SourcePos): YNode {
    const pos = this.nodePos(node, fallback ?? this.posAt(0));
    if (depth > MAX_DEPTH) throw new PlayError('YAML aliases refer to each other without end', pos);
    if (node === null || node === undefined) return { kind: 'scalar', pos, value: null };
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) throw new PlayError(`unknown YAML alias '*${node.source}'`, pos);
      return { ...this.convert(target as YamlLibNode, depth + 1), pos };
    }
    if (isScalar(node)) return { kind: 'scalar', pos, value: scalarValue(node.value) };
    if (isSeq(node)) {
      return { kind: 'seq', pos, items: node.items.map((item) => this.convert(item as YamlLibNode, depth + 1, pos)) };
    }
    if (isMap(node)) return this.convertMap(node.items, pos, depth);
    throw new PlayError('unsupported YAML node', pos);
  }

  private convertMap(pairs: readonly { key: unknown; value: unknown }[], pos: SourcePos, depth: number): YMap {
    const entries: YEntry[] = [];
    const merged: YEntry[] = [];
    for (const pair of pairs) {
      const keyNode = pair.key as YamlLibNode | null;
      const keyPos = this.nodePos(keyNode, pos);
      if (!isScalar(keyNode)) {
        if (isAlias(keyNode)) throw new PlayError('an alias cannot be used as a mapping key', keyPos);
        throw new PlayError('a mapping key must be a plain string, not a list or mapping', keyPos);
      }
      const value = this.convert(pair.value as YamlLibNode | null, depth + 1, keyPos);
      // The YAML 1.1 schema marks the merge key `<<` with a symbol value.
      if (typeof keyNode.value === 'symbol') {
        merged.push(...this.mergeSources(value));
        continue;
      }
      entries.push({ key: String(keyNode.value), keyPos, value });
    }
    // Explicit keys win over merged ones, whichever comes first (YAML merge key semantics).
    const explicit = new Set(entries.map((e) => e.key));
    const seenMerged = new Set<string>();
    for (const entry of merged) {
      if (explicit.has(entry.key) || seenMerged.has(entry.key)) continue;
      seenMerged.add(entry.key);
      entries.push(entry);
    }
    return { kind: 'map', pos, entries };
  }

  private mergeSources(value: YNode): YEntry[] {
    if (value.kind === 'map') return value.entries;
    if (value.kind === 'seq' && value.items.every((item) => item.kind === 'map')) {
      return value.items.flatMap((item) => (item as YMap).entries);
    }
    throw new PlayError("a merge key '<<' must refer to a mapping or a list of mappings", value.pos);
  }
}

function scalarValue(value: unknown): ScalarValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** The plain JavaScript value (what variables and module arguments hold). */
export function toPlain(node: YNode | undefined): unknown {
  if (!node) return null;
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(toPlain);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const entry of node.entries) out[entry.key] = toPlain(entry.value);
      return out;
    }
  }
}

/** Every string scalar inside a node with its position, for load-time template checks. */
export function* stringsIn(node: YNode | undefined): Generator<{ text: string; pos: SourcePos }> {
  if (!node) return;
  if (node.kind === 'scalar') {
    if (typeof node.value === 'string') yield { text: node.value, pos: node.pos };
  } else if (node.kind === 'seq') {
    for (const item of node.items) yield* stringsIn(item);
  } else {
    for (const entry of node.entries) yield* stringsIn(entry.value);
  }
}
