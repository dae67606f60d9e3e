import type { ModuleDefinition, ModuleResult } from './types.js';

type AssertArgs = {
  that: (string | boolean)[];
  fail_msg?: string;
  success_msg?: string;
  quiet: boolean;
};

function conditionFailure(condition: string, error: unknown): string {
  return `The conditional check '${condition}' failed. The error was: ${(error as Error).message}`;
}

/** Checks conditions on the controller; the first false one fails the host with `fail_msg`. */
export const assertModule: ModuleDefinition<AssertArgs> = {
  name: 'assert',
  controllerOnly: true,
  schema: {
    that: { type: 'conditions', required: true },
    fail_msg: { type: 'str', aliases: ['msg'] },
    success_msg: { type: 'str' },
    quiet: { type: 'bool', default: false },
  },
  async run(args, ctx): Promise<ModuleResult> {
    for (const condition of args.that.map(String)) {
      let holds: boolean;
      try {
        holds = ctx.evaluate(condition);
      } catch (error) {
        return { changed: false, failed: true, msg: conditionFailure(condition, error), assertion: condition };
      }
      if (!holds) {
        return {
          changed: false,
          failed: true,
          msg: args.fail_msg ?? 'Assertion failed',
          assertion: condition,
          evaluated_to: false,
        };
      }
    }
    return { changed: false, msg: args.success_msg ?? 'All assertions passed', ...(args.quiet ? { quiet: true } : {}) };
  },
};
