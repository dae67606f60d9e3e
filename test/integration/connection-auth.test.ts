/**
 * Public key authentication in one round trip (src/connection/signed-pubkey-auth.ts), checked in the
 * log of a real sshd at DEBUG2, which says for each public key request whether it was a question
 * ("querying") or a signed attempt ("attempting").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SshConnection } from '../../src/connection/ssh.js';
import type { SshSettings } from '../../src/connection/ssh.js';
import { generateKey, settingsFor, startSshd, writeKnownHosts, type TestSshd } from '../helpers/sshd.js';

const run = promisify(execFile);
let sshd: TestSshd;
let knownHosts: string;

test.before(async () => {
  sshd = await startSshd({ extraConfig: 'LogLevel DEBUG2' });
  knownHosts = await writeKnownHosts(join(sshd.dir, 'known_hosts'), [sshd.knownHostsLine]);
});

test.after(async () => {
  await sshd.dispose();
});

/** Connects with `overrides`, runs one command, and returns what sshd logged about public keys meanwhile. */
async function publicKeyRequests(overrides: Partial<SshSettings>): Promise<string[]> {
  const before = sshd.log().length;
  const conn = new SshConnection(settingsFor(sshd, knownHosts, overrides));
  try {
    assert.is((await conn.exec('echo in')).stdout, 'in\n');
  } finally {
    await conn.close();
  }
  return sshd
    .log()
    .slice(before)
    .split('\n')
    .filter((line) => /(querying|attempting) public key/.test(line));
}

async function authorize(keyPath: string): Promise<void> {
  await appendFile(join(sshd.dir, 'authorized_keys'), await readFile(`${keyPath}.pub`));
}

/** Connects with a new authorized key of `type` (or the sshd's own key) and expects one signed request. */
async function expectOneSignedRequest(type: 'ed25519' | 'ecdsa' | 'rsa' | undefined, algorithm: RegExp): Promise<void> {
  let overrides: Partial<SshSettings> = {};
  if (type) {
    const key = join(sshd.dir, `client_${type}_${Date.now()}`);
    await generateKey(key, type);
    await authorize(key);
    overrides = { privateKeyFiles: [key] };
  }
  const requests = await publicKeyRequests(overrides);
  assert.is(requests.length, 1, requests.join('\n'));
  assert.match(requests[0]!, new RegExp(`attempting public key ${algorithm.source} `), requests[0]);
}

test('a key file is sent signed at once: one request, no question first', async () => {
  await expectOneSignedRequest(undefined, /ssh-ed25519/);
});

test('an RSA key signs with rsa-sha2-*, at once', async () => {
  await expectOneSignedRequest('rsa', /rsa-sha2-(256|512)/);
});

test('an ECDSA key signs at once too (its DER signature converted as ssh2 does)', async () => {
  await expectOneSignedRequest('ecdsa', /ecdsa-sha2-nistp256/);
});

test('a key the server refuses is followed by the next key, which gets in', async () => {
  const stranger = join(sshd.dir, 'stranger_ed25519');
  await generateKey(stranger);
  const requests = await publicKeyRequests({ privateKeyFiles: [stranger, sshd.clientKeyPath] });
  assert.is(requests.length, 2, requests.join('\n'));
  assert.ok(requests.every((line) => line.includes('attempting public key')), requests.join('\n'));
});

test('keys held by ssh-agent are asked about first (signing is a request to the agent)', async () => {
  const socket = join(sshd.dir, 'agent.sock');
  const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  try {
    for (let tries = 0; ; tries++) {
      const listed = await run('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: socket } }).then(
        () => true,
        (err: { code?: number }) => err.code === 1, // 1: the agent is up, without identities yet
      );
      if (listed) break;
      if (tries > 100) throw new Error('ssh-agent did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await run('ssh-add', [sshd.clientKeyPath], { env: { SSH_AUTH_SOCK: socket } });
    const requests = await publicKeyRequests({ privateKeyFiles: [], agentSocket: socket });
    assert.equal(
      requests.map((line) => /(querying|attempting) public key/.exec(line)![1]),
      ['querying', 'attempting'],
      requests.join('\n'),
    );
  } finally {
    agent.kill();
  }
});

test.run();
