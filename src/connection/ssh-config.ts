import { readdir, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { PlayError, type SourcePos } from '../errors.js';

/**
 * OpenSSH's wildcard match (match.c): `*` is any run of characters, `?` exactly one.
 * Host names compare case-insensitively, as ssh lowercases them before matching.
 */
export function matchPattern(pattern: string, text: string): boolean {
  return wildcardMatch(pattern.toLowerCase(), text.toLowerCase());
}

/** Case-sensitive `*`/`?` match of the whole text. */
function wildcardMatch(p: string, t: string): boolean {
  // Iterative glob with single-star backtracking: linear in practice, no regex built from user input.
  let pi = 0;
  let ti = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      starAt = pi++;
      resumeAt = ti;
    } else if (starAt >= 0) {
      pi = starAt + 1;
      ti = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/**
 * A list of patterns, some negated with `!`, as in `Host` lines and known_hosts host fields:
 * a matching negated pattern rules the host out whatever else matches.
 */
export function matchPatternList(patterns: readonly string[], text: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (matchPattern(pattern.slice(1), text)) return false;
    } else if (matchPattern(pattern, text)) {
      matched = true;
    }
  }
  return matched;
}

interface ConfigLine {
  keyword: string;
  args: string[];
  /** The value as written (ProxyCommand takes the rest of the line, quotes and all). */
  raw: string;
  pos: SourcePos;
}

/** A `Host` block; `patterns` is null for the lines before the first `Host`, which apply to every host. */
interface ConfigBlock {
  patterns: string[] | null;
  /** `Match` blocks are not evaluated (except `Match all`): their options never apply. */
  ignored: boolean;
  /** Patterns of the `Host` blocks an `Include` of this block sits in: all must match too. */
  guards: string[][];
  lines: ConfigLine[];
}

export interface SshConfig {
  file: string;
  blocks: ConfigBlock[];
}

/** A value taken from the config, with where it was written (for error messages). */
export interface Located<T> {
  value: T;
  pos: SourcePos;
}

/** The options play uses for one host, after `Host` matching (first obtained value wins). */
export interface HostConfig {
  hostName?: Located<string>;
  port?: Located<number>;
  user?: Located<string>;
  /** Cumulative across matching blocks, in order, as ssh tries them. Tokens not yet expanded. */
  identityFiles: Located<string>[];
  /** ProxyJump and ProxyCommand exclude each other: only the first obtained is set; `none` sets neither. */
  proxyJump?: Located<string>;
  /** Tokens not yet expanded. */
  proxyCommand?: Located<string>;
}

export function parseSshConfig(text: string, file: string): SshConfig {
  const blocks: ConfigBlock[] = [{ patterns: null, ignored: false, guards: [], lines: [] }];
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const col = raw.length - raw.trimStart().length + 1;
    const pos: SourcePos = { file, line: index + 1, col };
    const m = /^([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+)(.*)$/.exec(trimmed);
    if (!m) throw new PlayError(`bad ssh_config line '${trimmed}': expected 'Keyword value'`, pos);
    const keyword = m[1]!.toLowerCase();
    const args = splitArgs(m[2]!, pos);
    if (keyword === 'host') {
      if (args.length === 0) throw new PlayError('Host needs at least one pattern', pos);
      blocks.push({ patterns: args, ignored: false, guards: [], lines: [] });
    } else if (keyword === 'match') {
      const matchesAll = args.length === 1 && args[0]!.toLowerCase() === 'all';
      blocks.push({ patterns: matchesAll ? ['*'] : [], ignored: !matchesAll, guards: [], lines: [] });
    } else {
      blocks[blocks.length - 1]!.lines.push({ keyword, args, raw: m[2]!.trim(), pos });
    }
  });
  return { file, blocks };
}

