#!/usr/bin/env node
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadWithCodeCache, requireFor } from './code-cache.js';
import type { runProgram } from './program.js';
import type { Subcommands } from './run.js';

/**
 * The `play` command (package.json `bin`). It loads the program from its bundle, dist/cli/play.cjs
 * (`npm run build`), with V8's code cache, which starts a run faster than Node's module loader going
 * through hundreds of files; without a current bundle (a plain `tsc` build) it imports the modules.
 */
const subcommands: Subcommands = {
  inventory: () => import('./inventory-command.js'),
  lab: () => import('../lab/cli.js'),
};

const BUNDLE = fileURLToPath(new URL('./play.cjs', import.meta.url));
const MODULES = fileURLToPath(new URL('./program.js', import.meta.url));
/**
 * ssh2 loads its native crypto binding by a path relative to its own file; in the bundle that path
 * is kept as written, so it is resolved in the ssh2 package instead.
 */
const NATIVE_ALIASES = { './crypto/build/Release/sshcrypto.node': 'ssh2/lib/protocol/crypto/build/Release/sshcrypto.node' };

/** Whether this run goes through the executor (compiling most of the program), for the code cache. */
const LISTING_ONLY = new Set(['--version', '--help', '-h', '--syntax-check', '--list-hosts', '--list-tasks', '--list-tags']);
const argv = process.argv.slice(2);
const fullRun = argv[0] !== 'inventory' && argv[0] !== 'lab' && !argv.some((arg) => LISTING_ONLY.has(arg));

/** The bundle, unless a plain `tsc` build is newer (then its modules are what the sources say). */
const bundleIsCurrent = existsSync(BUNDLE) && statSync(BUNDLE).mtimeMs >= statSync(MODULES).mtimeMs;
const program = bundleIsCurrent
  ? (loadWithCodeCache(BUNDLE, requireFor(BUNDLE, NATIVE_ALIASES), { fullRun }) as { runProgram: typeof runProgram })
  : await import('./program.js');
program.runProgram(subcommands);
