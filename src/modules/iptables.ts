/**
 * iptables: Ansible's iptables subset for opening ports. `iptables -C` tells whether the rule exists;
 * only then is it inserted, appended or deleted. Saving the rules (`service iptables save`) is the
 * caller's business, as in Ansible.
 */
import { shellQuote } from '../connection/shell.js';
import { execOrThrow } from './remote-file.js';
import { failOnError, failure } from './result.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from './types.js';

type IptablesArgs = {
  table: string;
  chain: string;
  protocol?: string;
  source?: string;
  destination_port?: string;
  jump?: string;
  comment?: string;
  action: 'append' | 'insert';
  rule_num?: number;
  state: 'present' | 'absent';
};

/** The rule's match and target, in Ansible's construct_rule order, as argv words (unquoted). */
export function ruleWords(args: Omit<IptablesArgs, 'action' | 'state' | 'table' | 'chain' | 'rule_num'>): string[] {
  const words: string[] = [];
  if (args.protocol) words.push('-p', args.protocol);
  if (args.source) words.push('-s', args.source);
  if (args.jump) words.push('-j', args.jump);
  if (args.destination_port) words.push('--destination-port', args.destination_port);
  if (args.comment) words.push('-m', 'comment', '--comment', args.comment);
  return words;
}

/** `iptables -t TABLE <op> CHAIN [num] rule…` with every word quoted. */
export function iptablesCommand(args: IptablesArgs, op: '-C' | '-A' | '-I' | '-D'): string {
  const words = ['iptables', '-t', args.table, op, args.chain];
  if (op === '-I' && args.rule_num !== undefined) words.push(String(args.rule_num));
  words.push(...ruleWords(args));
  return words.map(shellQuote).join(' ');
}

/** rc of `iptables -C`: 0 the rule exists, 1 it does not; anything else is an error (bad chain, no iptables). */
function probeScript(args: IptablesArgs): string {
  // stderr goes into $err and stdout away: the answer is the rc, the message tells a missing chain apart.
  return `err=$(${iptablesCommand(args, '-C')} 2>&1 >/dev/null); echo "rc=$?"; printf '%s\\n' "$err"`;
}

async function runIptables(args: IptablesArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const probe = await ctx.conn.exec(probeScript(args), { become: ctx.become });
  const rc = /^rc=(\d+)$/m.exec(probe.stdout)?.[1];
  const message = probe.stdout.replace(/^rc=\d+\n/, '').trim();
  // iptables -C answers 1 for a missing rule and also for a missing chain; only the message tells them apart.
  if (rc === undefined || (rc !== '0' && rc !== '1') || /No chain\/target\/match by that name/.test(message)) {
    return failure(`iptables -C failed (rc=${rc ?? probe.rc}): ${message || probe.stderr.trim()}`);
  }
  const present = rc === '0';
  const wanted = args.state === 'present';
  const rule = ruleWords(args).join(' ');
  if (present === wanted) return { changed: false, rule, chain: args.chain, table: args.table, state: args.state };
  const op = !wanted ? '-D' : args.action === 'insert' ? '-I' : '-A';
  const command = iptablesCommand(args, op);
  if (!ctx.check) await execOrThrow(ctx, command, `iptables ${op}`);
  return { changed: true, rule, chain: args.chain, table: args.table, state: args.state, cmd: command };
}

const PORT_OR_RANGE = /^\d{1,5}(:\d{1,5})?$/;

export const iptablesModule: ModuleDefinition<IptablesArgs> = {
  name: 'iptables',
  schema: {
    table: { type: 'str', default: 'filter', choices: ['filter', 'nat', 'mangle', 'raw', 'security'] },
    chain: { type: 'str', required: true },
    protocol: { type: 'str' },
    source: { type: 'str' },
    destination_port: { type: 'str' },
    jump: { type: 'str' },
    comment: { type: 'str' },
    action: { type: 'str', default: 'append', choices: ['append', 'insert'] },
    rule_num: { type: 'int' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'] },
  },
  validate(args) {
    if (args.destination_port !== undefined) {
      if (!PORT_OR_RANGE.test(args.destination_port)) {
        return `destination_port '${args.destination_port}' must be a port or a range like 10000:30000`;
      }
      if (!args.protocol || !['tcp', 'udp', 'sctp', 'dccp'].includes(args.protocol)) {
        return 'destination_port needs protocol tcp, udp, sctp or dccp';
      }
    }
    if (args.rule_num !== undefined && args.action !== 'insert') return 'rule_num is only used with action: insert';
    return undefined;
  },
  run: (args, ctx) => failOnError(() => runIptables(args, ctx)),
};
