import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { constants as osConstants, homedir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type {
  AnyAuthMethod,
  AuthenticationType,
  ClientChannel,
  ConnectConfig,
  ParsedKey,
  ServerHostKeyAlgorithm,
} from 'ssh2';
import {
  checkHostKey,
  fingerprint,
  knownHostName,
  knownKeyTypes,
  loadKnownHosts,
  recordHostKey,
  blobKeyType,
  type KnownHostEntry,
} from './known-hosts.js';
import { putViaExec } from './put.js';
import { NoShellError, RemoteShell, SHELL_BOOTSTRAP, ShellClosedError } from './remote-shell.js';
import { signPublicKeyRequestsAtOnce } from './signed-pubkey-auth.js';
import { buildCommandLine, shellQuote } from './shell.js';
import { expandHome, loadSshConfig, planHops, type Hop, type KeyFile } from './ssh-config.js';
import {
  UnreachableError,
  type CloseOptions,
  type Connection,
  type ExecOptions,
  type ExecResult,
  type PutOptions,
  type PutResult,
} from './types.js';

const { Client, utils } = ssh2;
type SshClient = InstanceType<typeof Client>;

/** What an SSH connection needs to know about one host. */
export interface SshSettings {
  /** The inventory name, used in messages and errors. */
  host: string;
  /** Where to connect (ansible_host); ~/.ssh/config `Host` blocks match this name. */
  hostname: string;
  port?: number;
  user?: string;
  /** Tried first, before ~/.ssh/config IdentityFile entries and the agent. */
  privateKeyFiles?: string[];
  password?: string;
  /** Default: ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts. */
  knownHostsFiles?: string[];
  /** Record keys of hosts not yet known (OpenSSH's StrictHostKeyChecking=accept-new). */
  acceptNewHostKeys?: boolean;
  /** Default 10 s; covers TCP connect, key exchange and authentication. */
  connectTimeoutMs?: number;
  /** Default ~/.ssh/config. */
  sshConfigFile?: string;
  /** The local home directory for `~`, `%d` and default files. Default: os.homedir(). */
  homeDir?: string;
  /** The ssh-agent socket. Default: $SSH_AUTH_SOCK; '' disables the agent. */
  agentSocket?: string;
  /** Concurrent commands per connection. Default 10 (OpenSSH's MaxSessions); lowered if the server refuses. */
  maxSessions?: number;
  /** SSH keepalive interval. Default 15 s; three unanswered keepalives drop the connection. */
  keepaliveIntervalMs?: number;
  /** ProxyJump hosts (`[user@]host[:port]`, comma-separated), over ~/.ssh/config's; 'none' disables it. */
  proxyJump?: string;
  /** A command whose stdin/stdout carry the connection (`ssh -W %h:%p bastion`), over ~/.ssh/config's. */
  proxyCommand?: string;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_SESSIONS = 10;
const DEFAULT_KEEPALIVE_MS = 15_000;
/**
 * A host coming back from a reboot is polled twice a second: a refused attempt costs the host
 * nothing, and a longer pause is time the run waits after the host is back (a lab node is down
 * for about 2.5 s).
 */
const RECONNECT_INTERVAL_MS = 500;
const CLOSE_GRACE_MS = 2_000;
/** ssh2's host key algorithms, in its order; reordered so types already in known_hosts come first. */
const HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** The host key was refused (unknown, changed or revoked): retrying cannot help, so reconnect stops at once. */
export class HostKeyError extends UnreachableError {
  constructor(message: string, host: string) {
    super(message, host);
    this.name = 'HostKeyError';
  }
}

/** An open chain of SSH clients (jump hosts first) and the commands running over it. */
class LiveSession {
  /** Callbacks of running commands, told when the connection is lost. */
  readonly running = new Set<(reason: string) => void>();
  /** Persistent shells waiting for their next command (see remote-shell.ts). */
  private readonly idleShells: RemoteShell[] = [];
  warming?: Promise<RemoteShell | typeof SESSION_REFUSED | undefined>;
  lostReason?: string;

  constructor(
    readonly chain: OpenHop[],
    readonly user: string,
    private readonly onLost: (session: LiveSession) => void,
  ) {
    for (const hop of chain) {
      hop.client.on('close', () => this.lose(hop.lastError()?.message ?? 'the server closed the connection'));
    }
  }

  get client(): SshClient {
    return this.chain[this.chain.length - 1]!.client;
  }

  /** An idle persistent shell, if one is still open. */
  takeIdleShell(): RemoteShell | undefined {
    for (let shell = this.idleShells.pop(); shell; shell = this.idleShells.pop()) {
      if (!shell.closed) return shell;
    }
    return undefined;
  }

  /**
   * The shell opened with the connection, once it is ready (undefined if it could not open). Its
   * channel open and exec request overlap the caller's work between connect() and the first command.
   */
  async takeWarmShell(): Promise<RemoteShell | undefined> {
    const warming = this.warming;
    this.warming = undefined;
    const shell = await warming;
    return shell instanceof RemoteShell && !shell.closed ? shell : undefined;
  }

  returnShell(shell: RemoteShell): void {
    if (!shell.closed && this.lostReason === undefined) this.idleShells.push(shell);
  }

  lose(reason: string): void {
    if (this.lostReason !== undefined) return;
    this.lostReason = reason;
    this.onLost(this);
    for (const notify of [...this.running]) notify(reason);
  }

  async end(options: CloseOptions = {}): Promise<void> {
    this.lose('the connection was closed');
    await endClients(this.chain, options.awaitServer ?? true);
  }
}

interface OpenHop {
  client: SshClient;
  /** The last error the client reported after it was ready (why it closed). */
  lastError(): Error | undefined;
  isClosed(): boolean;
}

/** Fair counting semaphore over the server's session channels. */
class SessionSlots {
  private inUse = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private limit: number) {}

  get busy(): number {
    return this.inUse;
  }

  acquire(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.pump();
    });
  }

  release(): void {
    this.inUse--;
    this.pump();
  }

  /** The server refused a channel with this many open: it allows fewer. */
  lowerLimitTo(limit: number): void {
    this.limit = Math.max(1, limit);
  }

  private pump(): void {
    while (this.inUse < this.limit && this.waiting.length > 0) {
      this.inUse++;
      this.waiting.shift()!();
    }
  }
}

