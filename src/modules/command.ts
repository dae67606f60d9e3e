import { shellQuote } from '../connection/shell.js';
import { failOnError, failure } from './result.js';
import { COMMAND_OPTIONS, runCommand } from './run-command.js';
import { shlexSplit } from './shlex.js';
import type { ModuleDefinition } from './types.js';

type CommandArgs = {
  cmd?: string;
  argv?: string[];
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline: boolean;
  strip_empty_ends: boolean;
};

/** The words to run: argv as given, or the text split like Python's shlex. */
function words(args: CommandArgs): string[] {
  return args.argv ?? shlexSplit(args.cmd ?? '');
}

/** Runs a program without a shell: every word is quoted, so `;`, `|`, `$()` and backticks mean nothing. */
export const commandModule: ModuleDefinition<CommandArgs> = {
  name: 'command',
  freeForm: 'cmd',
  schema: {
    ...COMMAND_OPTIONS,
    argv: { type: 'list', elements: 'str' },
  },
  validate(args) {
    if (args.cmd !== undefined && args.argv !== undefined) return 'only command or argv can be given, not both';
    if (args.argv === undefined && (args.cmd ?? '').trim() === '') return 'no command given';
    if (args.argv !== undefined && args.argv.length === 0) return 'no command given';
    if (args.cmd !== undefined && !args.cmd.includes('{{')) {
      try {
        shlexSplit(args.cmd);
      } catch (e) {
        return `cannot split the command line: ${(e as Error).message}`;
      }
    }
    return undefined;
  },
  run(args, ctx) {
    return failOnError(async () => {
      let argv: string[];
      try {
        argv = words(args);
      } catch (e) {
        return failure(`cannot split the command line: ${(e as Error).message}`);
      }
      return runCommand(ctx, { ...args, line: argv.map(shellQuote).join(' '), cmd: argv });
    });
  },
};
