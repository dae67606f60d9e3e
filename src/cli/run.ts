import { runPlaybooks } from '../executor/index.js';
import { loadInventory, type Inventory } from '../inventory/index.js';
import { loadPlaybook, playbookPath } from '../playbook/load.js';
import type { Play, Playbook } from '../playbook/types.js';
import { ConsoleReporter } from '../report/console.js';
import { parsePlayArgs, type PlaybookRequest } from './args.js';
import { describeError, sourceLineReader } from './error-display.js';
import { formatListing } from './listing.js';

/**
 * The subcommands that load on use, so that a playbook run does not pay for their modules at
 * start-up. The caller imports them: the bundled program never runs `import()` itself.
 */
export interface Subcommands {
  inventory: () => Promise<typeof import('./inventory-command.js')>;
  lab: () => Promise<typeof import('../lab/cli.js')>;
}

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  /** Colour the run output (a terminal only). */
  color: boolean;
  subcommands: Subcommands;
}

/** The whole `play` command: subcommands, playbook runs and listings. Returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let verbosity = 0;
  try {
    if (argv[0] === 'inventory') return await (await io.subcommands.inventory()).inventoryCommand(argv.slice(1), io.out);
    if (argv[0] === 'lab') return await (await io.subcommands.lab()).labCommand(argv.slice(1), io.out);
    const parsed = parsePlayArgs(argv, io.cwd, io.out);
    if (parsed.kind === 'done') return parsed.exitCode;
    verbosity = parsed.request.options.verbosity;
    return await runRequest(parsed.request, io);
  } catch (error) {
    const { text, exitCode } = describeError(error, sourceLineReader(io.cwd), verbosity);
    io.err(text);
    return exitCode;
  }
}

/** A play's hosts after --limit, in inventory order. */
function hostsFor(inventory: Inventory, limit: string | undefined): (play: Play) => string[] {
  return (play) => inventory.select(play.hosts, limit);
}

async function runRequest(request: PlaybookRequest, io: CliIO): Promise<number> {
  const { options } = request;
  // ansible-playbook's order: the playbook files must exist, then the inventory loads, then playbooks parse.
  for (const file of request.playbooks) playbookPath(file, io.cwd);
  const inventory = await loadInventory(request.inventory, { cwd: io.cwd });
  const playbooks: Playbook[] = request.playbooks.map((file) =>
    loadPlaybook(file, { cwd: io.cwd, extraVars: options.extraVars }),
  );
  if (request.syntaxCheck) {
    for (const file of request.playbooks) io.out(`\nplaybook: ${file}\n`);
    return 0;
  }
  if (request.listHosts || request.listTasks || request.listTags) {
    const listing = { hosts: request.listHosts, tasks: request.listTasks, tags: request.listTags };
    request.playbooks.forEach((file, index) => {
      io.out(formatListing(file, playbooks[index]!, listing, options, hostsFor(inventory, options.limit)));
    });
    return 0;
  }
  const reporter = new ConsoleReporter({ verbosity: options.verbosity, diff: options.diff, write: io.out, color: io.color });
  return runPlaybooks(playbooks, inventory, options, reporter.handle);
}