const SESSION_REFUSED = Symbol('session refused');

/**
 * `Connection` over SSH (ssh2): one connection per host for the whole run. Commands run in
 * persistent remote shells (remote-shell.ts), one command per shell at a time, one round trip each;
 * concurrent commands get more shells, each on its own session channel, up to the server's MaxSessions.
 * No pty, no env requests, no SFTP.
 */
export class SshConnection implements Connection {
  readonly transport = 'ssh';
  private live?: LiveSession;
  private connecting?: Promise<LiveSession>;
  private readonly slots: SessionSlots;
  /** Set when the server answered the persistent shell's start with something else (see remote-shell.ts). */
  private shellUnsupported = false;

  constructor(private readonly settings: SshSettings) {
    this.slots = new SessionSlots(settings.maxSessions ?? DEFAULT_MAX_SESSIONS);
  }

  get host(): string {
    return this.settings.host;
  }

  private get connectTimeoutMs(): number {
    return this.settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  async connect(): Promise<void> {
    await this.session();
  }

  /** The open session, connecting first if there is none (also after the connection was lost). */
  private session(timeoutMs = this.connectTimeoutMs): Promise<LiveSession> {
    if (this.live) return Promise.resolve(this.live);
    this.connecting ??= this.open(timeoutMs).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(timeoutMs: number): Promise<LiveSession> {
    const home = this.settings.homeDir ?? homedir();
    const config = await loadSshConfig(this.settings.sshConfigFile ?? join(home, '.ssh', 'config'), home);
    const hops = planHops(this.settings, config, home);
    const knownHostsFiles = (
      this.settings.knownHostsFiles ?? [join(home, '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts']
    ).map((file) => expandHome(file, home));
    const knownHosts = await Promise.all(
      knownHostsFiles.map((file) => memoByFile('known_hosts', file, async () => new KnownHostsIndex(await loadKnownHosts([file])))),
    );
    const agentSocket = await usableAgentSocket(this.settings.agentSocket ?? process.env.SSH_AUTH_SOCK ?? '');
    const chain: OpenHop[] = [];
    try {
      for (const [index, hop] of hops.entries()) {
        const previous = chain[index - 1];
        const isTarget = index === hops.length - 1;
        const describe = isTarget ? hop.label : `jump host ${hop.label} (ProxyJump)`;
        const proxy = hop.proxyCommand !== undefined ? startProxyCommand(hop.proxyCommand) : undefined;
        const sock = previous ? await forwardTo(previous.client, hop, describe, timeoutMs, this.host) : proxy?.stream;
        chain.push(
          await connectHop(hop, {
            inventoryHost: this.host,
            describe: proxy ? `${describe} (ProxyCommand)` : describe,
            sock,
            ...(proxy ? { proxy } : {}),
            timeoutMs,
            knownHosts,
            knownHostsFiles,
            acceptNew: this.settings.acceptNewHostKeys ?? false,
            agentSocket,
            keepaliveMs: this.settings.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_MS,
          }),
        );
      }
    } catch (err) {
      await endClients(chain);
      throw err;
    }
    const live = new LiveSession(chain, hops[hops.length - 1]!.user, (lost) => {
      if (this.live === lost) this.live = undefined;
    });
    this.live = live;
    // Failures are left to the first command, which opens a shell of its own then.
    if (!this.shellUnsupported) live.warming = this.openShell(live).catch(() => undefined);
    return live;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    for (;;) {
      await this.slots.acquire();
      const channelsWithThisOne = this.slots.busy;
      let outcome: ExecResult | typeof SESSION_REFUSED;
      try {
        // Taken after the wait: a command queued while the connection dropped gets a fresh one.
        const live = await this.session();
        const { line, stdinPrefix } = buildCommandLine(command, options, live.user);
        const stdin = Buffer.concat([Buffer.from(stdinPrefix, 'utf8'), toBuffer(options.stdin)]);
        outcome = this.shellUnsupported
          ? await this.runOnChannel(live, line, stdin)
          : await this.runInShell(live, line, stdin);
      } finally {
        this.slots.release();
      }
      if (outcome !== SESSION_REFUSED) return outcome;
      if (channelsWithThisOne <= 1) {
        throw new UnreachableError(`${this.host}: the SSH server refused to open a session channel`, this.host);
      }
      // The server's MaxSessions is below ours: use fewer channels from now on and queue again.
      this.slots.lowerLimitTo(channelsWithThisOne - 1);
    }
  }

  /** Runs the command in an idle persistent shell of the session, opening one when all are busy. */
  private async runInShell(live: LiveSession, line: string, stdin: Buffer): Promise<ExecResult | typeof SESSION_REFUSED> {
    const shell = live.takeIdleShell() ?? (await live.takeWarmShell()) ?? (await this.openShell(live));
    if (shell === SESSION_REFUSED) return SESSION_REFUSED;
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (action: () => void): void => {
        if (settled) return;
        settled = true;
        live.running.delete(onLost);
        action();
      };
      const onLost = (reason: string): void => settle(() => reject(this.lostError(reason)));
      if (live.lostReason !== undefined) return reject(this.lostError(live.lostReason));
      live.running.add(onLost);
      shell.run(line, stdin).then(
        (result) =>
          settle(() => {
            live.returnShell(shell);
            resolve(result);
          }),
        (err: Error) => {
          if (err instanceof NoShellError) {
            // The command never reached a shell of ours: run it the plain way, now and from now on.
            this.shellUnsupported = true;
            return settle(() => this.runOnChannel(live, line, stdin).then(resolve, reject));
          }
          // ssh2 closes the channels before it reports the connection itself closed: let it
          // report that first, so that a dropped connection is named as such.
          setImmediate(() =>
            settle(() => reject(this.lostError(live.lostReason ?? (err instanceof ShellClosedError ? err.message : String(err))))),
          );
        },
      );
    });
  }

  private lostError(reason: string): UnreachableError {
    return new UnreachableError(`${this.host}: SSH connection lost while running a command: ${reason}`, this.host);
  }

  /** The command on its own session channel: for servers that do not run the persistent shell. */
  private runOnChannel(
    live: LiveSession,
    line: string,
    stdin: Buffer,
  ): Promise<ExecResult | typeof SESSION_REFUSED> {
    return new Promise((resolve, reject) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let rc: number | undefined;
      let settled = false;
      const result = (code: number): ExecResult => ({
        rc: code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
      const settle = (action: () => void): void => {
        if (settled) return;
        settled = true;
        live.running.delete(onLost);
        action();
      };
      const lostError = (reason: string): UnreachableError => this.lostError(reason);
      const onLost = (reason: string): void =>
        settle(() => (rc !== undefined ? resolve(result(rc)) : reject(lostError(reason))));

      if (live.lostReason !== undefined) return reject(lostError(live.lostReason));
      live.running.add(onLost);
      const onChannel = (err: (Error & { reason?: unknown }) | undefined, stream: ClientChannel): void => {
        if (err) {
          settle(() =>
            live.lostReason !== undefined
              ? reject(lostError(live.lostReason))
              : err.reason !== undefined
                ? resolve(SESSION_REFUSED)
                : reject(new UnreachableError(`${this.host}: could not start a command: ${err.message}`, this.host)),
          );
          return;
        }
        stream.on('data', (d: Buffer) => stdout.push(d));
        stream.stderr.on('data', (d: Buffer) => stderr.push(d));
        stream.on('exit', (code: number | null, signal?: string) => {
          rc = code ?? exitCodeForSignal(signal);
        });
        // The command may exit without reading its stdin; a late write is not an error.
        stream.on('error', () => {});
        stream.on('close', () => {
          if (live.lostReason !== undefined && rc === undefined) return onLost(live.lostReason);
          // No exit status at all: ssh itself reports 255 then.
          settle(() => resolve(result(rc ?? 255)));
        });
        stream.end(stdin);
      };
      try {
        // The login shell runs what an exec request carries, and it may not be POSIX: the line gets its own sh.
        live.client.exec(`exec /bin/sh -c ${shellQuote(line)}`, onChannel);
      } catch (err) {
        live.lose((err as Error).message);
      }
    });
  }

  /** A new persistent shell on its own session channel. */
  private openShell(live: LiveSession): Promise<RemoteShell | typeof SESSION_REFUSED> {
    return new Promise((resolve, reject) => {
      if (live.lostReason !== undefined) return reject(this.lostError(live.lostReason));
      const onChannel = (err: (Error & { reason?: unknown }) | undefined, channel: ClientChannel): void => {
        if (!err) return resolve(new RemoteShell(channel));
        if (live.lostReason !== undefined) reject(this.lostError(live.lostReason));
        else if (err.reason !== undefined) resolve(SESSION_REFUSED);
        else reject(new UnreachableError(`${this.host}: could not start a remote shell: ${err.message}`, this.host));
      };
      try {
        live.client.exec(SHELL_BOOTSTRAP, onChannel);
      } catch (err) {
        live.lose((err as Error).message);
        reject(this.lostError((err as Error).message));
      }
    });
  }

  put(path: string, content: Buffer, options: PutOptions = {}): Promise<PutResult> {
    return putViaExec(this, path, content, options);
  }

  async reconnect(deadline: number): Promise<void> {
    await this.close();
    let lastError: Error | undefined;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      try {
        await this.session(Math.min(this.connectTimeoutMs, remaining));
        return;
      } catch (err) {
        if (err instanceof HostKeyError) throw err;
        lastError = err as Error;
      }
      const pause = Math.min(RECONNECT_INTERVAL_MS, deadline - Date.now());
      if (pause <= 0) break;
      await new Promise((r) => setTimeout(r, pause));
    }
    const why = lastError ? `: ${lastError.message}` : '';
    throw new UnreachableError(`${this.host}: could not reconnect before the deadline${why}`, this.host);
  }

  async close(options: CloseOptions = {}): Promise<void> {
    await this.connecting?.catch(() => undefined);
    const live = this.live;
    this.live = undefined;
    await live?.end(options);
  }
}

function exitCodeForSignal(signal: string | undefined): number {
  const number = signal ? osConstants.signals[signal as keyof typeof osConstants.signals] : undefined;
  return number === undefined ? 255 : 128 + number;
}

function toBuffer(data: string | Buffer | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

async function usableAgentSocket(path: string): Promise<string | undefined> {
  if (!path) return undefined;
  try {
    return (await stat(path)).isSocket() ? path : undefined;
  } catch {
    return undefined;
  }
}

interface LoadedKey {
  path: string;
  key: ParsedKey;
}

/**
 * Local files every connection reads (private keys, known_hosts), parsed once per run and again only
 * when they change (a recorded host key changes known_hosts): parsing them for each host cost ~3 ms
 * per host, and known_hosts grows with the fleet, which made connecting quadratic in hosts.
 */
const parsedFiles = new Map<string, { stamp: string; value: Promise<unknown> }>();

async function memoByFile<T>(kind: string, path: string, parse: () => Promise<T>): Promise<T> {
  const stamp = await stat(path).then(
    (s) => `${s.ino}:${s.size}:${s.mtimeMs}`,
    () => 'absent',
  );
  const cacheKey = `${kind}:${path}`;
  const cached = parsedFiles.get(cacheKey);
  if (cached?.stamp === stamp) return cached.value as Promise<T>;
  const value = parse();
  parsedFiles.set(cacheKey, { stamp, value });
  return value;
}

/**
 * A known_hosts file's entries, those naming plain hosts indexed by name (lowercased, as ssh compares
 * them), so that a connection examines its own lines and the wildcard or hashed ones only.
 */
class KnownHostsIndex {
  private readonly byName = new Map<string, number[]>();
  private readonly alwaysExamined: number[] = [];

  constructor(private readonly entries: KnownHostEntry[]) {
    entries.forEach((entry, position) => {
      const hosts = entry.hosts;
      if (hosts.kind === 'hashed' || hosts.patterns.some((pattern) => /[*?!]/.test(pattern))) {
        this.alwaysExamined.push(position);
        return;
      }
      for (const name of new Set(hosts.patterns.map((pattern) => pattern.toLowerCase()))) {
        const positions = this.byName.get(name);
        if (positions) positions.push(position);
        else this.byName.set(name, [position]);
      }
    });
  }

  /** The entries that may match `name`, in file order (the first match decides, as in the whole file). */
  candidatesFor(name: string): KnownHostEntry[] {
    const named = this.byName.get(name.toLowerCase()) ?? [];
    return [...named, ...this.alwaysExamined].sort((a, b) => a - b).map((position) => this.entries[position]!);
  }
}

type KeyFileOutcome = { key: ParsedKey } | { problem: string } | { unreadable: string };

async function readKeyFile(path: string): Promise<KeyFileOutcome> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    return { unreadable: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
  const parsed = utils.parseKey(data);
  if (parsed instanceof Error) {
    const encrypted = /passphrase|encrypted/i.test(parsed.message);
    return { problem: encrypted ? 'protected by a passphrase: add it to ssh-agent' : parsed.message };
  }
  return parsed.isPrivateKey() ? { key: parsed } : { problem: 'not a private key' };
}

/** Reads and parses the hop's key files; those that cannot be used are explained in `problems`. */
async function loadKeys(files: KeyFile[]): Promise<{ keys: LoadedKey[]; problems: string[] }> {
  const keys: LoadedKey[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const outcome = await memoByFile('key', file.path, () => readKeyFile(file.path));
    if ('key' in outcome) keys.push({ path: file.path, key: outcome.key });
    else if ('problem' in outcome) problems.push(`${file.path} (${outcome.problem})`);
    else if (!file.optional) problems.push(`${file.path} (${outcome.unreadable})`);
  }
  return { keys, problems };
}

interface AuthAttempt {
  method: AnyAuthMethod;
  /** The server must list this in "methods that can continue". */
  needs: AuthenticationType;
  label: string;
}

function authAttempts(hop: Hop, keys: LoadedKey[], agentSocket: string | undefined): AuthAttempt[] {
  const username = hop.user;
  const attempts: AuthAttempt[] = keys.map(({ path, key }) => ({
    method: { type: 'publickey', username, key },
    needs: 'publickey',
    label: `key ${path} (${key.type})`,
  }));
  if (agentSocket) {
    attempts.push({ method: { type: 'agent', username, agent: agentSocket }, needs: 'publickey', label: `ssh-agent ${agentSocket}` });
  }
  const password = hop.password;
  if (password !== undefined) {
    attempts.push({ method: { type: 'password', username, password }, needs: 'password', label: 'password' });
    attempts.push({
      method: {
        type: 'keyboard-interactive',
        username,
        prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)),
      },
      needs: 'keyboard-interactive',
      label: 'password (keyboard-interactive)',
    });
  }
  return attempts;
}

