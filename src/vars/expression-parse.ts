// Parsing of Jinja-style conditions (`when:`, `failed_when:`, `assert.that`, ...) with jexl's
// lexer and parser. jexl's own grammar is adjusted to Jinja's: word operators `and or not in is`
// with Python's precedences, `~` and `**`, and none of jexl's `&& || ! ?:`. Because jexl's lexer
// recognises string literals itself, keywords inside quotes are never touched.
import Lexer, { type JexlToken } from 'jexl/dist/Lexer.js';
import Parser from 'jexl/dist/parser/Parser.js';
import { getGrammar, type JexlGrammar } from 'jexl/dist/grammar.js';
import { distance } from 'fastest-levenshtein';
import { ExitCode, PlayError, type SourcePos } from '../errors.js';
import { FILTERS } from './filters.js';
import { TESTS } from './tests.js';

export type ExprNode =
  | { type: 'Literal'; value: string | number | boolean | null }
  | { type: 'ArrayLiteral'; value: ExprNode[] }
  | { type: 'ObjectLiteral'; value: Record<string, ExprNode> }
  | { type: 'Identifier'; value: string; from?: ExprNode; relative?: boolean }
  | { type: 'FilterExpression'; relative: boolean; expr: ExprNode; subject: ExprNode }
  | { type: 'UnaryExpression'; operator: string; right: ExprNode }
  | { type: 'BinaryExpression'; operator: string; left: ExprNode; right: ExprNode }
  | { type: 'ConditionalExpression'; test: ExprNode; consequent: ExprNode; alternate: ExprNode }
  | { type: 'FunctionCall'; name: string; pool: 'functions' | 'transforms'; args: ExprNode[] };

// Python's order, loosest first: or < and < not < comparisons/in < + - < ~ < * / // % < ** < is.
const JINJA_OPERATORS: Record<string, { type: string; precedence: number }> = {
  or: { type: 'binaryOp', precedence: 10 },
  and: { type: 'binaryOp', precedence: 11 },
  not: { type: 'unaryOp', precedence: 15 },
  '~': { type: 'binaryOp', precedence: 35 },
  '**': { type: 'binaryOp', precedence: 60 },
  is: { type: 'binaryOp', precedence: 70 },
};
// Two-word operators exist only for the parser: the lexer sees two words and we join them.
const JOINED_OPERATORS: Record<string, { type: string; precedence: number }> = {
  'not in': { type: 'binaryOp', precedence: 20 },
  'is not': { type: 'binaryOp', precedence: 70 },
};
const JEXL_ONLY = ['&&', '||', '!', '?', '^'];
const JEXL_HINTS: Record<string, string> = { '&&': "use 'and'", '||': "use 'or'", '!': "use 'not'", '?': "use '| default(...)' or separate conditions" };

function buildGrammars(): { lexing: JexlGrammar; parsing: JexlGrammar } {
  const base = getGrammar();
  for (const op of JEXL_ONLY) delete base.elements[op];
  // Without a prototype, names like `constructor` are plain identifiers, not grammar elements.
  const elements = Object.assign(Object.create(null) as JexlGrammar['elements'], base.elements, JINJA_OPERATORS);
  const lexing = { ...base, elements };
  const parsing = { ...base, elements: Object.assign(Object.create(null) as JexlGrammar['elements'], elements, JOINED_OPERATORS) };
  return { lexing, parsing };
}

const grammars = buildGrammars();
const lexer = new Lexer(grammars.lexing);

const PYTHON_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };

/** A quoted literal read as Python reads it (`\n` is a newline; unknown escapes stay, as in regexes). */
function unquotePython(quoted: string): string {
  return quoted
    .slice(1, -1)
    .replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/gs, (whole, esc: string) => {
      if (esc.length > 1) return String.fromCharCode(parseInt(esc.slice(1), 16));
      return PYTHON_ESCAPES[esc] ?? whole;
    });
}

