import { PlayError } from '../errors.js';
import type { Vars } from '../playbook/types.js';
import { LocalConnection } from './local.js';
import { parseJumpHosts } from './ssh-config.js';
import { SshConnection, type SshSettings } from './ssh.js';
import type { Connection } from './types.js';

export { HostKeyError, SshConnection, type SshSettings } from './ssh.js';

export interface ConnectionSettings extends SshSettings {
  transport: 'ssh' | 'local';
}

export interface ConnectionDefaults {
  /** --user */
  remoteUser?: string;
  /** --private-key */
  privateKey?: string;
  /** --accept-new-host-keys */
  acceptNewHostKeys: boolean;
}

/** ansible_connection values that mean "over SSH" (Ansible's paramiko and smart both end up as ssh here). */
const SSH_CONNECTIONS = new Set(['ssh', 'smart', 'paramiko', 'paramiko_ssh']);

/**
 * How to reach `host`, from its variables as Ansible's ssh connection plugin reads them.
 * Inventory variables win over command-line defaults, as in Ansible.
 */
export function connectionSettingsFromVars(host: string, vars: Vars, defaults: ConnectionDefaults): ConnectionSettings {
  const read = (...names: string[]): unknown => {
    for (const name of names) if (vars[name] !== undefined && vars[name] !== null) return vars[name];
    return undefined;
  };
  const text = (...names: string[]): string | undefined => {
    const value = read(...names);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new PlayError(`host ${host}: ${names[0]} must be a string, got ${JSON.stringify(value)}`);
    }
    return String(value);
  };
  const transport = connectionType(host, text('ansible_connection'));
  const port = text('ansible_port', 'ansible_ssh_port');
  const timeout = text('ansible_ssh_timeout', 'ansible_timeout');
  const user = text('ansible_user', 'ansible_ssh_user') ?? defaults.remoteUser;
  const key = text('ansible_ssh_private_key_file', 'ansible_private_key_file') ?? defaults.privateKey;
  const password = text('ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password');
  const knownHosts = knownHostsFiles(host, read('ansible_ssh_known_hosts_file'));
  const proxy = proxyFromSshArgs(host, [text('ansible_ssh_common_args'), text('ansible_ssh_extra_args')]);
  return {
    host,
    hostname: text('ansible_host', 'ansible_ssh_host') ?? host,
    transport,
    acceptNewHostKeys: defaults.acceptNewHostKeys,
    ...(port !== undefined ? { port: wholeNumber(host, 'ansible_port', port, 1, 65535) } : {}),
    ...(user !== undefined ? { user } : {}),
    ...(key !== undefined ? { privateKeyFiles: [key] } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(knownHosts ? { knownHostsFiles: knownHosts } : {}),
    ...proxy,
    ...(timeout !== undefined ? { connectTimeoutMs: wholeNumber(host, 'ansible_ssh_timeout', timeout, 1, 3600) * 1000 } : {}),
  };
}

function connectionType(host: string, value: string | undefined): 'ssh' | 'local' {
  // Ansible's implicit localhost runs on the controller.
  if (value === undefined) return host === 'localhost' ? 'local' : 'ssh';
  if (value === 'local') return 'local';
  if (SSH_CONNECTIONS.has(value)) return 'ssh';
  throw new PlayError(`host ${host}: ansible_connection '${value}' is not supported: expected 'ssh' or 'local'`);
}

function wholeNumber(host: string, name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) {
    throw new PlayError(`host ${host}: ${name} is '${text}': expected a whole number from ${min} to ${max}`);
  }
  return n;
}

/** One path, a comma-separated list, or a YAML list of paths. */
function knownHostsFiles(host: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (!items || items.some((item) => typeof item !== 'string')) {
    throw new PlayError(`host ${host}: ansible_ssh_known_hosts_file must be a path or a list of paths`);
  }
  const files = (items as string[]).map((item) => item.trim()).filter((item) => item !== '');
  return files.length ? files : undefined;
}

/**
 * The proxy set in ssh arguments, as Ansible inventories give bastions: `-J host`,
 * `-o ProxyJump=host` or `-o ProxyCommand="ssh -W %h:%p bastion"`; the first one wins, as in ssh.
 * Other ssh options are not interpreted.
 */
function proxyFromSshArgs(
  host: string,
  argStrings: (string | undefined)[],
): Pick<ConnectionSettings, 'proxyJump' | 'proxyCommand'> {
  const args = argStrings.flatMap((text) => (text ? splitShellWords(host, text) : []));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    let option: string | undefined;
    if (arg === '-J') option = `proxyjump=${args[++i] ?? ''}`;
    else if (arg.startsWith('-J')) option = `proxyjump=${arg.slice(2)}`;
    else if (arg === '-o') option = args[++i];
    else if (arg.startsWith('-o')) option = arg.slice(2);
    const m = option === undefined ? null : /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/s.exec(option);
    const key = m?.[1]!.toLowerCase();
    const value = m?.[2]!.trim() ?? '';
    if (key === 'proxycommand') return { proxyCommand: value };
    if (key === 'proxyjump') {
      if (value.toLowerCase() !== 'none') {
        try {
          parseJumpHosts(value);
        } catch (err) {
          throw new PlayError(`host ${host}: ansible_ssh_common_args: ${(err as Error).message}`);
        }
      }
      return { proxyJump: value };
    }
  }
  return {};
}

/** Splits a command-line string into words the way a POSIX shell would (quotes and backslashes). */
function splitShellWords(host: string, text: string): string[] {
  const words: string[] = [];
  const re = /\s*(?:'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)|([^\s'"\\]+)|(\S))/gy;
  let word: string | undefined;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    if (m[5] !== undefined) throw new PlayError(`host ${host}: unbalanced quote in ssh arguments: ${text}`);
    // Whitespace before this piece ends the previous word.
    if (word !== undefined && /^\s/.test(m[0])) {
      words.push(word);
      word = undefined;
    }
    const piece = m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3] ?? m[4] ?? '';
    word = (word ?? '') + piece;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** A connection for the settings; not yet connected (call `connect()`). */
export function createConnection(settings: ConnectionSettings): Connection {
  return settings.transport === 'local' ? new LocalConnection(settings.host) : new SshConnection(settings);
}
