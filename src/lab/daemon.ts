/**
 * The lab daemon: one detached Node process per lab that boots the nodes, supervises their sshds
 * (each the PID 1 of its own namespaces), performs the reboots the `reboot` stub asks for, switches
 * faults, and serves the stub ZJMF installer over HTTP on loopback.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, connect, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { computeBoot } from './boot.js';
import type { ControlReply, ControlRequest, FaultKind, NodeRunState, NodeStatus } from './control.js';
import { labLayout, nodePaths, type LabLayout, type LabManifest, type LabNode, type NodePaths } from './layout.js';
import { availableModules, enabledServices, hostNodeFiles, routeSessionsThroughWrapper, writeBootState } from './node-files.js';
import { buildProfile, type Profile } from './profiles.js';

/** How long a rebooting node refuses connections, like a real machine going through POST. */
const REBOOT_DOWNTIME_MS = 2500;
const REBOOT_POLL_MS = 250;
const SSHD_READY_TIMEOUT_MS = 15_000;
const INSTALLER_PATH = '/cloud/scripts/install-zjmf-cloud_new';

interface RunningNode {
  node: LabNode;
  paths: NodePaths;
  profile: Profile;
  state: NodeRunState;
  child?: ChildProcess;
  bootId?: string;
  noReturn: boolean;
  /** Set while a reboot runs, so the request file is not picked up twice. */
  busy: boolean;
}

export class LabDaemon {
  private readonly nodes = new Map<string, RunningNode>();
  private control?: NetServer;
  private http?: HttpServer;
  private poller?: NodeJS.Timeout;
  private stopping = false;

  constructor(private readonly lab: LabLayout, private readonly manifest: LabManifest) {
    for (const node of manifest.nodes) {
      this.nodes.set(node.name, {
        node, paths: nodePaths(lab, node.name), profile: buildProfile(node.profile, node.index),
        state: 'booting', noReturn: false, busy: false,
      });
    }
  }

  async start(): Promise<void> {
    await this.serveInstaller();
    await this.listenControl();
    // Booting is mostly file writes and one fork each: a handful at a time keeps 2 cores responsive.
    const pending = [...this.nodes.values()];
    const workers = Array.from({ length: 8 }, async () => {
      for (let next = pending.shift(); next; next = pending.shift()) await this.bootAndStart(next);
    });
    await Promise.all(workers);
    this.poller = setInterval(() => this.pickUpRebootRequests(), REBOOT_POLL_MS);
  }

  private async serveInstaller(): Promise<void> {
    const script = readFileSync(join(this.lab.libexec, 'install-zjmf-cloud_new'));
    this.http = createHttpServer((req, res) => {
      if (req.url === INSTALLER_PATH) {
        res.writeHead(200, { 'content-type': 'application/x-sh', 'content-length': script.length });
        res.end(script);
      } else {
        res.writeHead(404).end('not found\n');
      }
    });
    await new Promise<void>((resolve) => this.http!.listen(0, '127.0.0.1', resolve));
    const address = this.http.address();
    if (address && typeof address === 'object') {
      this.manifest.installerUrl = `http://127.0.0.1:${address.port}${INSTALLER_PATH}`;
      writeFileSync(this.lab.manifest, JSON.stringify(this.manifest, null, 2) + '\n');
    }
  }

  private async listenControl(): Promise<void> {
    rmSync(this.lab.socket, { force: true });
    this.control = createNetServer((conn) => {
      let buffer = '';
      conn.on('data', (chunk) => {
        buffer += chunk.toString('utf8');
        const newline = buffer.indexOf('\n');
        if (newline < 0) return;
        const line = buffer.slice(0, newline);
        buffer = '';
        this.handle(JSON.parse(line) as ControlRequest)
          .catch((err: Error): ControlReply => ({ ok: false, error: err.message }))
          .then((reply) => conn.end(JSON.stringify(reply) + '\n'));
      });
      conn.on('error', () => {});
    });
    await new Promise<void>((resolve) => this.control!.listen(this.lab.socket, resolve));
  }