const CONSTANTS: Record<string, boolean | null> = { True: true, False: false, true: true, false: false, None: null, none: null };

/** Rewrites jexl's tokens into Jinja meaning: joined operators, Python constants, tuples, strings. */
function toJinjaTokens(raw: JexlToken[]): JexlToken[] {
  const out: JexlToken[] = [];
  for (let i = 0; i < raw.length; i++) {
    const token = raw[i]!;
    const next = raw[i + 1];
    const previous = out[out.length - 1];
    if (token.type === 'unaryOp' && token.value === 'not' && next?.type === 'binaryOp' && next.value === 'in') {
      out.push({ type: 'binaryOp', value: 'not in', raw: `${token.raw}${next.raw}` });
      i++;
    } else if (token.value === 'is' && token.type === 'binaryOp' && next?.value === 'not' && next.type === 'unaryOp') {
      out.push({ type: 'binaryOp', value: 'is not', raw: `${token.raw}${next.raw}` });
      i++;
    } else if (previous?.type === 'binaryOp' && (previous.value === 'is' || previous.value === 'is not')) {
      // The word after `is` names a test, even when it looks like a constant (`is true`, `is none`).
      out.push({ type: 'identifier', value: String(token.value).toLowerCase(), raw: token.raw });
    } else if (token.type === 'literal' && /^["']/.test(token.raw)) {
      out.push({ ...token, value: unquotePython(token.raw.trimEnd()) });
    } else if (token.type === 'identifier' && typeof token.value === 'string' && Object.hasOwn(CONSTANTS, token.value) && previous?.type !== 'dot' && previous?.type !== 'pipe') {
      out.push({ type: 'literal', value: CONSTANTS[token.value], raw: token.raw });
    } else {
      out.push(token);
    }
  }
  return tuplesToLists(out);
}

/**
 * Python tuples `(a, b)` become lists `[a, b]` (jexl has no tuples), and trailing commas go.
 * A parenthesis right after a name is a call (`default(...)`), never a tuple.
 */
function tuplesToLists(tokens: JexlToken[]): JexlToken[] {
  const result = tokens.slice();
  const open: { index: number; grouping: boolean; commas: boolean }[] = [];
  for (let i = 0; i < result.length; i++) {
    const token = result[i]!;
    if (token.type === 'openParen' || token.type === 'openBracket' || token.type === 'openCurl') {
      open.push({ index: i, grouping: token.type === 'openParen' && result[i - 1]?.type !== 'identifier', commas: false });
    } else if (token.type === 'comma' && open.length) {
      open[open.length - 1]!.commas = true;
    } else if (token.type === 'closeParen' || token.type === 'closeBracket' || token.type === 'closeCurl') {
      const opened = open.pop();
      if (!opened) throw new Error(`unexpected '${token.value}'`);
      if (result[i - 1]?.type === 'comma') result.splice(--i, 1);
      if (opened.grouping && (opened.commas || result[i - 1] === result[opened.index])) {
        result[opened.index] = { type: 'openBracket', value: '[', raw: '[' };
        result[i] = { type: 'closeBracket', value: ']', raw: ']' };
      }
    }
  }
  // jexl's parser accepts an unclosed bracket at the end; Jinja does not.
  if (open.length) throw new Error(`'${result[open[open.length - 1]!.index]!.value}' is never closed`);
  return result;
}

function invalid(expr: string, detail: string, pos: SourcePos): PlayError {
  return new PlayError(`invalid expression "${expr}" in ${pos.file}:${pos.line}: ${detail}`, pos, ExitCode.PARSE_ERROR);
}

function describeSyntaxError(message: string, expr: string): string {
  const token = /^Invalid expression token: (\S+)/.exec(message)?.[1];
  if (token !== undefined) {
    const hint = Object.entries(JEXL_HINTS).find(([op]) => token.startsWith(op))?.[1];
    return `unexpected '${token}'${hint ? ` (${hint})` : ''}`;
  }
  const unexpected = /^Token (.*?) \((\w+)\) unexpected/.exec(message);
  if (unexpected) {
    const token = unexpected[1]!.trim();
    // `a || b` lexes as two filter pipes, so jexl trips over the second one.
    return token === '|' && expr.includes('||') ? `unexpected '||' (${JEXL_HINTS['||']})` : `unexpected '${token}'`;
  }
  if (message.startsWith('Unexpected end of expression')) return 'the expression ends too early';
  return message;
}

function suggestion(name: string, known: string[]): string {
  const close = known.filter((candidate) => distance(candidate, name) <= 2).sort((a, b) => distance(a, name) - distance(b, name));
  return close.length ? ` (did you mean '${close[0]}'?)` : '';
}

/** Load-time checks jexl cannot make: every filter, test and function must be one we know. */
function checkNames(node: ExprNode, expr: string, pos: SourcePos): void {
  switch (node.type) {
    case 'FunctionCall':
      if (node.pool === 'transforms' && !FILTERS.has(node.name)) {
        throw invalid(expr, `unknown filter '${node.name}'${suggestion(node.name, [...FILTERS.keys()])}`, pos);
      }
      if (node.pool === 'functions') throw invalid(expr, `unknown function '${node.name}'`, pos);
      node.args.forEach((arg) => checkNames(arg, expr, pos));
      return;
    case 'BinaryExpression':
      checkNames(node.left, expr, pos);
      if (node.operator === 'is' || node.operator === 'is not') return checkTest(node.right, expr, pos);
      return checkNames(node.right, expr, pos);
    case 'UnaryExpression':
      return checkNames(node.right, expr, pos);
    case 'FilterExpression':
      if (node.relative) throw invalid(expr, "'[.name ...]' filtering is not supported", pos);
      checkNames(node.subject, expr, pos);
      return checkNames(node.expr, expr, pos);
    case 'Identifier':
      if (node.relative) throw invalid(expr, `unexpected '.${node.value}'`, pos);
      if (node.from) checkNames(node.from, expr, pos);
      return;
    case 'ArrayLiteral':
      return node.value.forEach((item) => checkNames(item, expr, pos));
    case 'ObjectLiteral':
      return Object.values(node.value).forEach((item) => checkNames(item, expr, pos));
    case 'ConditionalExpression':
      throw invalid(expr, "'?:' is not supported", pos);
    case 'Literal':
      return;
  }
}

function checkTest(node: ExprNode, expr: string, pos: SourcePos): void {
  const name = node.type === 'Identifier' && !node.from ? node.value : node.type === 'FunctionCall' && node.pool === 'functions' ? node.name : undefined;
  if (name === undefined) throw invalid(expr, "'is' must be followed by a test name, like 'is defined'", pos);
  if (!TESTS.has(name)) throw invalid(expr, `unknown test '${name}'${suggestion(name, [...TESTS.keys()])}`, pos);
  if (node.type === 'FunctionCall') node.args.forEach((arg) => checkNames(arg, expr, pos));
}

const parsed = new Map<string, ExprNode>();

/** Parses a Jinja-style expression (cached by text); throws PlayError naming file:line. */
export function parseExpression(expr: string, pos: SourcePos): ExprNode {
  const cached = parsed.get(expr);
  if (cached) return cached;
  if (expr.trim() === '') throw invalid(expr, 'the expression is empty', pos);
  let ast: ExprNode;
  try {
    const parser = new Parser(grammars.parsing);
    parser.addTokens(toJinjaTokens(lexer.tokenize(expr)));
    ast = parser.complete() as ExprNode;
  } catch (error) {
    throw invalid(expr, describeSyntaxError((error as Error).message, expr), pos);
  }
  checkNames(ast, expr, pos);
  parsed.set(expr, ast);
  return ast;
}