/** Splits arguments on whitespace, keeping double-quoted strings together (as ssh's argv_split). */
function splitArgs(text: string, pos: SourcePos): string[] {
  const args: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[2]?.includes('"')) throw new PlayError(`unbalanced quote in ssh_config value '${text}'`, pos);
    args.push(m[1] ?? m[2]!);
  }
  return args;
}

/** Options for `host` (the name as given to ssh, before `HostName`). */
export function hostConfig(config: SshConfig, host: string): HostConfig {
  const result: HostConfig = { identityFiles: [] };
  let proxySeen = false;
  for (const block of config.blocks) {
    if (block.ignored || !block.guards.every((guard) => matchPatternList(guard, host))) continue;
    if (block.patterns !== null && !matchPatternList(block.patterns, host)) continue;
    for (const { keyword, args, raw, pos } of block.lines) {
      const first = args[0];
      if (first === undefined) throw new PlayError(`${keyword} needs a value`, pos);
      switch (keyword) {
        case 'hostname':
          result.hostName ??= { value: first, pos };
          break;
        case 'port':
          result.port ??= { value: parsePort(first, pos), pos };
          break;
        case 'user':
          result.user ??= { value: first, pos };
          break;
        case 'identityfile':
          result.identityFiles.push({ value: first, pos });
          break;
        case 'proxyjump':
        case 'proxycommand':
          if (!proxySeen && first.toLowerCase() !== 'none') {
            if (keyword === 'proxyjump') result.proxyJump = { value: first, pos };
            else result.proxyCommand = { value: raw, pos };
          }
          proxySeen = true;
          break;
      }
    }
  }
  return result;
}

function parsePort(text: string, pos?: SourcePos): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new PlayError(`bad Port '${text}': expected a number from 1 to 65535`, pos);
  }
  return port;
}

/** How deep Includes may nest, as ssh's READCONF_MAX_DEPTH. */
const MAX_INCLUDE_DEPTH = 16;

/**
 * Reads a user ssh_config file and the files it `Include`s; missing files are empty, as for ssh.
 * `home` resolves `~` and relative Include paths (which are relative to ~/.ssh).
 */
export async function loadSshConfig(file: string, home: string): Promise<SshConfig> {
  return { file, blocks: await loadBlocks(file, home, [], false, 0) };
}

async function loadBlocks(file: string, home: string, guards: string[][], ignored: boolean, depth: number): Promise<ConfigBlock[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: ConfigBlock[] = [];
  for (const block of parseSshConfig(text, file).blocks) {
    const scope = { patterns: block.patterns, ignored: ignored || block.ignored, guards };
    let current: ConfigBlock = { ...scope, lines: [] };
    out.push(current);
    for (const line of block.lines) {
      if (line.keyword !== 'include') {
        current.lines.push(line);
        continue;
      }
      if (depth >= MAX_INCLUDE_DEPTH) {
        throw new PlayError(`Include nested more than ${MAX_INCLUDE_DEPTH} levels deep (a loop?)`, line.pos);
      }
      // An Include inside a Host block applies only to the hosts that block matches.
      const innerGuards = block.patterns ? [...guards, block.patterns] : guards;
      for (const included of await includePaths(line.args, home, line.pos)) {
        out.push(...(await loadBlocks(included, home, innerGuards, scope.ignored, depth + 1)));
      }
      // The rest of the including block continues after the included files.
      current = { ...scope, lines: [] };
      out.push(current);
    }
  }
  return out;
}

/** Include arguments to files: `~` expanded, relative paths under ~/.ssh, wildcards in the file name, sorted. */
async function includePaths(args: string[], home: string, pos: SourcePos): Promise<string[]> {
  const paths: string[] = [];
  for (const arg of args) {
    const expanded = arg === '~' || arg.startsWith('~/') ? home + arg.slice(1) : arg;
    const path = isAbsolute(expanded) ? expanded : join(home, '.ssh', expanded);
    const directory = dirname(path);
    const name = path.slice(directory.length + 1);
    if (!/[*?]/.test(name)) {
      paths.push(path);
      continue;
    }
    if (/[*?]/.test(directory)) {
      throw new PlayError(`Include '${arg}': wildcards are supported in the file name only`, pos);
    }
    const entries = await readdir(directory).catch(() => [] as string[]);
    // As glob(7): a wildcard does not match a leading dot.
    const matches = entries.filter((entry) => (name.startsWith('.') || !entry.startsWith('.')) && wildcardMatch(name, entry));
    paths.push(...matches.sort().map((entry) => join(directory, entry)));
  }
  return paths;
}