interface HopContext {
  inventoryHost: string;
  describe: string;
  sock: Duplex | undefined;
  /** The ProxyCommand carrying this hop, if any. */
  proxy?: ProxyProcess;
  timeoutMs: number;
  /** One per known_hosts file, in the order they are consulted. */
  knownHosts: KnownHostsIndex[];
  knownHostsFiles: string[];
  acceptNew: boolean;
  agentSocket: string | undefined;
  keepaliveMs: number;
}

async function connectHop(hop: Hop, ctx: HopContext): Promise<OpenHop> {
  const { keys, problems } = await loadKeys(hop.keyFiles);
  const attempts = authAttempts(hop, keys, ctx.agentSocket);
  const host = ctx.inventoryHost;
  if (attempts.length === 0) {
    ctx.sock?.destroy(); // the tunnel or ProxyCommand opened for this hop
    const unusable = problems.length ? ` Unusable keys: ${problems.join(', ')}.` : '';
    throw new UnreachableError(
      `${host}: no credentials for ${ctx.describe}: no private key found (set ansible_ssh_private_key_file or ` +
        `--private-key), no ssh-agent (SSH_AUTH_SOCK) and no ansible_password.${unusable}`,
      host,
    );
  }
  const knownName = knownHostName(hop.address, hop.port);
  const knownEntries = ctx.knownHosts.flatMap((index) => index.candidatesFor(knownName));
  const tried: string[] = [];
  let serverAllows: string[] | undefined;
  let hostKeyRefusal: HostKeyError | undefined;

  return new Promise((resolve, reject) => {
    const client = new Client();
    /** Set once connect() has resolved or rejected. */
    let settled = false;
    let ready = false;
    let closed = false;
    let errorAfterReady: Error | undefined;
    const fail = (err: UnreachableError): void => {
      if (settled) return;
      settled = true;
      client.end();
      if (!ctx.proxy || err instanceof HostKeyError) return reject(err);
      // When the proxy died, that is the cause (ssh2's own error then varies: EPIPE, connection lost…),
      // and its stderr says why; that text is complete once it has exited.
      const proxy = ctx.proxy;
      void proxy.finished().then(() => {
        const said = proxy.stderr() || '(nothing on stderr)';
        const status = proxy.exitStatus();
        reject(
          status === undefined
            ? new UnreachableError(`${err.message}; the ProxyCommand said: ${said}`, host)
            : new UnreachableError(`${host}: ssh to ${ctx.describe}: the ProxyCommand ${status}: ${said}`, host),
        );
      });
    };
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (ready) {
        errorAfterReady = err;
        return;
      }
      // A missing or broken agent is not fatal: ssh2 goes on with the next method.
      if (err.level === 'agent') return;
      fail(hostKeyRefusal ?? connectError(err, hop, ctx, tried, serverAllows, problems));
    });
    client.on('close', () => {
      closed = true;
      fail(hostKeyRefusal ?? new UnreachableError(`${host}: ssh to ${ctx.describe}: closed during setup`, host));
    });
    client.on('ready', () => {
      if (settled) return;
      settled = ready = true;
      resolve({ client, lastError: () => errorAfterReady, isClosed: () => closed });
    });

    const preferredTypes = knownKeyTypes(knownEntries, knownName);
    const config: ConnectConfig = {
      host: hop.address,
      port: hop.port,
      username: hop.user,
      readyTimeout: ctx.timeoutMs,
      keepaliveInterval: ctx.keepaliveMs,
      keepaliveCountMax: 3,
      ...(ctx.sock ? { sock: ctx.sock } : {}),
      ...(preferredTypes.length ? { algorithms: { serverHostKey: preferHostKeyTypes(preferredTypes) } } : {}),
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        verifyHostKey(key, knownName, knownEntries, ctx).then(
          () => verify(true),
          (err: HostKeyError) => {
            hostKeyRefusal = err;
            verify(false);
          },
        );
      },
      authHandler: (methodsLeft, _partial, next) => {
        // ssh2 passes null before the first attempt, despite its types.
        if (methodsLeft) serverAllows = methodsLeft;
        // Skip what the server no longer offers (e.g. keys when it only takes passwords).
        let attempt = attempts.shift();
        while (attempt && methodsLeft && !methodsLeft.includes(attempt.needs)) attempt = attempts.shift();
        if (!attempt) return next(false as unknown as AuthenticationType); // ssh2: false ends authentication
        tried.push(attempt.label);
        next(attempt.method);
      },
    };
    client.connect(config);
    signPublicKeyRequestsAtOnce(client);
    // Small packets (one per command) must not wait for Nagle's algorithm: it costs ~40 ms per exec.
    client.setNoDelay(true);
  });
}

