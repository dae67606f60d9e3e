import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  blobKeyType,
  checkHostKey,
  entryMatches,
  fingerprint,
  knownHostName,
  knownKeyTypes,
  loadKnownHosts,
  parseKnownHosts,
  recordHostKey,
} from '../../src/connection/known-hosts.js';
import { generateKey } from '../helpers/sshd.js';

const run = promisify(execFile);

let dir: string;
/** Public key lines ("type base64 comment") and blobs of freshly generated keys. */
const keys: Record<'ed25519' | 'ed25519b' | 'ecdsa' | 'rsa', { line: string; blob: Buffer; path: string }> = {} as never;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'play-kh-'));
  const kinds = [
    ['ed25519', 'ed25519'],
    ['ed25519b', 'ed25519'],
    ['ecdsa', 'ecdsa'],
    ['rsa', 'rsa'],
  ] as const;
  await Promise.all(
    kinds.map(async ([name, type]) => {
      const path = join(dir, name);
      await generateKey(path, type);
      const line = (await readFile(`${path}.pub`, 'utf8')).trim();
      keys[name] = { line, blob: Buffer.from(line.split(' ')[1]!, 'base64'), path: `${path}.pub` };
    }),
  );
});

test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const keyPart = (line: string) => line.split(' ').slice(0, 2).join(' ');

test('knownHostName uses [host]:port only for ports other than 22', () => {
  assert.is(knownHostName('web1', 22), 'web1');
  assert.is(knownHostName('10.0.0.5', 2222), '[10.0.0.5]:2222');
});

test('plain entries: several comma-separated names, [host]:port, comments and junk skipped', () => {
  const text = [
    '# a comment',
    '',
    `web1,web1.example.com,10.0.0.5 ${keyPart(keys.ed25519.line)} comment here`,
    `[10.0.0.6]:2222 ${keyPart(keys.ecdsa.line)}`,
    'garbage-line-without-key',
    `web9 ssh-ed25519 not-base64-of-an-ed25519-key`,
  ].join('\n');
  const entries = parseKnownHosts(text, '/kh');
  assert.is(entries.length, 2);
  const [first, second] = entries;
  assert.is(first!.line, 3);
  assert.is(first!.keyType, 'ssh-ed25519');
  assert.ok(first!.key.equals(keys.ed25519.blob));
  for (const name of ['web1', 'WEB1.example.com', '10.0.0.5']) assert.ok(entryMatches(first!, name), name);
  assert.not.ok(entryMatches(first!, 'web2'));
  assert.not.ok(entryMatches(first!, '[web1]:2222'), 'a plain name never matches another port');
  assert.is(second!.line, 4);
  assert.ok(entryMatches(second!, knownHostName('10.0.0.6', 2222)));
  assert.not.ok(entryMatches(second!, '10.0.0.6'));
});

test('wildcards and negation in host fields', () => {
  const [entry] = parseKnownHosts(`*.lab.example,!bad.lab.example ${keyPart(keys.rsa.line)}`, '/kh');
  assert.ok(entryMatches(entry!, 'node3.lab.example'));
  assert.not.ok(entryMatches(entry!, 'bad.lab.example'));
  assert.not.ok(entryMatches(entry!, 'lab.example'));
});

test('hashed entries written by ssh-keygen -H match the names they hash', async () => {
  const file = join(dir, 'hashed_known_hosts');
  await writeFile(file, `host.example.com ${keyPart(keys.ed25519.line)}\n[10.1.2.3]:2222 ${keyPart(keys.rsa.line)}\n`);
  await run('ssh-keygen', ['-H', '-f', file]);
  const text = await readFile(file, 'utf8');
  assert.match(text, /^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /m);
  assert.not.match(text, /host\.example\.com/);
  const entries = parseKnownHosts(text, file);
  assert.is(entries.length, 2);
  assert.equal(entries.map((e) => e.hosts.kind), ['hashed', 'hashed']);
  assert.ok(entryMatches(entries[0]!, 'host.example.com'));
  assert.not.ok(entryMatches(entries[0]!, 'host.example.org'));
  assert.ok(entryMatches(entries[1]!, '[10.1.2.3]:2222'));
  assert.not.ok(entryMatches(entries[1]!, '10.1.2.3'));
});

test('fingerprints read exactly as ssh-keygen -lf prints them', async () => {
  for (const key of Object.values(keys)) {
    const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', key.path]);
    const expected = stdout.split(' ')[1];
    assert.is(fingerprint(key.blob), expected);
    assert.not.match(fingerprint(key.blob), /=$/);
  }
  assert.is(blobKeyType(keys.ecdsa.blob), 'ecdsa-sha2-nistp256');
  assert.is(blobKeyType(keys.rsa.blob), 'ssh-rsa');
});

test('checkHostKey: known, changed (same type, other key), unknown (type not recorded), revoked', () => {
  const entries = parseKnownHosts(
    [
      `web1 ${keyPart(keys.ed25519.line)}`,
      `web2 ${keyPart(keys.ed25519.line)}`,
      `@revoked * ${keyPart(keys.ed25519b.line)}`,
    ].join('\n'),
    '/etc/kh',
  );
  const known = checkHostKey(entries, 'web1', keys.ed25519.blob);
  assert.is(known.status, 'known');

  const changed = checkHostKey(entries, 'web1', keys.ed25519b.blob);
  assert.is(changed.status, 'revoked', 'a revoked key is refused before anything else');

  const otherKey = parseKnownHosts(`web1 ${keyPart(keys.ed25519b.line)}`, '/etc/kh2');
  const reallyChanged = checkHostKey(otherKey, 'web1', keys.ed25519.blob);
  assert.is(reallyChanged.status, 'changed');
  if (reallyChanged.status === 'changed') assert.equal([reallyChanged.entry.file, reallyChanged.entry.line], ['/etc/kh2', 1]);

  assert.is(checkHostKey(entries, 'web1', keys.rsa.blob).status, 'unknown');
  assert.is(checkHostKey(entries, 'web3', keys.ed25519.blob).status, 'unknown');
  assert.equal(knownKeyTypes(entries, 'web1'), ['ssh-ed25519']);
  assert.equal(knownKeyTypes(entries, 'web3'), []);
});

test('recordHostKey appends to the first writable file, creating its directory, and the key is then known', async () => {
  const unwritable = join(dir, 'a-regular-file');
  await writeFile(unwritable, '');
  const blocked = join(unwritable, 'known_hosts'); // its "directory" is a file: cannot be created
  const target = join(dir, 'new-dir', 'known_hosts');
  const written = await recordHostKey([blocked, target], '[127.0.0.1]:2200', keys.ed25519.blob);
  assert.is(written, target);
  assert.is(await readFile(target, 'utf8'), `[127.0.0.1]:2200 ${keyPart(keys.ed25519.line)}\n`);

  const noNewline = join(dir, 'no_newline');
  await writeFile(noNewline, `web1 ${keyPart(keys.rsa.line)}`);
  await recordHostKey([noNewline], 'web2', keys.ecdsa.blob);
  const entries = await loadKnownHosts([noNewline, join(dir, 'missing')]);
  assert.is(entries.length, 2);
  assert.is(checkHostKey(entries, 'web2', keys.ecdsa.blob).status, 'known');
  assert.is(checkHostKey(entries, 'web1', keys.rsa.blob).status, 'known');
});

test.run();
