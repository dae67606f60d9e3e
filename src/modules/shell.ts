import { shellQuote } from '../connection/shell.js';
import { failOnError } from './result.js';
import { COMMAND_OPTIONS, runCommand, type CommandOptions } from './run-command.js';
import type { ModuleDefinition } from './types.js';

type ShellArgs = CommandOptions & {
  cmd: string;
  executable?: string;
};

/** Runs the text through a shell (`/bin/sh -c` unless `executable`): pipes, redirections and variables work. */
export const shellModule: ModuleDefinition<ShellArgs> = {
  name: 'shell',
  freeForm: 'cmd',
  schema: {
    ...COMMAND_OPTIONS,
    cmd: { ...COMMAND_OPTIONS.cmd!, required: true },
    executable: { type: 'path' },
  },
  validate: (args) => (args.cmd.trim() === '' ? 'no command given' : undefined),
  run(args, ctx) {
    const line = `${shellQuote(args.executable ?? '/bin/sh')} -c ${shellQuote(args.cmd)}`;
    return failOnError(() => runCommand(ctx, { ...args, line, cmd: args.cmd }));
  },
};
