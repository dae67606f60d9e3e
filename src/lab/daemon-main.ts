/** The detached lab daemon's process entry: `node daemon-main.js LABDIR` (started by `play lab up`). */
import { runDaemon } from './daemon.js';

runDaemon(process.argv[2] ?? '.lab').catch((err: Error) => {
  process.stderr.write(`play lab daemon: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
