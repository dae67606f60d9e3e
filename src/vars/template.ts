// Handlebars templating, strict: reading a variable that does not exist is an error naming the
// variable and file:line, never an empty string. Handlebars' own strict mode checks only the last
// part of a path and not helper arguments, so we replace its path lookup at compile time with one
// that checks every part and knows the full path; `default` and `defined` get a lenient one.
import Handlebars from 'handlebars';
import { ExitCode, PlayError, type SourcePos } from '../errors.js';
import type { Vars } from '../playbook/types.js';
import { HelperError, LENIENT_HELPERS, wrappedHelpers } from './helpers.js';
import { positionWithin, undefinedVariable } from './position.js';
import { readMember } from './values.js';

type AST = hbs.AST.Program;
type Node = hbs.AST.Node;
type Location = { line: number; column: number };

const hb = Handlebars.create();
hb.registerHelper(wrappedHelpers());

/** A path missing from the data, found while rendering; turned into a PlayError by the caller. */
class MissingVariable extends Error {
  constructor(
    readonly path: string,
    readonly at: Location,
  ) {
    super(`undefined variable '${path}'`);
  }
}

/** The text a value renders as: Handlebars' own rule (nothing for null), but always a string. */
function asText(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

// Generated template code reaches these through `container.helpers`, the only runtime object it
// sees. An object, not a function, so Handlebars does not wrap it as a helper.
const RUNTIME = '__play_runtime';
const CAPTURE = '__play_capture';
const INTERNAL_HELPERS = new Set([RUNTIME, CAPTURE]);

function resolvePath(base: unknown, parts: string[], label: string, lenient: boolean, at: Location): unknown {
  let value = base;
  for (const part of parts) {
    // `list.length` is a Handlebars habit (`{{#if gpus.length}}`); it is data, not a method.
    const member =
      part === 'length' && (Array.isArray(value) || typeof value === 'string')
        ? { found: true, value: value.length }
        : readMember(value, part);
    if (!member.found) {
      if (lenient) return undefined;
      throw new MissingVariable(label, at);
    }
    value = member.value;
  }
  return value;
}

/** The box a single-mustache template drops its raw value into (see `renderValue`). */
interface CaptureBox {
  value?: unknown;
}

hb.registerHelper(RUNTIME, { resolvePath, asText } as unknown as Handlebars.HelperDelegate);
hb.registerHelper(CAPTURE, (value: unknown, options: Handlebars.HelperOptions) => {
  (options.data as { capture: CaptureBox }).capture.value = value;
  return '';
});

/** Path parts arrays (by identity) that belong to arguments of `default`/`defined`. */
const lenientParts = new WeakSet<string[]>();

// The parts of the JavaScriptCompiler we override; Handlebars documents subclassing it.
interface CompilerInternals {
  popStack(): unknown;
  push(expr: unknown): void;
  quotedString(text: string): string;
  aliasable(name: string): unknown;
  append(): void;
  source: { currentLocation?: { start: Location } };
}
type CompilerClass = new () => CompilerInternals;

function installStrictLookup(env: typeof Handlebars): void {
  const Base = (env as unknown as { JavaScriptCompiler: CompilerClass }).JavaScriptCompiler;
  class StrictPathCompiler extends Base {
    resolvePath(type: string, parts: string[], startPartIndex: number): void {
      const base = this.popStack();
      const label = (type === 'data' ? '@' : '') + parts.join('.');
      const at = this.source.currentLocation?.start ?? { line: 1, column: 0 };
      const rest = parts.slice(startPartIndex).map((part) => this.quotedString(part)).join(', ');
      this.push([
        this.aliasable(`container.helpers.${RUNTIME}.resolvePath`),
        `(`, base, `, [${rest}], ${this.quotedString(label)}, ${String(lenientParts.has(parts))}, `,
        `{ line: ${Number(at.line)}, column: ${Number(at.column)} })`,
      ]);
    }

    // Output as text before Handlebars joins it with `+`: `{{major}}{{minor}}` must not add numbers.
    override append(): void {
      this.push([this.aliasable(`container.helpers.${RUNTIME}.asText`), '(', this.popStack(), ')']);
      super.append();
    }
  }
  // Child programs (block bodies) are compiled by `compiler`, which must be ours too.
  (StrictPathCompiler.prototype as unknown as { compiler: unknown }).compiler = StrictPathCompiler;
  (env as unknown as { JavaScriptCompiler: CompilerClass }).JavaScriptCompiler = StrictPathCompiler;
}
installStrictLookup(hb);

type Call = hbs.AST.MustacheStatement | hbs.AST.SubExpression | hbs.AST.BlockStatement;

function isCall(node: Node): node is Call {
  return node.type === 'MustacheStatement' || node.type === 'SubExpression' || node.type === 'BlockStatement';
}

function calledName(call: Call): string | undefined {
  return call.path.type === 'PathExpression' ? (call.path as hbs.AST.PathExpression).original : undefined;
}

/** A `{{{{raw}}}} ... {{{{/raw}}}}` block: its text is output verbatim, mustaches and all. */
function isRawBlock(node: Node): boolean {
  return node.type === 'BlockStatement' && calledName(node as Call) === 'raw';
}

/** Every node of the template, depth first; the text inside raw blocks is not visited. */
function* walk(node: Node): Generator<Node> {
  yield node;
  if (isRawBlock(node)) return;
  const record = node as unknown as Record<string, unknown>;
  for (const key of ['body', 'path', 'params', 'hash', 'pairs', 'value', 'program', 'inverse']) {
    const child = record[key];
    for (const item of Array.isArray(child) ? child : [child]) {
      if (item && typeof item === 'object' && typeof (item as Node).type === 'string') yield* walk(item as Node);
    }
  }
}

function markLenientArguments(ast: AST): void {
  for (const node of walk(ast)) {
    if (!isCall(node) || !LENIENT_HELPERS.has(calledName(node) ?? '')) continue;
    const first = node.params[0];
    if (first?.type === 'PathExpression') lenientParts.add((first as hbs.AST.PathExpression).parts);
  }
}

/** Handlebars' parser reports "Parse error on line N:", the line, a caret, and the token it got. */
function describeParseError(message: string): { detail: string; line?: number; column?: number } {
  const parse = /^Parse error on line (\d+):\n(.*)\n(-*)\^\n.*got '(\w+)'/s.exec(message);
  if (!parse) return { detail: message.replace(/ - \d+:\d+$/, '') };
  const [, line, excerpt, caret, got] = parse;
  return {
    detail: got === 'EOF' ? 'syntax error: the template ends too early (is a block left open?)' : `syntax error: unexpected ${got!.toLowerCase()}`,
    line: Number(line),
    // The excerpt starts with "..." when Handlebars cut it; the column is unknown then.
    column: excerpt!.startsWith('...') ? 0 : caret!.length,
  };
}

function syntaxError(text: string, origin: SourcePos, error: unknown): PlayError {
  const { detail, line, column } = describeParseError((error as Error).message);
  const pos = positionWithin(
    origin,
    line ?? (error as { lineNumber?: number }).lineNumber ?? 1,
    column ?? (error as { column?: number }).column ?? 0,
  );
  const jinja = /\{\{[^}]*\|/.test(text)
    ? " (templates are Handlebars: write {{default x 'v'}} rather than {{ x | default('v') }})"
    : '';
  return new PlayError(`bad template in ${pos.file}:${pos.line}: ${detail}${jinja}`, pos, ExitCode.PARSE_ERROR);
}

/**
 * Where Jinja's `{% ... %}` appears in literal text: an Ansible habit that Handlebars would copy
 * to the output unchanged. A literal `{%` can be written inside `{{{{raw}}}} ... {{{{/raw}}}}`.
 */
function jinjaStatement(node: Node): Location | undefined {
  if (node.type !== 'ContentStatement') return undefined;
  const text = (node as hbs.AST.ContentStatement).value;
  const index = text.indexOf('{%');
  if (index < 0) return undefined;
  const before = text.slice(0, index).split('\n');
  const start = node.loc.start;
  return before.length === 1
    ? { line: start.line, column: start.column + index }
    : { line: start.line + before.length - 1, column: before.at(-1)!.length };
}

/** Load-time checks Handlebars leaves to render time: helpers that do not exist, partials, Jinja. */
function checkNames(ast: AST, origin: SourcePos): void {
  const known = hb.helpers as Record<string, unknown>;
  for (const node of walk(ast)) {
    const jinja = jinjaStatement(node);
    if (jinja) {
      const pos = positionWithin(origin, jinja.line, jinja.column);
      throw new PlayError(
        `bad template in ${pos.file}:${pos.line}: Jinja statements ({% ... %}) are not supported; templates are Handlebars: use {{#if}}, {{#each}} (or {{{{raw}}}}...{{{{/raw}}}} for literal text)`,
        pos,
        ExitCode.PARSE_ERROR,
      );
    }
    const at = (node.loc?.start ?? { line: 1, column: 0 }) as Location;
    const pos = positionWithin(origin, at.line, at.column);
    if (node.type === 'PartialStatement' || node.type === 'PartialBlockStatement' || node.type === 'DecoratorBlock' || node.type === 'Decorator') {
      throw new PlayError(`bad template in ${pos.file}:${pos.line}: partials and decorators are not supported`, pos, ExitCode.PARSE_ERROR);
    }
    if (!isCall(node)) continue;
    const name = calledName(node);
    const takesArguments = node.params.length > 0 || node.hash !== undefined || node.type === 'BlockStatement';
    if (name !== undefined && takesArguments && (!Object.hasOwn(known, name) || INTERNAL_HELPERS.has(name))) {
      throw new PlayError(`bad template in ${pos.file}:${pos.line}: unknown helper '${name}'`, pos, ExitCode.PARSE_ERROR);
    }
  }
}

const parsedTemplates = new Map<string, AST>();

function parse(text: string, origin: SourcePos): AST {
  let ast = parsedTemplates.get(text);
  if (!ast) {
    try {
      ast = hb.parse(text);
    } catch (error) {
      throw syntaxError(text, origin, error);
    }
    checkNames(ast, origin);
    parsedTemplates.set(text, ast);
  }
  return ast;
}

type Render = Handlebars.TemplateDelegate;
const COMPILE_OPTIONS = { strict: true, noEscape: true } as const;
const compiledTemplates = new Map<string, Render>();
const compiledCaptures = new Map<string, Render>();

function compiled(text: string, origin: SourcePos): Render {
  let render = compiledTemplates.get(text);
  if (!render) {
    const ast = parse(text, origin);
    markLenientArguments(ast);
    render = hb.compile(ast, COMPILE_OPTIONS);
    compiledTemplates.set(text, render);
  }
  return render;
}

/** Runs a compiled template, turning render-time failures into PlayErrors at the right line. */
function run(render: Render, vars: Vars, origin: SourcePos, data?: object): string {
  try {
    return render(vars, data ? { data } : undefined);
  } catch (error) {
    if (error instanceof PlayError) throw error;
    if (error instanceof MissingVariable) throw undefinedVariable(error.path, positionWithin(origin, error.at.line, error.at.column));
    if (error instanceof HelperError) {
      const pos = positionWithin(origin, error.line, error.column);
      throw new PlayError(`${error.message} in ${pos.file}:${pos.line}`, pos, ExitCode.HOST_FAILED);
    }
    const pos = positionWithin(origin, (error as { lineNumber?: number }).lineNumber ?? 1, (error as { column?: number }).column ?? 0);
    throw new PlayError(`cannot render template in ${pos.file}:${pos.line}: ${(error as Error).message}`, pos, ExitCode.HOST_FAILED);
  }
}

/** Renders `text` against `vars`. `source` is where the text starts (a template file: line 1 col 1). */
export function renderTemplate(text: string, vars: Vars, source: SourcePos): string {
  return run(compiled(text, source), vars, source);
}

/** Load-time check of a template's syntax and helper names; throws PlayError at the bad line. */
export function checkTemplate(text: string, pos: SourcePos): void {
  parse(text, pos);
}

/**
 * The single `{{ ... }}` a string consists of, if it is nothing else; such a string yields the
 * raw value (a list stays a list), as Ansible does for `loop: "{{ gpus }}"`.
 */
function soleMustache(ast: AST): hbs.AST.MustacheStatement | undefined {
  const [only, ...rest] = ast.body;
  return only?.type === 'MustacheStatement' && rest.length === 0 ? (only as hbs.AST.MustacheStatement) : undefined;
}

/** `{{ x }}` becomes `{{__play_capture x}}`, `{{ helper a b }}` becomes `{{__play_capture (helper a b)}}`. */
function captureTemplate(mustache: hbs.AST.MustacheStatement): AST {
  const knownHelper = Object.hasOwn(hb.helpers, calledName(mustache) ?? '');
  const isPlainValue = mustache.params.length === 0 && !mustache.hash && !knownHelper;
  const argument: hbs.AST.Expression = isPlainValue
    ? mustache.path
    : ({ type: 'SubExpression', path: mustache.path, params: mustache.params, hash: mustache.hash, loc: mustache.loc } as hbs.AST.SubExpression);
  const capture: hbs.AST.MustacheStatement = {
    ...mustache,
    path: { type: 'PathExpression', original: CAPTURE, parts: [CAPTURE], data: false, depth: 0, loc: mustache.loc } as hbs.AST.PathExpression,
    params: [argument],
    hash: undefined as unknown as hbs.AST.Hash,
  };
  return { type: 'Program', body: [capture], blockParams: [], strip: {}, loc: mustache.loc } as unknown as AST;
}

/** Renders a string, or returns the raw value when the string is a single `{{ ... }}`. */
export function renderValue(text: string, vars: Vars, pos: SourcePos): unknown {
  let render = compiledCaptures.get(text);
  if (!render) {
    const mustache = soleMustache(parse(text, pos));
    if (!mustache) return renderTemplate(text, vars, pos);
    const ast = captureTemplate(mustache);
    markLenientArguments(ast);
    render = hb.compile(ast, COMPILE_OPTIONS);
    compiledCaptures.set(text, render);
  }
  const capture: CaptureBox = {};
  run(render, vars, pos, { capture });
  return capture.value;
}
