import { ExitCode } from '../errors.js';
import { runCli, type Subcommands } from './run.js';

/**
 * The `play` program on this process: run with the process's arguments and output, then exit with
 * the code once output is flushed. Built into one bundle (dist/cli/play.cjs) that main.ts loads.
 */
export function runProgram(subcommands: Subcommands): void {
  process.on('SIGINT', () => {
    process.stderr.write('\nERROR! User interrupted execution\n');
    process.exit(ExitCode.INTERRUPTED);
  });
  void runCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
    subcommands,
  }).then((exitCode) => process.stdout.write('', () => process.exit(exitCode)));
}