/** Values for ssh_config's `%` tokens (ssh_config(5) TOKENS). */
export interface TokenValues {
  /** %d: the local home directory (also what a leading `~` means). */
  home: string;
  /** %h: the remote host name, after HostName. */
  hostName: string;
  /** %n: the host name as given, before HostName. */
  originalHost: string;
  /** %p */
  port: number;
  /** %r */
  remoteUser: string;
  /** %u */
  localUser: string;
}

/** Expands `~` and the `%` tokens in a path such as IdentityFile. */
export function expandPathTokens(value: string, tokens: TokenValues, pos: SourcePos): string {
  const expanded = expandTokens(value, tokens, pos);
  if (expanded === '~') return tokens.home;
  return expanded.startsWith('~/') ? tokens.home + expanded.slice(1) : expanded;
}

/** Expands `%d %h %n %p %r %u %%` (ssh_config(5) TOKENS). */
export function expandTokens(value: string, tokens: TokenValues, pos?: SourcePos): string {
  return value.replace(/%(.?)/g, (_all, token: string) => {
    switch (token) {
      case '%':
        return '%';
      case 'd':
        return tokens.home;
      case 'h':
        return tokens.hostName;
      case 'n':
        return tokens.originalHost;
      case 'p':
        return String(tokens.port);
      case 'r':
        return tokens.remoteUser;
      case 'u':
        return tokens.localUser;
      default:
        throw new PlayError(`unknown token '%${token}' in '${value}': expected one of %% %d %h %n %p %r %u`, pos);
    }
  });
}

/** A `ProxyJump` hop: `[user@]host[:port]` or `ssh://[user@]host[:port]`. */
export interface JumpHost {
  host: string;
  port?: number;
  user?: string;
}

/** `pos` is where the value was written, when it comes from a file. */
export function parseJumpHosts(value: string, pos?: SourcePos): JumpHost[] {
  return value.split(',').map((item) => {
    const spec = item.startsWith('ssh://') ? item.slice('ssh://'.length) : item;
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:@]+)(?::(\d+))?$/.exec(spec);
    if (!m) throw new PlayError(`bad ProxyJump '${item}': expected [user@]host[:port]`, pos);
    const host = m[2]!.replace(/^\[(.*)\]$/, '$1');
    return {
      host,
      ...(m[1] !== undefined ? { user: m[1] } : {}),
      ...(m[3] !== undefined ? { port: parsePort(m[3], pos) } : {}),
    };
  });
}

const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** What the inventory says about reaching a host; ~/.ssh/config fills in the rest. */
export interface HopRequest {
  /** The name ssh is given (ansible_host); `Host` blocks match it. */
  hostname: string;
  port?: number;
  user?: string;
  privateKeyFiles?: string[];
  password?: string;
  proxyJump?: string;
  proxyCommand?: string;
}

/** One machine on the way to the target: the ProxyJump hosts, then the target itself. */
export interface Hop {
  /** How messages name this hop, e.g. "root@10.0.0.5 port 2222". */
  label: string;
  address: string;
  port: number;
  user: string;
  keyFiles: KeyFile[];
  password?: string;
  /** Tokens expanded; run with /bin/sh to carry the connection. */
  proxyCommand?: string;
}

export interface KeyFile {
  path: string;
  /** Default identities are skipped silently when absent; named ones are reported. */
  optional: boolean;
}

