/** `play lab …`: bring a simulated fleet up and down, inspect it, inject faults. */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { FAULT_KINDS, sendControl, type FaultKind, type NodeStatus } from './control.js';
import { labLayout, type LabLayout } from './layout.js';
import { parseProfileChoice, PROFILE_NAMES } from './profiles.js';
import { createLab, inventoryIni, inventoryYaml, knownHostsText, missingTools, readManifest } from './setup.js';

const DEFAULT_DIR = '.lab';

class LabCliError extends Error {}

function positiveInt(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    return n;
  };
}

export async function labCommand(argv: string[], out: (s: string) => void): Promise<number> {
  let exitCode = 0;
  const program = new Command('play lab')
    .description('a local fleet of simulated CentOS GPU nodes over real SSH')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: out });
  const withDir = (cmd: Command) => cmd.option('--dir <dir>', 'lab directory', DEFAULT_DIR);
  const run = <A extends unknown[]>(action: (...args: A) => Promise<number>) => async (...args: A) => {
    exitCode = await action(...args);
  };

  withDir(program.command('up').argument('<count>', 'number of nodes', positiveInt(1000)))
    .description('create and boot N nodes')
    .option('--profile <names>', `${PROFILE_NAMES.join('|')}|mixed, or a comma-separated list to cycle through`, 'mixed')
    .option('--subnet <n>', 'first node is 127.0.<n>.1', positiveInt(250), 1)
    .action(run(async (count: number, opts: { dir: string; profile: string; subnet: number }) => up(labLayout(opts.dir), count, opts, out)));
  withDir(program.command('down')).description('stop every process of the lab').action(run(async (opts: { dir: string }) => down(labLayout(opts.dir), out)));
  withDir(program.command('status')).description('show the nodes').action(run(async (opts: { dir: string }) => status(labLayout(opts.dir), out)));
  withDir(program.command('inventory'))
    .description('print an inventory of the lab (also written to <dir>/inventory.ini and inventory.yml)')
    .option('--yaml', 'print the YAML inventory instead of INI')
    .action(run(async (opts: { dir: string; yaml?: boolean }) => inventory(labLayout(opts.dir), opts.yaml === true, out)));
  withDir(program.command('ssh').argument('<node>'))
    .description('an interactive shell on one node')
    .action(run(async (node: string, opts: { dir: string }) => sshInto(labLayout(opts.dir), node)));
  withDir(program.command('fault').argument('<node>').argument('<kind>', FAULT_KINDS.join('|')).argument('[value]', 'ms for slow, N for drop-after'))
    .description('inject or clear a fault on one node')
    .action(run(async (node: string, kind: string, value: string | undefined, opts: { dir: string }) => fault(labLayout(opts.dir), node, kind, value, out)));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 5;
    if (err instanceof LabCliError) {
      out(`play lab: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

function requireHostSupport(): void {
  if (process.getuid?.() !== 0) throw new LabCliError('needs root (mount namespaces and bind mounts); run it with sudo');
  const missing = missingTools();
  if (missing.length) {
    const packages = [...new Set(missing.map(([, pkg]) => pkg))].join(' ');
    throw new LabCliError(`missing ${missing.map(([tool]) => tool).join(', ')}; install them with: apt-get install -y ${packages}`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function daemonPid(lab: LabLayout): number | undefined {
  if (!existsSync(lab.pidFile)) return undefined;
  const pid = Number(readFileSync(lab.pidFile, 'utf8').trim());
  return isAlive(pid) ? pid : undefined;
}

async function up(lab: LabLayout, count: number, opts: { profile: string; subnet: number }, out: (s: string) => void): Promise<number> {
  requireHostSupport();
  const profiles = parseProfileChoice(opts.profile);
  if (!profiles) {
    throw new LabCliError(`unknown profile in '${opts.profile}'; expected one of ${PROFILE_NAMES.join(', ')}, mixed, or a comma-separated list of them`);
  }
  if (daemonPid(lab)) throw new LabCliError(`a lab is already up in ${lab.dir}; run 'play lab down --dir ${lab.dir}' first`);
  const started = Date.now();
  const manifest = createLab(lab, { count, profiles, subnet: opts.subnet });
  const daemon = startDaemon(lab);
  const deadline = Date.now() + 30_000 + count * 1_000;
  let nodes: NodeStatus[] = [];
  while (Date.now() < deadline) {
    if (!isAlive(daemon)) throw new LabCliError(`the lab daemon exited while starting; see ${lab.log}`);
    nodes = await statusOf(lab).catch(() => []);
    if (nodes.length === count && nodes.every((n) => n.state !== 'booting')) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const upNodes = nodes.filter((n) => n.state === 'up').length;
  writeInventoryFiles(lab);
  out(`lab ${lab.dir}: ${upNodes}/${count} nodes up in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
    `(${manifest.nodes[0]!.address} …)\ninventory: ${lab.inventory}\n`);
  return upNodes === count ? 0 : 1;
}

