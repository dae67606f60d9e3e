// Evaluation of parsed expressions. We walk jexl's AST ourselves instead of using jexl's
// evaluator: it lets undefined variables fail with their name (except under `is defined` and
// `default`), keeps property access to own data, and gives `and`/`or`/`in`/`==` Python meaning.
import { ExitCode, PlayError, type SourcePos } from '../errors.js';
import type { Vars } from '../playbook/types.js';
import { parseExpression, type ExprNode } from './expression-parse.js';
import { FILTERS, LENIENT_FILTERS } from './filters.js';
import { undefinedVariable } from './position.js';
import { LENIENT_TESTS, TESTS } from './tests.js';
import { compareValues, contains, deepEqual, readMember, toText, truthy, typeName } from './values.js';

interface Scope {
  vars: Vars;
  pos: SourcePos;
}

type PathNode = Extract<ExprNode, { type: 'Identifier' } | { type: 'FilterExpression' }>;

function isPath(node: ExprNode): node is PathNode {
  return node.type === 'Identifier' || node.type === 'FilterExpression';
}

/** The path as the user wrote it, for error messages: `r.stdout`, `groups['gpu-nodes']`, `a[0]`. */
function describePath(node: ExprNode): string {
  if (node.type === 'Identifier') return node.from ? `${describePath(node.from)}.${node.value}` : node.value;
  if (node.type === 'FilterExpression') {
    const key = node.expr.type === 'Literal' ? JSON.stringify(node.expr.value).replace(/^"(.*)"$/, "'$1'") : describePath(node.expr);
    return `${describePath(node.subject)}[${key}]`;
  }
  return '(...)';
}

/** Follows a path; `found: false` when any part of it is missing. */
function lookup(node: PathNode, scope: Scope): { found: boolean; value?: unknown } {
  const [parent, key] =
    node.type === 'Identifier'
      ? [node.from ? lookupOrEvaluate(node.from, scope) : { found: true, value: scope.vars }, node.value]
      : [lookupOrEvaluate(node.subject, scope), evaluateNode(node.expr, scope)];
  return parent.found ? readMember(parent.value, key) : parent;
}

function lookupOrEvaluate(node: ExprNode, scope: Scope): { found: boolean; value?: unknown } {
  return isPath(node) ? lookup(node, scope) : { found: true, value: evaluateNode(node, scope) };
}

/** A value that may be undefined without error: the subject of `is defined` or `default`. */
function evaluateLenient(node: ExprNode, scope: Scope): unknown {
  return isPath(node) ? lookup(node, scope).value : evaluateNode(node, scope);
}

function numbers(operator: string, left: unknown, right: unknown): [number, number] {
  if (typeof left !== 'number' || typeof right !== 'number') {
    throw new TypeError(`'${operator}' needs numbers, not ${typeName(left)} and ${typeName(right)}`);
  }
  return [left, right];
}

function plus(left: unknown, right: unknown): unknown {
  if (typeof left === 'number' && typeof right === 'number') return left + right;
  if (typeof left === 'string' && typeof right === 'string') return left + right;
  if (Array.isArray(left) && Array.isArray(right)) return [...left, ...right];
  throw new TypeError(`'+' cannot add ${typeName(left)} and ${typeName(right)} (use '~' to join as text)`);
}

function arithmetic(operator: string, left: unknown, right: unknown): unknown {
  if (operator === '+') return plus(left, right);
  if (operator === '~') return toText(left) + toText(right);
  const [a, b] = numbers(operator, left, right);
  if ((operator === '/' || operator === '//' || operator === '%') && b === 0) throw new RangeError('division by zero');
  switch (operator) {
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    case '//': return Math.floor(a / b);
    case '%': return ((a % b) + b) % b;
    default: return a ** b;
  }
}

