/**
 * firewalld: ansible.posix.firewalld's port/service subset. One exec learns whether firewalld runs and
 * whether the port or service is already open in the permanent and runtime configurations; a second
 * exec changes only the configurations that differ. Runtime changes are made with --add-port, never
 * with --reload, which would throw away other runtime-only rules.
 */
import { shellQuote } from '../connection/shell.js';
import { execOrThrow } from './remote-file.js';
import { failOnError, failure } from './result.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from './types.js';

type FirewalldArgs = {
  port?: string;
  service?: string;
  zone?: string;
  permanent?: boolean;
  immediate: boolean;
  state: 'enabled' | 'disabled';
  offline: boolean;
};

/** Which configurations a task changes, as Ansible decides it: runtime when immediate or not permanent. */
export interface Targets {
  permanent: boolean;
  runtime: boolean;
}

export function targetsOf(args: Pick<FirewalldArgs, 'permanent' | 'immediate'>): Targets {
  const permanent = args.permanent === true;
  return { permanent, runtime: args.immediate || !permanent };
}

/** `--add-port=4432/tcp` and friends: the item flag for port or service, for a verb. */
export function itemFlag(verb: 'query' | 'add' | 'remove', args: Pick<FirewalldArgs, 'port' | 'service'>): string {
  return args.port !== undefined ? `--${verb}-port=${args.port}` : `--${verb}-service=${args.service}`;
}

/** The words of one firewall-cmd (or firewall-offline-cmd) call, each already shell-quoted. */
export function firewallCommand(
  tool: 'firewall-cmd' | 'firewall-offline-cmd',
  permanent: boolean,
  zone: string | undefined,
  flag: string,
): string {
  const words: string[] = [tool];
  if (permanent && tool === 'firewall-cmd') words.push('--permanent');
  if (zone) words.push(shellQuote(`--zone=${zone}`));
  words.push(shellQuote(flag));
  return words.join(' ');
}

/** Echoes `NAME=<rc>` for a query; 0 means present, 1 absent, anything else an error whose text follows. */
function queryLine(name: string, command: string): string {
  return `out=$(${command} 2>&1); echo "${name}=$? $(printf '%s' "$out" | tr '\\n' ' ')"`;
}

export function probeScript(args: FirewalldArgs): string {
  const query = itemFlag('query', args);
  return [
    'if ! command -v firewall-cmd >/dev/null 2>&1 && ! command -v firewall-offline-cmd >/dev/null 2>&1; then echo installed=0; exit 0; fi',
    'if firewall-cmd --state >/dev/null 2>&1; then',
    '  echo running=1',
    `  ${queryLine('permanent', firewallCommand('firewall-cmd', true, args.zone, query))}`,
    `  ${queryLine('runtime', firewallCommand('firewall-cmd', false, args.zone, query))}`,
    'else',
    '  echo running=0',
    `  ${queryLine('permanent', firewallCommand('firewall-offline-cmd', true, args.zone, query))}`,
    'fi',
  ].join('\n');
}

export interface ProbeAnswer {
  installed: boolean;
  running: boolean;
  /** true: the item is there; false: it is not; undefined: not asked. */
  permanent?: boolean;
  runtime?: boolean;
  /** The first query that failed, with its output. */
  error?: string;
}

export function parseProbe(stdout: string): ProbeAnswer {
  const fields = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const answer: ProbeAnswer = { installed: fields.get('installed') !== '0', running: fields.get('running') === '1' };
  for (const name of ['permanent', 'runtime'] as const) {
    const value = fields.get(name);
    if (value === undefined) continue;
    const space = value.indexOf(' ');
    const rc = space < 0 ? value : value.slice(0, space);
    const text = space < 0 ? '' : value.slice(space + 1).trim();
    if (rc === '0') answer[name] = true;
    else if (rc === '1') answer[name] = false;
    else answer.error ??= `${name} query failed (rc=${rc}): ${text}`;
  }
  return answer;
}

function describeTargets(targets: Targets): string {
  if (targets.permanent && targets.runtime) return 'Permanent and Non-Permanent(immediate) operation';
  return targets.permanent ? 'Permanent operation' : 'Non-permanent operation';
}

async function runFirewalld(args: FirewalldArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const probe = await ctx.conn.exec(probeScript(args), { become: ctx.become });
  if (probe.rc !== 0) return failure(`querying firewalld failed (rc=${probe.rc}): ${probe.stderr.trim()}`);
  const answer = parseProbe(probe.stdout);
  if (!answer.installed) return failure('firewalld is not installed (neither firewall-cmd nor firewall-offline-cmd found)');
  if (answer.error) return failure(answer.error);
  const wanted = args.state === 'enabled';
  const targets = targetsOf(args);
  if (!answer.running) {
    if (!args.offline) return failure('firewalld is not running; set offline: true to change its permanent configuration anyway');
    if (!targets.permanent) return failure('firewalld is not running: only permanent changes are possible (permanent: true)');
  }
  const verb = wanted ? 'add' : 'remove';
  const commands: string[] = [];
  if (targets.permanent && answer.permanent !== wanted) {
    const tool = answer.running ? 'firewall-cmd' : 'firewall-offline-cmd';
    commands.push(firewallCommand(tool, true, args.zone, itemFlag(verb, args)));
  }
  if (targets.runtime && answer.running && answer.runtime !== wanted) {
    commands.push(firewallCommand('firewall-cmd', false, args.zone, itemFlag(verb, args)));
  }
  const item = args.port !== undefined ? `port ${args.port}` : `service ${args.service}`;
  if (commands.length === 0) return { changed: false, msg: `${describeTargets(targets)}, ${item} already ${args.state}` };
  if (!ctx.check) await execOrThrow(ctx, commands.join(' && '), `changing ${item}`);
  return {
    changed: true,
    msg: `${describeTargets(targets)}, Changed ${item} to ${args.state}${answer.running ? '' : ' (offline)'}`,
    commands,
  };
}

const PORT = /^\d{1,5}(-\d{1,5})?\/(tcp|udp|sctp|dccp)$/;
const NAME = /^[A-Za-z0-9_.+-]+$/;

export const firewalldModule: ModuleDefinition<FirewalldArgs> = {
  name: 'firewalld',
  schema: {
    port: { type: 'str' },
    service: { type: 'str' },
    zone: { type: 'str' },
    permanent: { type: 'bool' },
    immediate: { type: 'bool', default: false },
    state: { type: 'str', required: true, choices: ['enabled', 'disabled'] },
    offline: { type: 'bool', default: false },
  },
  validate(args) {
    if ((args.port === undefined) === (args.service === undefined)) return 'firewalld needs exactly one of port or service';
    if (args.port !== undefined && !PORT.test(args.port)) {
      return `port '${args.port}' must look like 4432/tcp or 10000-30000/tcp (protocol tcp, udp, sctp or dccp)`;
    }
    if (args.service !== undefined && !NAME.test(args.service)) return `service '${args.service}' is not a firewalld service name`;
    if (args.zone !== undefined && !NAME.test(args.zone)) return `zone '${args.zone}' is not a firewalld zone name`;
    return undefined;
  },
  run: (args, ctx) => failOnError(() => runFirewalld(args, ctx)),
};