function preferHostKeyTypes(knownTypes: string[]): ServerHostKeyAlgorithm[] {
  const keyTypeOf = (algorithm: string) => (algorithm.startsWith('rsa-sha2-') ? 'ssh-rsa' : algorithm);
  const known = (algorithm: string) => (knownTypes.includes(keyTypeOf(algorithm)) ? 0 : 1);
  return [...HOST_KEY_ALGORITHMS].sort((a, b) => known(a) - known(b));
}

/** Resolves if the key may be trusted (recording it when new and allowed); rejects with the reason otherwise. */
async function verifyHostKey(key: Buffer, knownName: string, knownEntries: KnownHostEntry[], ctx: HopContext): Promise<void> {
  const host = ctx.inventoryHost;
  const type = blobKeyType(key);
  const print = fingerprint(key);
  const where = ctx.describe;
  const verdict = checkHostKey(knownEntries, knownName, key);
  switch (verdict.status) {
    case 'known':
      return;
    case 'revoked':
      throw new HostKeyError(
        `${host}: the ${type} host key ${print} offered by ${where} is marked @revoked in ` +
          `${verdict.entry.file}:${verdict.entry.line}; refusing to connect.`,
        host,
      );
    case 'changed':
      throw new HostKeyError(
        `${host}: REMOTE HOST IDENTIFICATION HAS CHANGED for ${where}! The server offered the ${type} key ${print}, ` +
          `but ${verdict.entry.file}:${verdict.entry.line} records a different ${type} key ` +
          `(${fingerprint(verdict.entry.key)}). Someone could be intercepting the connection (man-in-the-middle), ` +
          `or the host was reinstalled. play refuses to connect, even with --accept-new-host-keys. If the change ` +
          `is expected, remove the old key with: ssh-keygen -R '${knownName}' -f ${verdict.entry.file}`,
        host,
      );
    case 'unknown':
      if (ctx.acceptNew) {
        // As ssh's accept-new: a key that cannot be recorded is still accepted for this run.
        await recordHostKey(ctx.knownHostsFiles, knownName, key).catch(() => undefined);
        return;
      }
      throw new HostKeyError(
        `${host}: host key verification failed: the ${type} key ${print} of ${where} is not in ` +
          `${ctx.knownHostsFiles.join(' or ')}. If that fingerprint is right (on the host: ` +
          `ssh-keygen -lf /etc/ssh/ssh_host_${hostKeyFileType(type)}_key.pub), ` +
          `run again with --accept-new-host-keys to record it.`,
        host,
      );
  }
}