/**
 * The hops to `settings.hostname`: its ProxyJump hosts (each configured by its own `Host` block), then
 * itself. Inventory values win over the config's, as ssh's command-line options over its config.
 */
export function planHops(settings: HopRequest, config: SshConfig, home: string): Hop[] {
  const explicitKeys = (settings.privateKeyFiles ?? []).map((path) => ({
    path: expandHome(path, home),
    optional: false,
  }));
  const target = hostConfig(config, settings.hostname);
  const proxy = chooseProxy(settings, target);
  const targetHop = makeHop(settings.hostname, target, home, {
    port: settings.port,
    user: settings.user,
    keys: explicitKeys,
    password: settings.password,
    ...(proxy?.kind === 'command' ? { proxyCommand: proxy } : {}),
  });
  if (proxy?.kind !== 'jump') return [targetHop];
  const jumps = parseJumpHosts(proxy.value, proxy.pos).map((jump) =>
    // ssh does not hand -i or the password to jump hosts; the explicit key is still offered to them,
    // after the jump host's own identities, because inventories commonly use one key for both.
    makeHop(jump.host, hostConfig(config, jump.host), home, { port: jump.port, user: jump.user, keys: [], fallbackKeys: explicitKeys }),
  );
  return [...jumps, targetHop];
}

interface ProxyChoice {
  kind: 'jump' | 'command';
  value: string;
  pos?: SourcePos;
}

/** The inventory's proxy wins over the config's; `none` means a direct connection. */
function chooseProxy(settings: HopRequest, config: HostConfig): ProxyChoice | undefined {
  const choice: ProxyChoice | undefined =
    settings.proxyCommand !== undefined
      ? { kind: 'command', value: settings.proxyCommand }
      : settings.proxyJump !== undefined
        ? { kind: 'jump', value: settings.proxyJump }
        : config.proxyCommand
          ? { kind: 'command', ...config.proxyCommand }
          : config.proxyJump
            ? { kind: 'jump', ...config.proxyJump }
            : undefined;
  return choice && choice.value.toLowerCase() !== 'none' ? choice : undefined;
}

function makeHop(
  name: string,
  config: HostConfig,
  home: string,
  given: {
    port?: number;
    user?: string;
    keys: KeyFile[];
    fallbackKeys?: KeyFile[];
    password?: string;
    proxyCommand?: ProxyChoice;
  },
): Hop {
  const address = config.hostName ? config.hostName.value.replace(/%([%h])/g, (_m, t: string) => (t === 'h' ? name : '%')) : name;
  const port = given.port ?? config.port?.value ?? 22;
  const localUser = userInfo().username;
  const user = given.user ?? config.user?.value ?? localUser;
  const tokens: TokenValues = { home, hostName: address, originalHost: name, port, remoteUser: user, localUser };
  const configured = config.identityFiles.map((f) => ({ path: expandPathTokens(f.value, tokens, f.pos), optional: false }));
  let keyFiles = [...given.keys, ...configured, ...(given.fallbackKeys ?? [])];
  // As ssh: the default identities are used only when no identity file is named anywhere.
  if (keyFiles.length === 0) {
    keyFiles = DEFAULT_IDENTITIES.map((file) => ({ path: join(home, '.ssh', file), optional: true }));
  }
  const proxy = given.proxyCommand;
  return {
    label: `${user}@${address} port ${port}`,
    address,
    port,
    user,
    keyFiles: dedupeKeys(keyFiles),
    ...(given.password !== undefined ? { password: given.password } : {}),
    ...(proxy ? { proxyCommand: expandTokens(proxy.value, tokens, proxy.pos) } : {}),
  };
}

function dedupeKeys(keys: KeyFile[]): KeyFile[] {
  const seen = new Set<string>();
  return keys.filter((k) => !seen.has(k.path) && seen.add(k.path));
}

export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  return path.startsWith('~/') ? home + path.slice(1) : path;
}