  private async handle(request: ControlRequest): Promise<ControlReply> {
    switch (request.op) {
      case 'status':
        return { ok: true, nodes: this.status() };
      case 'shutdown':
        setImmediate(() => void this.shutdown());
        return { ok: true };
      case 'fault': {
        const running = this.nodes.get(request.node);
        if (!running) return { ok: false, error: `no node named '${request.node}' in this lab (nodes: ${[...this.nodes.keys()].join(', ')})` };
        await this.applyFault(running, request.kind, request.value);
        return { ok: true, nodes: this.status().filter((n) => n.name === request.node) };
      }
    }
  }

  private status(): NodeStatus[] {
    return [...this.nodes.values()].map((r) => ({
      name: r.node.name,
      address: r.node.address,
      profile: r.node.profile,
      state: r.state,
      bootId: r.bootId,
      pid: r.child?.pid,
      faults: activeFaults(r),
    }));
  }

  private async applyFault(running: RunningNode, kind: FaultKind, value: number | undefined): Promise<void> {
    const dropFile = join(running.paths.state, 'fault-drop-after');
    const slowFile = join(running.paths.state, 'fault-slow-ms');
    switch (kind) {
      case 'down':
        await this.stopNode(running);
        running.state = 'down';
        return;
      case 'up':
        return this.bringUp(running);
      case 'slow':
        writeFileSync(slowFile, `${value ?? 0}\n`);
        routeSessionsThroughWrapper(running.paths, true);
        return;
      case 'drop-after':
        writeFileSync(dropFile, `${value ?? 0}\n`);
        routeSessionsThroughWrapper(running.paths, true);
        return;
      case 'no-return':
        running.noReturn = true;
        return;
      case 'rekey':
        generateHostKey(running.paths.hostKey);
        await this.stopNode(running);
        await this.startSshd(running);
        return;
      case 'clear':
        running.noReturn = false;
        rmSync(dropFile, { force: true });
        rmSync(slowFile, { force: true });
        routeSessionsThroughWrapper(running.paths, false);
        return this.bringUp(running);
    }
  }

  /** A node stopped by `down` keeps its boot; one that never came back from a reboot boots now. */
  private async bringUp(running: RunningNode): Promise<void> {
    if (running.state === 'up' || running.busy) return;
    if (running.state === 'down' && existsSync(join(running.paths.run, 'cmdline')) && running.bootId) {
      await this.startSshd(running);
    } else {
      await this.bootAndStart(running);
    }
  }

  private pickUpRebootRequests(): void {
    for (const running of this.nodes.values()) {
      if (running.busy || running.state !== 'up') continue;
      if (existsSync(join(running.paths.state, 'reboot-request'))) void this.reboot(running);
    }
  }

  private async reboot(running: RunningNode): Promise<void> {
    running.busy = true;
    running.state = 'rebooting';
    try {
      await this.stopNode(running);
      rmSync(join(running.paths.state, 'reboot-request'), { force: true });
      rmSync(running.paths.run, { recursive: true, force: true });
      running.bootId = undefined;
      await sleep(REBOOT_DOWNTIME_MS);
      if (this.stopping) return;
      if (running.noReturn) {
        running.state = 'down';
        log(running, 'reboot: the node does not come back (fault no-return)');
        return;
      }
      await this.bootAndStart(running);
    } finally {
      running.busy = false;
    }
  }

  private async bootAndStart(running: RunningNode): Promise<void> {
    running.state = 'booting';
    const outcome = computeBoot({
      profile: running.profile,
      files: hostNodeFiles(running.paths),
      availableModules: availableModules(running.paths),
      enabledServices: enabledServices(running.paths),
    });
    if (!outcome.ok) {
      running.state = 'failed';
      log(running, `boot failed:\n${outcome.console}`);
      return;
    }
    running.bootId = writeBootState(running.paths, running.profile, outcome.state);
    log(running, `booted ${outcome.state.kernel} boot_id=${running.bootId} cmdline: ${outcome.state.cmdline}`);
    await this.startSshd(running);
  }

