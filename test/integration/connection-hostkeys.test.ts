import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HostKeyError, SshConnection, type SshSettings } from '../../src/connection/ssh.js';
import { UnreachableError } from '../../src/connection/types.js';
import { freePort, generateKey, settingsFor, startSshd, writeKnownHosts, type TestSshd } from '../helpers/sshd.js';

const run = promisify(execFile);

let sshd: TestSshd;
/** SHA256 fingerprint of the server's host key, as ssh-keygen prints it. */
let hostFingerprint: string;
/** A different ed25519 public key, "ssh-ed25519 AAAA…". */
let otherKey: string;

test.before(async () => {
  sshd = await startSshd();
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(sshd.dir, 'host_ed25519.pub')]);
  hostFingerprint = stdout.split(' ')[1]!;
  await generateKey(join(sshd.dir, 'other'));
  otherKey = (await readFile(join(sshd.dir, 'other.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
});

test.after(async () => {
  await sshd.dispose();
});

/** Connects, expecting a refusal; returns the error. */
async function refusal(settings: SshSettings): Promise<UnreachableError> {
  const conn = new SshConnection(settings);
  try {
    await conn.connect();
  } catch (err) {
    assert.instance(err, UnreachableError);
    return err as UnreachableError;
  } finally {
    await conn.close();
  }
  throw new Error('connect() should have been refused');
}

test('an unknown host key is refused with host, key type, SHA256 fingerprint and how to accept it', async () => {
  const knownHosts = await writeKnownHosts(join(sshd.dir, 'kh-empty'), []);
  const err = await refusal(settingsFor(sshd, knownHosts, { host: 'gpu1' }));
  assert.instance(err, HostKeyError);
  assert.is(err.host, 'gpu1');
  assert.ok(err.message.startsWith('gpu1: host key verification failed: the ssh-ed25519 key '), err.message);
  assert.ok(err.message.includes(hostFingerprint), err.message);
  assert.ok(err.message.includes(`root@127.0.0.1 port ${sshd.port}`), err.message);
  assert.ok(err.message.includes('--accept-new-host-keys'), err.message);
  assert.is(await readFile(knownHosts, 'utf8'), '', 'nothing was recorded');
});

test('with acceptNewHostKeys the key is recorded in the first writable file, then trusted', async () => {
  const knownHosts = join(sshd.dir, 'kh-new', 'known_hosts');
  const conn = new SshConnection(settingsFor(sshd, knownHosts, { acceptNewHostKeys: true }));
  await conn.connect();
  assert.is((await conn.exec('echo ok')).stdout, 'ok\n');
  await conn.close();
  assert.is(await readFile(knownHosts, 'utf8'), `${sshd.knownHostsLine}\n`);

  const strict = new SshConnection(settingsFor(sshd, knownHosts));
  await strict.connect();
  await strict.close();
});

test('a changed key is refused even with acceptNewHostKeys, naming the known_hosts file and line', async () => {
  const knownHosts = await writeKnownHosts(join(sshd.dir, 'kh-changed'), [
    '# first line is a comment',
    `[127.0.0.1]:${sshd.port} ${otherKey}`,
  ]);
  const before = await readFile(knownHosts, 'utf8');
  const err = await refusal(settingsFor(sshd, knownHosts, { acceptNewHostKeys: true }));
  assert.instance(err, HostKeyError);
  assert.match(err.message, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
  assert.ok(err.message.includes(`${knownHosts}:2`), err.message);
  assert.ok(err.message.includes(hostFingerprint), err.message);
  assert.ok(err.message.includes(`ssh-keygen -R '[127.0.0.1]:${sshd.port}' -f ${knownHosts}`), err.message);
  assert.is(await readFile(knownHosts, 'utf8'), before, 'the file is left alone');
});

test('reconnect stops at once when the host key no longer matches (no retrying until the deadline)', async () => {
  const knownHosts = await writeKnownHosts(join(sshd.dir, 'kh-reconnect'), [sshd.knownHostsLine]);
  const conn = new SshConnection(settingsFor(sshd, knownHosts));
  await conn.connect();
  await writeKnownHosts(knownHosts, [`[127.0.0.1]:${sshd.port} ${otherKey}`]);
  const started = Date.now();
  try {
    await conn.reconnect(Date.now() + 30_000);
    assert.unreachable('reconnect should refuse the changed key');
  } catch (err) {
    assert.instance(err, HostKeyError);
    assert.match((err as Error).message, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
  } finally {
    await conn.close();
  }
  assert.ok(Date.now() - started < 2_000);
});

test('a key marked @revoked is refused', async () => {
  const [type, blob] = sshd.hostKeyPub.split(' ');
  const knownHosts = await writeKnownHosts(join(sshd.dir, 'kh-revoked'), [sshd.knownHostsLine, `@revoked * ${type} ${blob}`]);
  const err = await refusal(settingsFor(sshd, knownHosts, { acceptNewHostKeys: true }));
  assert.instance(err, HostKeyError);
  assert.ok(err.message.includes(`marked @revoked in ${knownHosts}:2`), err.message);
});

test('a hashed known_hosts entry (ssh-keygen -H) is trusted', async () => {
  const knownHosts = await writeKnownHosts(join(sshd.dir, 'kh-hashed'), [sshd.knownHostsLine]);
  await run('ssh-keygen', ['-H', '-f', knownHosts]);
  assert.match(await readFile(knownHosts, 'utf8'), /^\|1\|/);
  const conn = new SshConnection(settingsFor(sshd, knownHosts));
  await conn.connect();
  assert.is((await conn.exec('echo hashed')).stdout, 'hashed\n');
  await conn.close();
});

test('a wrong key is refused: permission denied, naming what was tried and what the server accepts', async () => {
  const knownHosts = await writeKnownHosts(join(sshd.dir, 'kh-auth'), [sshd.knownHostsLine]);
  const wrongKey = join(sshd.dir, 'other');
  const missingKey = join(sshd.dir, 'no-such-key');
  const err = await refusal(settingsFor(sshd, knownHosts, { host: 'gpu2', privateKeyFiles: [wrongKey, missingKey] }));
  assert.not.instance(err, HostKeyError);
  assert.is(
    err.message,
    `gpu2: ssh to root@127.0.0.1 port ${sshd.port}: permission denied (the server accepts: publickey); ` +
      `tried key ${wrongKey} (ssh-ed25519); could not use ${missingKey} (ENOENT)`,
  );
});

test('an encrypted key without an agent is explained', async () => {
  const knownHosts = await writeKnownHosts(join(sshd.dir, 'kh-enc'), [sshd.knownHostsLine]);
  const encrypted = join(sshd.dir, 'encrypted');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret-pass', '-f', encrypted]);
  const err = await refusal(settingsFor(sshd, knownHosts, { privateKeyFiles: [encrypted] }));
  assert.match(err.message, /no credentials for .*Unusable keys: .*encrypted \(protected by a passphrase: add it to ssh-agent\)/);
});

test('nothing listening: UnreachableError at once, saying connection refused', async () => {
  const port = await freePort();
  const knownHosts = await writeKnownHosts(join(sshd.dir, 'kh-down'), []);
  const started = Date.now();
  const err = await refusal(settingsFor(sshd, knownHosts, { host: 'down1', port }));
  assert.is(err.message, `down1: ssh to root@127.0.0.1 port ${port}: connection refused`);
  assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
});

test('a server that never answers: UnreachableError after the connect timeout', async () => {
  // A listener that accepts TCP but never speaks SSH.
  const silent = createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as { port: number }).port;
  const knownHosts = await writeKnownHosts(join(sshd.dir, 'kh-silent'), []);
  const started = Date.now();
  try {
    const err = await refusal(settingsFor(sshd, knownHosts, { host: 'mute', port, connectTimeoutMs: 600 }));
    assert.is(err.message, `mute: ssh to root@127.0.0.1 port ${port}: timed out after 0.6 s`);
    assert.ok(Date.now() - started < 2_000);
  } finally {
    silent.close();
  }
});

test('unresolvable host name', async () => {
  const knownHosts = await writeKnownHosts(join(sshd.dir, 'kh-dns'), []);
  const err = await refusal(settingsFor(sshd, knownHosts, { hostname: 'no-such-host.invalid', connectTimeoutMs: 3_000 }));
  assert.match(err.message, /could not resolve host name 'no-such-host\.invalid'/);
});

test.run();
