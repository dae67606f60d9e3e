import type { ModuleDefinition, ModuleResult } from './types.js';

type DebugArgs = { msg?: unknown; var?: string; verbosity: number };

const NOT_DEFINED = 'VARIABLE IS NOT DEFINED!';

/** Steps of a variable path: `a.b[0]['c']` → a, b, 0, c. Undefined when it is not a plain path. */
export function variablePath(expression: string): (string | number)[] | undefined {
  const steps: (string | number)[] = [];
  const re = /^(?:\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[(['"])(.*?)\3\])/;
  let rest = expression.trim();
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m || (steps.length === 0 && m[1] === undefined)) return undefined;
    steps.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[4]!));
    rest = rest.slice(m[0].length);
  }
  return steps.length ? steps : undefined;
}

export function lookupVariable(vars: Record<string, unknown>, expression: string): unknown {
  const steps = variablePath(expression);
  if (!steps) return undefined;
  let value: unknown = vars;
  for (const step of steps) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[step];
  }
  return value;
}

/**
 * Prints a message or a variable. A task with `verbosity: N` is skipped unless the run is at least
 * that verbose, read from `ansible_verbosity` as Ansible's magic variable names it.
 */
export const debugModule: ModuleDefinition<DebugArgs> = {
  name: 'debug',
  controllerOnly: true,
  schema: {
    msg: { type: 'raw' },
    var: { type: 'str' },
    verbosity: { type: 'int', default: 0 },
  },
  validate: (args) => (args.msg !== undefined && args.var !== undefined ? 'msg and var are mutually exclusive' : undefined),
  async run(args, ctx): Promise<ModuleResult> {
    const verbosity = Number(ctx.vars['ansible_verbosity'] ?? 0);
    if (verbosity < args.verbosity) {
      return { changed: false, skipped: true, skipped_reason: 'Verbosity threshold not met.' };
    }
    if (args.var !== undefined) {
      const value = lookupVariable(ctx.vars, args.var);
      return { changed: false, [args.var]: value === undefined ? NOT_DEFINED : value };
    }
    const msg = args.msg ?? 'Hello world!';
    // ModuleResult.msg is a string: structured messages are shown as JSON.
    return { changed: false, msg: typeof msg === 'string' ? msg : JSON.stringify(msg, null, 4) };
  },
};
