import { shellQuote } from '../connection/shell.js';
import { expandWords } from './expand.js';
import { failOnError, failure } from './result.js';
import { COMMAND_OPTIONS, runCommand, type CommandOptions } from './run-command.js';
import { shlexSplit } from '../connection/shlex.js';
import type { ModuleDefinition } from './types.js';

type CommandArgs = CommandOptions & {
  argv?: string[];
  expand_argument_vars: boolean;
};

/** The words to run: argv as given, or the text split like Python's shlex. */
function words(args: CommandArgs): string[] {
  return args.argv ?? shlexSplit(args.cmd ?? '');
}

/**
 * The words as one shell line: quoted, with only $VARS and ~ expanded when asked. `exec` makes the
 * shell run the program found in PATH, never a builtin of the same name (`echo -e`, `cd`, `test`
 * behave as the programs do, as under Ansible, which runs no shell at all).
 */
export function commandLine(argv: string[], expandVars: boolean): string {
  if (!expandVars) return `exec ${argv.map(shellQuote).join(' ')}`;
  const { preamble, words } = expandWords(argv);
  return [...preamble, `exec ${words.join(' ')}`].join('\n');
}

/**
 * Runs a program without a shell: every word is quoted, so `;`, `|`, `$()` and backticks mean nothing;
 * only `$VAR` and `~` are expanded, as Ansible's expand_argument_vars does (on by default).
 */
export const commandModule: ModuleDefinition<CommandArgs> = {
  name: 'command',
  freeForm: 'cmd',
  schema: {
    ...COMMAND_OPTIONS,
    argv: { type: 'list', elements: 'str' },
    expand_argument_vars: { type: 'bool', default: true },
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
      return runCommand(ctx, { ...args, line: commandLine(argv, args.expand_argument_vars), cmd: argv });
    });
  },
};
