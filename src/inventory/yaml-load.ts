/**
 * YAML reading shared by YAML inventories and group_vars/host_vars files: YAML 1.1 as Ansible's
 * PyYAML reads it (`yes`/`no` are booleans), duplicate keys refused, every error placed at its
 * file:line:col.
 */
import { isAlias, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { PlayError, type SourcePos } from '../errors.js';

export interface YamlSource {
  file: string;
  doc: Document;
  /** The document's top node after alias resolution, or null for an empty document. */
  root: Node | null;
  posOf(node: Node | null | undefined): SourcePos;
  /** A node as plain data (anchors resolved, `<<` merges applied). */
  toData(node: Node | null | undefined): unknown;
  resolve(node: unknown): Node | null;
}

export function loadYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: true, merge: true, lineCounter, prettyErrors: false });
  const at = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const [error] = doc.errors;
  if (error?.code === 'DUPLICATE_KEY') {
    // The parser places this error just before the repeated key; point at the key itself.
    const start = text.slice(error.pos[0]).search(/\S/) + error.pos[0];
    const key = /^[^:\n]*/.exec(text.slice(start))![0].trim();
    throw new PlayError(`duplicate key '${key}': a key may appear only once in a mapping`, at(start));
  }
  if (error) {
    throw new PlayError(`YAML syntax error: ${error.message.split('\n')[0]}`, at(error.pos[0]));
  }
  const resolve = (node: unknown): Node | null => {
    if (node === null || node === undefined) return null;
    return (isAlias(node) ? node.resolve(doc) : node) as Node | null;
  };
  return {
    file,
    doc,
    root: resolve(doc.contents),
    posOf: (node) => at(node?.range?.[0] ?? 0),
    toData: (node) => (node ? node.toJS(doc, { maxAliasCount: -1 }) : null),
    resolve,
  };
}