function applyTest(node: Extract<ExprNode, { type: 'BinaryExpression' }>, scope: Scope): boolean {
  const name = node.right.type === 'FunctionCall' ? node.right.name : (node.right as { value: string }).value;
  const args = node.right.type === 'FunctionCall' ? node.right.args.map((arg) => evaluateNode(arg, scope)) : [];
  const subject = LENIENT_TESTS.has(name) ? evaluateLenient(node.left, scope) : evaluateNode(node.left, scope);
  const passed = TESTS.get(name)!(subject, ...args);
  return node.operator === 'is' ? passed : !passed;
}

function evaluateBinary(node: Extract<ExprNode, { type: 'BinaryExpression' }>, scope: Scope): unknown {
  const { operator } = node;
  if (operator === 'is' || operator === 'is not') return applyTest(node, scope);
  const left = evaluateNode(node.left, scope);
  // Python's `and`/`or` short-circuit and yield an operand, not a boolean.
  if (operator === 'and') return truthy(left) ? evaluateNode(node.right, scope) : left;
  if (operator === 'or') return truthy(left) ? left : evaluateNode(node.right, scope);
  const right = evaluateNode(node.right, scope);
  switch (operator) {
    case '==': return deepEqual(left, right);
    case '!=': return !deepEqual(left, right);
    case 'in': return contains(right, left);
    case 'not in': return !contains(right, left);
    case '<': case '<=': case '>': case '>=': return compareValues(operator, left, right);
    default: return arithmetic(operator, left, right);
  }
}

function evaluateNode(node: ExprNode, scope: Scope): unknown {
  switch (node.type) {
    case 'Literal':
      return node.value;
    case 'ArrayLiteral':
      return node.value.map((item) => evaluateNode(item, scope));
    case 'ObjectLiteral':
      return Object.fromEntries(Object.entries(node.value).map(([k, v]) => [k, evaluateNode(v, scope)]));
    case 'Identifier':
    case 'FilterExpression': {
      const found = lookup(node, scope);
      if (!found.found) throw undefinedVariable(describePath(node), scope.pos);
      return found.value;
    }
    case 'UnaryExpression':
      return !truthy(evaluateNode(node.right, scope));
    case 'BinaryExpression':
      return evaluateBinary(node, scope);
    case 'FunctionCall': {
      // Parsing admits only known filters here; functions appear only as tests, handled above.
      const [subjectNode, ...argNodes] = node.args;
      const subject = LENIENT_FILTERS.has(node.name) ? evaluateLenient(subjectNode!, scope) : evaluateNode(subjectNode!, scope);
      return FILTERS.get(node.name)!(subject, ...argNodes.map((arg) => evaluateNode(arg, scope)));
    }
    case 'ConditionalExpression':
      throw new TypeError("'?:' is not supported");
  }
}

/** Evaluates a Jinja-style expression against `vars`; errors are PlayErrors at `pos` (the task). */
export function evaluate(expr: string, vars: Vars, pos: SourcePos): unknown {
  const ast = parseExpression(expr, pos);
  try {
    return evaluateNode(ast, { vars, pos });
  } catch (error) {
    if (error instanceof PlayError) throw error;
    throw new PlayError(`cannot evaluate "${expr}" in ${pos.file}:${pos.line}: ${(error as Error).message}`, pos, ExitCode.HOST_FAILED);
  }
}

const WRAPPED = /^\s*\{\{(.*)\}\}\s*$/s;

/**
 * A `when:`-style condition: a YAML boolean, or an expression whose result is taken with Python
 * truthiness. A condition wrapped in `{{ }}` (an old Ansible habit) is unwrapped first.
 */
export function evaluateCondition(cond: string | boolean, vars: Vars, pos: SourcePos): boolean {
  if (typeof cond === 'boolean') return cond;
  const expr = WRAPPED.exec(cond)?.[1] ?? cond;
  return truthy(evaluate(expr, vars, pos));
}

/** Load-time syntax check: throws PlayError at `pos` when `expr` cannot be parsed. */
export function checkExpression(expr: string, pos: SourcePos): void {
  parseExpression(WRAPPED.exec(expr)?.[1] ?? expr, pos);
}