/** The word in /etc/ssh/ssh_host_<word>_key for a key type. */
function hostKeyFileType(type: string): string {
  if (type.startsWith('ecdsa-')) return 'ecdsa';
  return type.replace(/^ssh-/, '');
}

function connectError(
  err: Error & { level?: string; code?: string },
  hop: Hop,
  ctx: HopContext,
  tried: string[],
  serverAllows: string[] | undefined,
  keyProblems: string[],
): UnreachableError {
  const host = ctx.inventoryHost;
  const to = `${host}: ssh to ${ctx.describe}`;
  const seconds = ctx.timeoutMs / 1000;
  let message: string;
  if (err.level === 'client-authentication') {
    const allows = serverAllows ? ` (the server accepts: ${serverAllows.join(', ')})` : '';
    const unusable = keyProblems.length ? `; could not use ${keyProblems.join(', ')}` : '';
    message = `${to}: permission denied${allows}; tried ${tried.join(', ') || 'nothing'}${unusable}`;
  } else if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') {
    message = `${to}: timed out after ${seconds} s`;
  } else if (err.code === 'ECONNREFUSED') {
    message = `${to}: connection refused`;
  } else if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    message = `${to}: could not resolve host name '${hop.address}'`;
  } else if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') {
    message = `${to}: no route to host`;
  } else {
    message = `${to}: ${err.message}`;
  }
  return new UnreachableError(message, host);
}