/** Starts the detached daemon and returns its PID. */
function startDaemon(lab: LabLayout): number {
  const underTsx = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(underTsx ? './daemon-main.ts' : './daemon-main.js', import.meta.url));
  const logFd = openSync(lab.log, 'a');
  const child = spawn(process.execPath, [...(underTsx ? ['--import', import.meta.resolve('tsx')] : []), entry, lab.dir], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  child.unref();
  if (child.pid === undefined) throw new LabCliError(`could not start the lab daemon (${process.execPath})`);
  return child.pid;
}

async function statusOf(lab: LabLayout): Promise<NodeStatus[]> {
  const reply = await sendControl(lab.socket, { op: 'status' });
  if (!reply.ok) throw new LabCliError(reply.error);
  return reply.nodes ?? [];
}

/** Writes known_hosts (from the nodes' current host keys) and both inventories; returns [ini, yaml]. */
function writeInventoryFiles(lab: LabLayout): [string, string] {
  const manifest = readManifest(lab);
  if (!manifest) throw new LabCliError(`no lab in ${lab.dir}; start one with 'play lab up N'`);
  writeFileSync(lab.knownHosts, knownHostsText(lab, manifest));
  const ini = inventoryIni(lab, manifest);
  const yaml = inventoryYaml(lab, manifest);
  writeFileSync(lab.inventory, ini);
  writeFileSync(lab.inventoryYaml, yaml);
  return [ini, yaml];
}

async function down(lab: LabLayout, out: (s: string) => void): Promise<number> {
  requireHostSupport();
  const pid = daemonPid(lab);
  if (pid) {
    await sendControl(lab.socket, { op: 'shutdown' }).catch(() => undefined);
    if (!(await waitForExit(pid, 15_000))) process.kill(pid, 'SIGKILL');
  }
  // The nodes die with the daemon (parent-death signal); this sweeps anything a crash left behind.
  const leftovers = labProcesses(lab);
  for (const leftover of leftovers) process.kill(leftover, 'SIGKILL');
  rmSync(lab.socket, { force: true });
  rmSync(lab.pidFile, { force: true });
  out(pid || leftovers.length ? `lab ${lab.dir} is down\n` : `no lab running in ${lab.dir}\n`);
  return 0;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * Host PIDs of the processes this lab started: its daemon, the node launchers (setpriv/unshare/bash
 * running node-init.sh) and the nodes' sshds. Other processes that merely name a lab file are left alone.
 */
export function labProcesses(lab: LabLayout): number[] {
  const nodeInit = join(lab.libexec, 'node-init.sh');
  const isLabProcess = (argv: string[]) =>
    argv.includes(nodeInit) ||
    argv.some((arg) => arg.startsWith(`${lab.nodes}/`) && arg.endsWith('/sshd_config')) ||
    (argv.some((arg) => /daemon-main\.(js|ts)$/.test(arg)) && argv.includes(lab.dir));
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      // sshd rewrites its argv into one string ("sshd: /usr/sbin/sshd -D -e -f FILE [listener] ..."), so split on spaces too.
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split(/[\0 ]/).filter(Boolean);
      if (isLabProcess(argv)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

async function status(lab: LabLayout, out: (s: string) => void): Promise<number> {
  if (!daemonPid(lab)) {
    out(`no lab running in ${lab.dir}\n`);
    return 1;
  }
  const nodes = await statusOf(lab);
  const rows = [['NODE', 'ADDRESS', 'PROFILE', 'STATE', 'BOOT_ID', 'FAULTS'],
    ...nodes.map((n) => [n.name, n.address, n.profile, n.state, n.bootId ?? '-', n.faults.join(', ') || '-'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  out(rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n');
  return 0;
}

async function inventory(lab: LabLayout, yaml: boolean, out: (s: string) => void): Promise<number> {
  out(writeInventoryFiles(lab)[yaml ? 1 : 0]);
  return 0;
}

async function sshInto(lab: LabLayout, name: string): Promise<number> {
  const node = readManifest(lab)?.nodes.find((n) => n.name === name);
  if (!node) throw new LabCliError(`no node named '${name}' in ${lab.dir}`);
  const child = spawn('ssh', ['-i', lab.key, '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', `root@${node.address}`], {
    stdio: 'inherit',
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 255)));
}

async function fault(lab: LabLayout, node: string, kind: string, value: string | undefined, out: (s: string) => void): Promise<number> {
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new LabCliError(`unknown fault '${kind}'; expected one of ${FAULT_KINDS.join(', ')}`);
  const needsValue = kind === 'slow' || kind === 'drop-after';
  const number = value === undefined ? undefined : Number(value);
  if (needsValue && (number === undefined || !Number.isInteger(number) || number < 0)) {
    throw new LabCliError(`fault ${kind} needs a whole number (${kind === 'slow' ? 'milliseconds' : 'commands'}), e.g. 'play lab fault ${node} ${kind} 3'`);
  }
  if (!daemonPid(lab)) throw new LabCliError(`no lab running in ${lab.dir}`);
  const reply = await sendControl(lab.socket, { op: 'fault', node, kind: kind as FaultKind, value: number }, 30_000);
  if (!reply.ok) throw new LabCliError(reply.error);
  const [state] = reply.nodes ?? [];
  out(`${node}: ${state?.state ?? '?'}${state?.faults.length ? ` (${state.faults.join(', ')})` : ''}\n`);
  return 0;
}