  private async startSshd(running: RunningNode): Promise<void> {
    const consoleFd = openSync(running.paths.console, 'a');
    // setpriv's parent-death signal takes the node down with the daemon, even if the daemon is killed.
    const child = spawn('setpriv', [
      '--pdeathsig', 'KILL', '--',
      'unshare', '--mount', '--uts', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private', '--',
      '/bin/bash', join(this.lab.libexec, 'node-init.sh'), running.paths.dir, running.node.name, this.lab.bin,
    ], { stdio: ['ignore', consoleFd, consoleFd] });
    closeSync(consoleFd);
    running.child = child;
    child.on('exit', () => {
      // Only an exit nobody asked for (stopNode clears running.child first) marks the node down.
      if (running.child !== child) return;
      running.child = undefined;
      if (!this.stopping) {
        running.state = 'down';
        log(running, 'sshd exited');
      }
    });
    if (await waitForPort(running.node.address, 22, SSHD_READY_TIMEOUT_MS, () => running.child !== child)) {
      running.state = 'up';
    } else {
      running.state = 'failed';
      log(running, 'sshd did not start listening');
    }
  }

  /**
   * Kills the node's namespace init (its sshd). The kernel kills every other process of the node before
   * the init is gone, and unshare exits only after that: once it has, the node's port is closed.
   */
  private async stopNode(running: RunningNode): Promise<void> {
    const child = running.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    running.child = undefined;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const init = namespaceInit(child.pid);
    if (init) process.kill(init, 'SIGKILL');
    else child.kill('SIGKILL');
    await exited;
  }

  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.poller);
    await Promise.all([...this.nodes.values()].map((r) => this.stopNode(r)));
    this.http?.close();
    this.control?.close();
    rmSync(this.lab.socket, { force: true });
    rmSync(this.lab.pidFile, { force: true });
    process.exit(0);
  }
}

/** The process unshare forked into the new PID namespace (PID 1 there). */
function namespaceInit(unsharePid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim().split(/\s+/);
    return children[0] ? Number(children[0]) : undefined;
  } catch {
    return undefined;
  }
}

function activeFaults(running: RunningNode): string[] {
  const faults: string[] = [];
  const read = (name: string) => {
    try {
      return readFileSync(join(running.paths.state, name), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const slow = read('fault-slow-ms');
  const drop = read('fault-drop-after');
  if (slow !== undefined) faults.push(`slow ${slow}ms`);
  if (drop !== undefined) faults.push(`drop-after ${drop}`);
  if (running.noReturn) faults.push('no-return');
  return faults;
}

export function generateHostKey(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  const result = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', path], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ssh-keygen failed: ${result.stderr}`);
}

function log(running: RunningNode, message: string): void {
  const line = `${new Date().toISOString()} ${running.node.name}: ${message}\n`;
  writeFileSync(running.paths.console, line, { flag: 'a' });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * True once an SSH server on host:port sends its banner; false on timeout or when `gaveUp` says the
 * server died. The probe answers with an identification line, so sshd does not log an aborted exchange.
 */
async function waitForPort(host: string, port: number, timeoutMs: number, gaveUp: () => boolean = () => false): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gaveUp()) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once('data', () => {
        socket.end('SSH-2.0-play-lab-probe\r\n');
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.once('close', () => resolve(false));
    });
    if (open) return true;
    await sleep(50);
  }
  return false;
}

/** Entry of the detached daemon process: `node daemon-main.js LABDIR`. */
export async function runDaemon(dir: string): Promise<void> {
  const lab = labLayout(dir);
  const manifest = JSON.parse(readFileSync(lab.manifest, 'utf8')) as LabManifest;
  writeFileSync(lab.pidFile, `${process.pid}\n`);
  const daemon = new LabDaemon(lab, manifest);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => void daemon.shutdown());
  await daemon.start();
}
