import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ExitCode, OptionsError } from '../errors.js';
import type { RunOptions } from '../executor/types.js';
import { parseExtraVars } from './extra-vars.js';

/** What `play PLAYBOOK...` was asked to do, every value checked. */
export interface PlaybookRequest {
  playbooks: string[];
  inventory: string[];
  listHosts: boolean;
  listTasks: boolean;
  listTags: boolean;
  syntaxCheck: boolean;
  options: RunOptions;
}

/** Either a run to do, or an exit code because --help/--version already printed. */
export type ParsedArgs = { kind: 'playbooks'; request: PlaybookRequest } | { kind: 'done'; exitCode: number };

export const DEFAULT_FORKS = 50;

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Tags are comma-separated and the flag may be repeated. */
function collectTags(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').map((t) => t.trim()).filter((t) => t !== '')];
}

function parseForks(value: string): number {
  if (!/^\s*\d+\s*$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError('forks must be a whole number of at least 1.');
  }
  return Number(value);
}

function increase(_value: string, previous: number): number {
  return previous + 1;
}

interface RawOptions {
  inventory: string[];
  limit?: string;
  tags: string[];
  skipTags: string[];
  check?: boolean;
  diff?: boolean;
  forks: number;
  extraVars: string[];
  startAtTask?: string;
  listHosts?: boolean;
  listTasks?: boolean;
  listTags?: boolean;
  syntaxCheck?: boolean;
  become?: boolean;
  becomeUser?: string;
  user?: string;
  privateKey?: string;
  acceptNewHostKeys?: boolean;
  forceHandlers?: boolean;
  verbose: number;
}

function buildProgram(write: (text: string) => void): Command {
  return new Command('play')
    .usage('[options] playbook.yml [playbook2 ...]\n       play inventory [options]\n       play lab [options]')
    .description(
      'Runs Ansible-style playbooks, executing the defined tasks on the targeted hosts.\n' +
        'Subcommands: "play inventory --help" (show the inventory), "play lab --help" (a local test fleet).',
    )
    .version(packageVersion(), '--version', 'show the program version and exit')
    .argument('<playbook...>', 'playbook file(s) to run, in order')
    .option('-i, --inventory <path>', 'inventory file or directory, or a comma-separated host list (repeatable)', collect, [])
    .option('-l, --limit <pattern>', 'further limit the selected hosts to this pattern')
    .option('-t, --tags <tags>', 'only run plays and tasks tagged with these values (comma-separated, repeatable)', collectTags, [])
    .option('--skip-tags <tags>', 'only run plays and tasks whose tags do not match these values', collectTags, [])
    .option('-C, --check', "don't make any changes; instead, try to predict some of the changes that may occur")
    .option('-D, --diff', 'when changing (small) files and templates, show the differences in those files')
    .option('-f, --forks <n>', 'number of hosts worked on at once', parseForks, DEFAULT_FORKS)
    .option('-e, --extra-vars <vars>', 'set additional variables as key=value, JSON/YAML, or @file (repeatable)', collect, [])
    .option('--start-at-task <name>', 'start the playbook at the task matching this name (glob allowed)')
    .option('--list-hosts', 'outputs a list of matching hosts; does not execute anything else')
    .option('--list-tasks', 'list all tasks that would be executed')
    .option('--list-tags', 'list all available tags')
    .option('--syntax-check', 'perform a syntax check on the playbook, but do not execute it')
    .option('-b, --become', 'run operations with become (does not imply password prompting)')
    .option('--become-user <user>', 'run operations as this user (default root)')
    .option('-u, --user <user>', 'connect as this user')
    .option('--private-key <file>', 'use this file to authenticate the connection')
    .option('--accept-new-host-keys', 'trust and record host keys never seen before (changed keys are always refused)')
    .option('--force-handlers', 'run handlers even if a task fails')
    .option('-v, --verbose', 'more output (-vvv for more)', increase, 0)
    .helpOption('-h, --help', 'show this help message and exit')
    .exitOverride()
    .configureOutput({ writeOut: write, writeErr: write, outputError: () => undefined });
}

/** Parses `play` arguments (without the program name). Bad flags or values throw OptionsError (exit 5). */
export function parsePlayArgs(argv: readonly string[], cwd: string, write: (text: string) => void): ParsedArgs {
  const program = buildProgram(write);
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return { kind: 'done', exitCode: ExitCode.OK };
      }
      throw new OptionsError(error.message.replace(/^error: /, ''));
    }
    throw error;
  }
  const raw = program.opts<RawOptions>();
  const options: RunOptions = {
    limit: raw.limit,
    tags: raw.tags,
    skipTags: raw.skipTags,
    check: raw.check ?? false,
    diff: raw.diff ?? false,
    forks: raw.forks,
    extraVars: parseExtraVars(raw.extraVars, cwd),
    startAtTask: raw.startAtTask,
    become: raw.become ?? false,
    becomeUser: raw.becomeUser,
    remoteUser: raw.user,
    privateKey: raw.privateKey,
    verbosity: raw.verbose,
    acceptNewHostKeys: raw.acceptNewHostKeys ?? false,
    forceHandlers: raw.forceHandlers ?? false,
  };
  for (const key of Object.keys(options) as (keyof RunOptions)[]) if (options[key] === undefined) delete options[key];
  return {
    kind: 'playbooks',
    request: {
      playbooks: program.args,
      inventory: raw.inventory,
      listHosts: raw.listHosts ?? false,
      listTasks: raw.listTasks ?? false,
      listTags: raw.listTags ?? false,
      syntaxCheck: raw.syntaxCheck ?? false,
      options,
    },
  };
}
