import { shellQuote } from '../connection/shell.js';
import { failOnError, failure } from './result.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from './types.js';

type PackageState = 'present' | 'installed' | 'latest' | 'absent' | 'removed';

type PackageArgs = {
  name: string[];
  state: PackageState;
  use: 'auto' | 'yum' | 'dnf';
  enablerepo?: string[];
  disablerepo?: string[];
  disable_gpg_check: boolean;
  update_cache: boolean;
};

interface PackageProbe {
  tool: string;
  installed: string[];
  missing: string[];
  /** With state=latest: some installed package has an update. */
  updatesAvailable: boolean;
}

/** yum check-update exits 100 when updates are available. */
const UPDATES_AVAILABLE = 100;

/** Groups (@name) are left to yum/dnf to judge: rpm cannot tell whether a group is installed. */
const isGroup = (name: string) => name.startsWith('@');

/** `name: '*'` with state=latest updates every package, as the seed's `yum update` does. */
const EVERYTHING = '*';

function probeScript(args: PackageArgs): string {
  const tools = args.use === 'auto' ? ['dnf', 'yum'] : [args.use];
  const lines = [
    'tool=',
    `for t in ${tools.join(' ')}; do if command -v "$t" >/dev/null 2>&1; then tool=$t; echo "tool=$t"; break; fi; done`,
    'set --',
  ];
  const names = args.name.filter((n) => !isGroup(n) && n !== EVERYTHING).map(shellQuote).join(' ');
  if (names) {
    lines.push(
      `for n in ${names}; do if rpm -q --whatprovides -- "$n" >/dev/null 2>&1; then echo "installed=$n"; set -- "$@" "$n"; else echo "missing=$n"; fi; done`,
    );
  }
  if (args.state === 'latest' && args.name.includes(EVERYTHING)) {
    lines.push(`if [ -n "$tool" ]; then "$tool" -q check-update ${repoFlags(args)}>/dev/null 2>&1; echo "updates=$?"; fi`);
  } else if (args.state === 'latest') {
    lines.push(`if [ -n "$tool" ] && [ $# -gt 0 ]; then "$tool" -q check-update ${repoFlags(args)}-- "$@" >/dev/null 2>&1; echo "updates=$?"; fi`);
  }
  return lines.join('\n');
}

function parseProbe(stdout: string): PackageProbe {
  const probe: PackageProbe = { tool: '', installed: [], missing: [], updatesAvailable: false };
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    const [key, value] = [line.slice(0, eq), line.slice(eq + 1)];
    if (key === 'tool') probe.tool = value;
    else if (key === 'installed') probe.installed.push(value);
    else if (key === 'missing') probe.missing.push(value);
    else if (key === 'updates') probe.updatesAvailable = Number(value) === UPDATES_AVAILABLE;
  }
  return probe;
}

function repoFlags(args: PackageArgs): string {
  const flags = [
    ...(args.enablerepo ?? []).map((r) => `--enablerepo=${shellQuote(r)}`),
    ...(args.disablerepo ?? []).map((r) => `--disablerepo=${shellQuote(r)}`),
    ...(args.disable_gpg_check ? ['--nogpgcheck'] : []),
  ];
  return flags.map((f) => `${f} `).join('');
}

interface Transaction {
  verb: 'install' | 'update' | 'remove';
  names: string[];
}

/** What to ask yum/dnf for, given what rpm says is there. */
export function packageTransactions(state: PackageState, requested: string[], probe: PackageProbe): Transaction[] {
  const groups = requested.filter(isGroup);
  const out: Transaction[] = [];
  if (state === 'absent' || state === 'removed') {
    const names = [...probe.installed, ...groups];
    return names.length ? [{ verb: 'remove', names }] : [];
  }
  const toInstall = [...probe.missing, ...groups];
  if (toInstall.length) out.push({ verb: 'install', names: toInstall });
  if (state === 'latest' && probe.updatesAvailable) {
    out.push({ verb: 'update', names: requested.includes(EVERYTHING) ? [] : probe.installed });
  }
  return out;
}

const VERB_RESULT = { install: 'installed', update: 'updated', remove: 'removed' } as const;

async function runPackage(args: PackageArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const probeResult = await ctx.conn.exec(probeScript(args), { become: ctx.become });
  if (probeResult.rc !== 0) return failure(`package probe failed: ${probeResult.stderr.trim()}`);
  const probe = parseProbe(probeResult.stdout);
  if (!probe.tool) return failure(`neither ${args.use === 'auto' ? 'dnf nor yum' : args.use} is available on the target`);
  const transactions = packageTransactions(args.state, args.name, probe);
  const changes = Object.fromEntries(transactions.map((t) => [VERB_RESULT[t.verb], t.names]));
  const base = { results: transactions.map((t) => `${t.verb} ${t.names.join(' ')}`), changes };
  if (transactions.length === 0) return { changed: false, msg: 'Nothing to do', ...base, results: [] };
  if (ctx.check) return { changed: true, msg: 'Check mode: no changes made', ...base };

  const cache = args.update_cache ? `${probe.tool} -q makecache && ` : '';
  const line =
    cache +
    transactions
      .map((t) => `${probe.tool} -y ${repoFlags(args)}${t.verb}${t.names.length ? ` -- ${t.names.map(shellQuote).join(' ')}` : ''}`)
      .join(' && ');
  const result = await ctx.conn.exec(line, { become: ctx.become });
  const outcome = { rc: result.rc, stdout: result.stdout, stderr: result.stderr, ...base };
  if (result.rc !== 0) return { ...outcome, changed: false, failed: true, msg: result.stderr.trim() || result.stdout.trim() };
  // Only groups can turn out to have been there already; yum/dnf say so.
  const onlyGroups = transactions.every((t) => t.names.every(isGroup));
  const changed = !(onlyGroups && /Nothing to do/i.test(result.stdout));
  return { ...outcome, changed, msg: '' };
}

export const packageModule: ModuleDefinition<PackageArgs> = {
  name: 'package',
  aliases: ['yum', 'dnf', 'ansible.builtin.yum', 'ansible.builtin.dnf'],
  schema: {
    name: { type: 'list', elements: 'str', required: true, aliases: ['pkg'] },
    state: { type: 'str', default: 'present', choices: ['present', 'installed', 'latest', 'absent', 'removed'] },
    use: { type: 'str', default: 'auto', choices: ['auto', 'yum', 'dnf'] },
    enablerepo: { type: 'list', elements: 'str' },
    disablerepo: { type: 'list', elements: 'str' },
    disable_gpg_check: { type: 'bool', default: false },
    update_cache: { type: 'bool', default: false, aliases: ['expire-cache'] },
  },
  validate(args) {
    if (args.name.length === 0) return 'name must list at least one package';
    if (args.name.includes(EVERYTHING) && args.state !== 'latest') return "name '*' needs state=latest (it updates every package)";
    return undefined;
  },
  run: (args, ctx) => failOnError(() => runPackage(args, ctx)),
};
