import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { matchPatternList } from './ssh-config.js';

/** How a known_hosts line names its hosts: a pattern list, or one name hashed with HMAC-SHA1 (`|1|salt|hash`). */
type HostField = { kind: 'patterns'; patterns: string[] } | { kind: 'hashed'; salt: Buffer; hash: Buffer };

export interface KnownHostEntry {
  file: string;
  /** 1-based. */
  line: number;
  revoked: boolean;
  hosts: HostField;
  keyType: string;
  /** The public key blob, as the server sends it. */
  key: Buffer;
}

/**
 * Parses known_hosts text (sshd(8) SSH_KNOWN_HOSTS FILE FORMAT). Lines that cannot be a host key
 * (comments, blanks, malformed lines) are skipped, as ssh does; `@cert-authority` lines are skipped
 * because play does not verify host certificates.
 */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]!.startsWith('#')) return;
    let revoked = false;
    if (fields[0]!.startsWith('@')) {
      if (fields[0] !== '@revoked') return;
      revoked = true;
      fields.shift();
    }
    const [hostText, keyType, keyBase64] = fields;
    if (!hostText || !keyType || !keyBase64) return;
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length === 0 || blobKeyType(key) !== keyType) return;
    const hosts = parseHostField(hostText);
    if (!hosts) return;
    entries.push({ file, line: index + 1, revoked, hosts, keyType, key });
  });
  return entries;
}

function parseHostField(text: string): HostField | undefined {
  if (!text.startsWith('|')) return { kind: 'patterns', patterns: text.split(',') };
  const m = /^\|1\|([^|]+)\|([^|]+)$/.exec(text);
  if (!m) return undefined;
  return { kind: 'hashed', salt: Buffer.from(m[1]!, 'base64'), hash: Buffer.from(m[2]!, 'base64') };
}

/** The name ssh looks up in known_hosts: `host`, or `[host]:port` when the port is not 22. */
export function knownHostName(hostname: string, port: number): string {
  return port === 22 ? hostname : `[${hostname}]:${port}`;
}

export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.kind === 'patterns') return matchPatternList(entry.hosts.patterns, name);
  const digest = createHmac('sha1', entry.hosts.salt).update(name).digest();
  return digest.length === entry.hosts.hash.length && timingSafeEqual(digest, entry.hosts.hash);
}

/** The key type named inside a public key blob (its first SSH string). */
export function blobKeyType(key: Buffer): string {
  if (key.length < 4) return '';
  const length = key.readUInt32BE(0);
  return key.subarray(4, 4 + length).toString('latin1');
}

/** `SHA256:<base64 without padding>`, as `ssh-keygen -l` and ssh's prompts print it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  /** A key of the same type is recorded for this host, and it is a different key. */
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'unknown' };

/** Checks a server's key against the entries, the way ssh's check_host_key orders the outcomes. */
export function checkHostKey(entries: readonly KnownHostEntry[], name: string, key: Buffer): HostKeyVerdict {
  const forHost = entries.filter((e) => entryMatches(e, name));
  const revoked = forHost.find((e) => e.revoked && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const valid = forHost.filter((e) => !e.revoked);
  const known = valid.find((e) => e.key.equals(key));
  if (known) return { status: 'known', entry: known };
  const type = blobKeyType(key);
  const changed = valid.find((e) => e.keyType === type);
  if (changed) return { status: 'changed', entry: changed };
  return { status: 'unknown' };
}

/** Key types recorded for this host, so the connection can ask the server for one of those first. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], name: string): string[] {
  const types = entries.filter((e) => !e.revoked && entryMatches(e, name)).map((e) => e.keyType);
  return [...new Set(types)];
}

/** Reads every file that exists; missing ones are skipped, as ssh does. */
export async function loadKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
  const texts = await Promise.all(
    files.map(async (file) => {
      try {
        return parseKnownHosts(await readFile(file, 'utf8'), file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    }),
  );
  return texts.flat();
}

export function knownHostsLine(name: string, key: Buffer): string {
  return `${name} ${blobKeyType(key)} ${key.toString('base64')}`;
}

/**
 * Records a newly accepted key in the first of `files` that can be written (creating it and a
 * missing `~/.ssh`-like directory with private permissions), as ssh's accept-new does.
 * Returns the file written.
 */
export async function recordHostKey(files: readonly string[], name: string, key: Buffer): Promise<string> {
  const failures: string[] = [];
  for (const file of files) {
    try {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      const separator = (await endsWithoutNewline(file)) ? '\n' : '';
      // One append of one whole line: concurrent connections never interleave inside a line.
      await appendFile(file, `${separator}${knownHostsLine(name, key)}\n`, { mode: 0o644 });
      return file;
    } catch (err) {
      failures.push(`${file}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no known_hosts file could be written (${failures.join('; ') || 'none configured'})`);
}

async function endsWithoutNewline(file: string): Promise<boolean> {
  try {
    const text = await readFile(file);
    return text.length > 0 && text[text.length - 1] !== 0x0a;
  } catch {
    return false;
  }
}