/**
 * Runs a ProxyCommand (through /bin/sh, as ssh does) and joins its stdout and stdin into the
 * stream the SSH connection runs over. The command is stopped when that stream closes.
 */
interface ProxyProcess {
  stream: Duplex;
  /** What the command wrote to stderr so far. */
  stderr(): string;
  /** Resolves when the command has exited (or after a short grace, if it does not). */
  finished(): Promise<void>;
  /** "exited with code N" / "was killed by SIGX" once it ended, else undefined. */
  exitStatus(): string | undefined;
}

const PROXY_EXIT_GRACE_MS = 1_000;

function startProxyCommand(command: string): ProxyProcess {
  const child = spawn('/bin/sh', ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  // The command's exit is the end of the transport, even while its stdin is still open.
  void exited.then(() => stream.destroy());
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
  // Failures show as the stream closing during setup; the stderr text explains them.
  stream.on('error', () => {});
  child.on('error', (err) => (stderr += err.message));
  stream.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  return {
    stream,
    stderr: () => stderr.trim(),
    finished: () => Promise.race([exited, new Promise<void>((r) => setTimeout(r, PROXY_EXIT_GRACE_MS).unref())]),
    exitStatus: () => {
      if (child.exitCode !== null) return `exited with code ${child.exitCode}`;
      return child.signalCode !== null ? `was killed by ${child.signalCode}` : undefined;
    },
  };
}

/** A tunnel through `jump` to the hop (ssh's ProxyJump, i.e. `ssh -W`). */
function forwardTo(jump: SshClient, hop: Hop, describe: string, timeoutMs: number, host: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new UnreachableError(`${host}: ssh to ${describe}: timed out after ${timeoutMs / 1000} s opening the tunnel through the jump host`, host)),
      timeoutMs,
    );
    jump.forwardOut('127.0.0.1', 0, hop.address, hop.port, (err, stream) => {
      clearTimeout(timer);
      if (err) reject(new UnreachableError(`${host}: ssh to ${describe}: the jump host could not connect: ${err.message}`, host));
      else resolve(stream);
    });
  });
}

/**
 * Ends the clients, the target first: an inner hop's disconnect travels through the hop outside it,
 * which is ended only once the inner one has closed. The outermost hop's close is the server's FIN, a
 * round trip after ours; without `awaitServer` its disconnect and FIN are sent and nothing waits.
 */
async function endClients(hops: OpenHop[], awaitServer = true): Promise<void> {
  for (const [index, { client, isClosed }] of [...hops.entries()].reverse()) {
    if (isClosed()) continue;
    if (index === 0 && !awaitServer) {
      client.end();
      continue;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.destroy();
        resolve();
      }, CLOSE_GRACE_MS);
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      client.end();
    });
  }
}
