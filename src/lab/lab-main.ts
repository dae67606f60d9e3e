/** Standalone entry for `play lab` (tests and `npm run demo` use it before the main CLI exists). */
import { labCommand } from './cli.js';

labCommand(process.argv.slice(2), (s) => process.stdout.write(s)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`play lab: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  },
);
