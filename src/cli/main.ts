#!/usr/bin/env node
import { ExitCode } from '../errors.js';
import { runCli } from './run.js';

/** The `play` program (package.json `bin`): run, then exit with the code once output is flushed. */
process.on('SIGINT', () => {
  process.stderr.write('\nERROR! User interrupted execution\n');
  process.exit(ExitCode.INTERRUPTED);
});

const exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
});
process.stdout.write('', () => process.exit(exitCode));
