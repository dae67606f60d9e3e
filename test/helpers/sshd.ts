import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection as tcpConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SshConnection, type SshSettings } from '../../src/connection/ssh.js';

const run = promisify(execFile);

/** A real OpenSSH server on loopback, private to one test run. */
export interface TestSshd {
  address: string;
  port: number;
  /** The host's public key line: "ssh-ed25519 AAAA… comment". */
  hostKeyPub: string;
  /** The known_hosts line that trusts this server: "[127.0.0.1]:PORT ssh-ed25519 AAAA…". */
  knownHostsLine: string;
  /** A private key listed in the server's authorized_keys. */
  clientKeyPath: string;
  user: 'root';
  /** The temp directory holding keys, config and logs. */
  dir: string;
  /** Everything sshd wrote to stderr so far (raise LogLevel in extraConfig to see more). */
  log(): string;
  /** Stops listening; open sessions live on unless `dropSessions` (then they are killed, as by a reboot). */
  stop(options?: StopOptions): Promise<void>;
  /** Stop, then start again on the same address, port and keys. */
  restart(options?: StopOptions): Promise<void>;
  /** Stop and delete the temp directory. */
  dispose(): Promise<void>;
}

export interface StopOptions {
  dropSessions?: boolean;
}

export interface SshdOptions {
  address?: string;
  port?: number;
  /** sshd_config lines placed before the defaults (sshd keeps the first value it reads, so these win). */
  extraConfig?: string;
}

export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  const address = options.address ?? '127.0.0.1';
  const port = options.port ?? (await freePort(address));
  const dir = await mkdtemp(join(tmpdir(), 'play-sshd-'));
  const hostKey = join(dir, 'host_ed25519');
  const clientKeyPath = join(dir, 'client_ed25519');
  await Promise.all([generateKey(hostKey), generateKey(clientKeyPath)]);
  const hostKeyPub = (await readFile(`${hostKey}.pub`, 'utf8')).trim();
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${clientKeyPath}.pub`));
  const configPath = join(dir, 'sshd_config');
  await writeFile(
    configPath,
    [
      options.extraConfig ?? '',
      `ListenAddress ${address}`,
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'LogLevel ERROR',
      // bash sources ~/.bashrc for commands run by sshd unless it is a nested shell (SHLVL >= 1).
      // The test machine's root ~/.bashrc is slow (tens of ms per command); keep it out of tests.
      'SetEnv SHLVL=1',
      '',
    ].join('\n'),
  );
  // sshd refuses to start without its privilege-separation directory.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  let child: ChildProcess | undefined;
  let stderr = '';
  const start = async (): Promise<void> => {
    const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    await waitUntilListening(address, port, proc, () => stderr);
  };
  const stop = async (stopOptions: StopOptions = {}): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    // Each connection is served by a child of the listener; they outlive it unless killed.
    const sessions = stopOptions.dropSessions && proc.pid ? await childPids(proc.pid) : [];
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
    for (const pid of sessions) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  await start();
  const hostKeyFields = hostKeyPub.split(/\s+/);
  return {
    address,
    port,
    hostKeyPub,
    knownHostsLine: `${port === 22 ? address : `[${address}]:${port}`} ${hostKeyFields[0]} ${hostKeyFields[1]}`,
    clientKeyPath,
    user: 'root',
    dir,
    log: () => stderr,
    stop,
    restart: async (stopOptions?: StopOptions) => {
      await stop(stopOptions);
      await start();
    },
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** PIDs whose parent is `parent`, from /proc. */
async function childPids(parent: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // The command name (field 2) may hold spaces; the parent PID is the 2nd field after its ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parent) pids.push(Number(entry));
  }
  return pids;
}

/** Writes a known_hosts file with these lines and returns its path. */
export async function writeKnownHosts(path: string, entries: string[]): Promise<string> {
  await writeFile(path, entries.map((e) => `${e}\n`).join(''));
  return path;
}

/**
 * Settings that reach `sshd` as its root user with its client key, trusting it through
 * `knownHostsFile`, and isolated from the real ~/.ssh (no config, no default keys, no agent).
 */
export function settingsFor(sshd: TestSshd, knownHostsFile: string, overrides: Partial<SshSettings> = {}): SshSettings {
  return {
    host: `sshd-${sshd.port}`,
    hostname: sshd.address,
    port: sshd.port,
    user: sshd.user,
    privateKeyFiles: [sshd.clientKeyPath],
    knownHostsFiles: [knownHostsFile],
    sshConfigFile: join(sshd.dir, 'no-ssh-config'),
    homeDir: sshd.dir,
    agentSocket: '',
    ...overrides,
  };
}

/**
 * An INI inventory with one line per server, each trusted through `knownHostsFile`:
 * `name ansible_host=… ansible_port=… ansible_user=root ansible_ssh_private_key_file=… ansible_ssh_known_hosts_file=…`.
 */
export function makeInventory(hosts: Record<string, TestSshd>, knownHostsFile: string, group = 'nodes'): string {
  const lines = Object.entries(hosts).map(
    ([name, sshd]) =>
      `${name} ansible_host=${sshd.address} ansible_port=${sshd.port} ansible_user=${sshd.user} ` +
      `ansible_ssh_private_key_file=${sshd.clientKeyPath} ansible_ssh_known_hosts_file=${knownHostsFile}`,
  );
  return [`[${group}]`, ...lines, ''].join('\n');
}

export async function generateKey(path: string, type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519'): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'play-test', '-f', path]);
}

/** A port nobody listens on right now (the kernel picks it). */
export async function freePort(address = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilListening(
  address: string,
  port: number,
  proc: ChildProcess,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`sshd exited with ${proc.exitCode}: ${log()}`);
    if (await accepts(address, port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill('SIGTERM');
  throw new Error(`sshd did not listen on ${address}:${port} within 10 s: ${log()}`);
}

function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A fresh sshd and one connected SshConnection to it, trusted through the sshd's own known_hosts file. */
export async function openTestConnection(): Promise<{ sshd: TestSshd; conn: SshConnection }> {
  const sshd = await startSshd();
  const knownHosts = await writeKnownHosts(join(sshd.dir, 'known_hosts'), [sshd.knownHostsLine]);
  const conn = new SshConnection(settingsFor(sshd, knownHosts));
  await conn.connect();
  return { sshd, conn };
}
