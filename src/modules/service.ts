import { shellQuote } from '../connection/shell.js';
import { failOnError, failure } from './result.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from './types.js';

type ServiceArgs = {
  name?: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  masked?: boolean;
  daemon_reload: boolean;
};

export interface UnitStatus {
  LoadState: string;
  ActiveState: string;
  UnitFileState: string;
}

/** Unit-file states (as is-enabled prints them) that mean the unit starts at boot or cannot be enabled at all. */
const ENABLED_STATES = new Set(['enabled', 'enabled-runtime', 'static', 'indirect', 'generated', 'alias']);
const RUNNING_STATES = new Set(['active', 'activating', 'reloading']);

/** Where EL7/EL8 systemctl looks for a SysV script when a .service name has no native unit file. */
const SYSV_INIT_DIR = '/etc/rc.d/init.d';
/** Unit types other than service: systemctl appends .service to a name ending in none of these. */
const OTHER_UNIT_SUFFIX = /\.(socket|device|mount|automount|swap|target|path|timer|slice|scope)$/;

/**
 * The shell line that makes `is-enabled`'s answer win over show's UnitFileState, for the names where
 * the two differ (it prints a later UnitFileState line; the parser keeps the last):
 * - a template instance (name@inst): before systemd 238 (so on EL7) show reports the template's state;
 * - a SysV script without a native unit: is-enabled asks chkconfig (enabled/disabled), while show
 *   says "" (systemd 219) or "generated" (239). Only then does the line start a second process.
 */
function isEnabledOverride(name: string): string | undefined {
  const isEnabled = `printf UnitFileState=; systemctl is-enabled -- ${shellQuote(name)} 2>/dev/null; echo`;
  if (/@[^.]/.test(name)) return isEnabled;
  if (OTHER_UNIT_SUFFIX.test(name)) return undefined;
  const script = `${SYSV_INIT_DIR}/${name.replace(/\.service$/, '')}`;
  return `[ ! -e ${shellQuote(script)} ] || { ${isEnabled}; }`;
}

/** Load, active and unit-file state in one `systemctl show` (one process on the host for a native unit). */
export function probeScript(name: string, daemonReload: boolean): string {
  const override = isEnabledOverride(name);
  return [
    ...(daemonReload ? ['systemctl daemon-reload || exit 1'] : []),
    `systemctl show -p LoadState -p ActiveState -p UnitFileState -- ${shellQuote(name)} || exit`,
    ...(override ? [override] : []),
  ].join('\n');
}

/** `Key=Value` lines of systemctl show; for a key given twice the last line counts. */
export function parseUnitStatus(stdout: string): UnitStatus {
  const fields = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return { LoadState: fields.get('LoadState') ?? '', ActiveState: fields.get('ActiveState') ?? '', UnitFileState: fields.get('UnitFileState') ?? '' };
}

/** The systemctl verbs that bring the unit from `status` to what the task asks, in Ansible's order. */
export function serviceActions(args: ServiceArgs, status: UnitStatus): string[] {
  const verbs: string[] = [];
  const masked = status.UnitFileState === 'masked';
  if (args.masked === true && !masked) verbs.push('mask');
  if (args.masked === false && masked) verbs.push('unmask');
  const enabled = ENABLED_STATES.has(status.UnitFileState);
  if (args.enabled === true && !enabled) verbs.push('enable');
  if (args.enabled === false && enabled && status.UnitFileState !== 'static') verbs.push('disable');
  const running = RUNNING_STATES.has(status.ActiveState);
  if (args.state === 'started' && !running) verbs.push('start');
  if (args.state === 'stopped' && running) verbs.push('stop');
  if (args.state === 'restarted') verbs.push('restart');
  if (args.state === 'reloaded') verbs.push(running ? 'reload' : 'start');
  return verbs;
}

async function runService(args: ServiceArgs, ctx: ModuleContext): Promise<ModuleResult> {
  if (args.name === undefined) {
    // Only daemon_reload was asked for.
    if (!ctx.check) {
      const r = await ctx.conn.exec('systemctl daemon-reload', { become: ctx.become });
      if (r.rc !== 0) return failure(`systemctl daemon-reload failed: ${r.stderr.trim()}`);
    }
    return { changed: false };
  }
  const probe = await ctx.conn.exec(probeScript(args.name, args.daemon_reload && !ctx.check), { become: ctx.become });
  if (probe.rc !== 0) return failure(`systemctl failed: ${probe.stderr.trim() || probe.stdout.trim()}`);
  const status = parseUnitStatus(probe.stdout);
  if (status.LoadState === 'not-found' && args.masked !== true) {
    return failure(`Could not find the requested service ${args.name}: host`, { name: args.name });
  }
  const verbs = serviceActions(args, status);
  const result = {
    name: args.name,
    ...(args.state ? { state: args.state } : {}),
    ...(args.enabled !== undefined ? { enabled: args.enabled } : {}),
    status,
  };
  if (verbs.length === 0 || ctx.check) return { changed: verbs.length > 0, ...result };
  const n = shellQuote(args.name);
  const line = verbs.map((v) => `systemctl ${v} -- ${n}`).join(' && ');
  const run = await ctx.conn.exec(line, { become: ctx.become });
  if (run.rc !== 0) {
    return failure(`Unable to ${verbs.join('/')} service ${args.name}: ${run.stderr.trim() || run.stdout.trim()}`, result);
  }
  return { changed: true, ...result };
}

/** systemd units: mask, enable and state in one probe and one systemctl line. Also answers to `systemd`. */
export const serviceModule: ModuleDefinition<ServiceArgs> = {
  name: 'service',
  aliases: ['systemd', 'systemd_service', 'ansible.builtin.systemd', 'ansible.builtin.systemd_service'],
  schema: {
    name: { type: 'str', aliases: ['service', 'unit'] },
    state: { type: 'str', choices: ['started', 'stopped', 'restarted', 'reloaded'] },
    enabled: { type: 'bool' },
    masked: { type: 'bool' },
    daemon_reload: { type: 'bool', default: false, aliases: ['daemon-reload'] },
  },
  validate(args) {
    const acts = args.state !== undefined || args.enabled !== undefined || args.masked !== undefined;
    if (args.name === undefined && acts) return 'name is required with state, enabled or masked';
    if (!acts && !args.daemon_reload) return 'one of state, enabled, masked or daemon_reload is required';
    return undefined;
  },
  run: (args, ctx) => failOnError(() => runService(args, ctx)),
};
