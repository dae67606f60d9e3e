import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { AuthContext } from 'ssh2';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SshConnection } from '../../src/connection/ssh.js';
import { UnreachableError } from '../../src/connection/types.js';
import { generateKey, writeKnownHosts } from '../helpers/sshd.js';

// Password logins need a user with a password; the test machine's sshd users have none and must keep
// it that way, so this server is ssh2's own, speaking the real protocol on loopback.
type Mode = 'password' | 'keyboard-interactive';

let dir: string;
let hostKey: Buffer;
let knownHostsLine: (port: number) => string;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'play-pw-'));
  await generateKey(join(dir, 'host'));
  hostKey = await readFile(join(dir, 'host'));
  const [type, blob] = (await readFile(join(dir, 'host.pub'), 'utf8')).split(' ');
  knownHostsLine = (port) => `[127.0.0.1]:${port} ${type} ${blob}`;
});

test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A server that accepts only `mode` with password "s3cret" for user "ops" and answers every exec with "hello". */
async function passwordServer(mode: Mode): Promise<{ port: number; close(): void; offered: string[] }> {
  const offered: string[] = [];
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    client.on('authentication', (ctx: AuthContext) => {
      offered.push(ctx.method);
      if (ctx.method === 'password' && mode === 'password' && ctx.username === 'ops' && ctx.password === 's3cret') {
        return ctx.accept();
      }
      if (ctx.method === 'keyboard-interactive' && mode === 'keyboard-interactive') {
        return ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) =>
          answers[0] === 's3cret' ? ctx.accept() : ctx.reject(),
        );
      }
      ctx.reject([mode]);
    });
    client.on('session', (accept) => {
      accept().once('exec', (acceptExec) => {
        const channel = acceptExec();
        channel.write('hello\n');
        channel.exit(0);
        channel.end();
      });
    });
    client.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, close: () => server.close(), offered };
}

for (const mode of ['password', 'keyboard-interactive'] as const) {
  test(`ansible_password logs in with ${mode} authentication`, async () => {
    const server = await passwordServer(mode);
    const knownHosts = await writeKnownHosts(join(dir, `kh-${mode}`), [knownHostsLine(server.port)]);
    const conn = new SshConnection({
      host: 'pw',
      hostname: '127.0.0.1',
      port: server.port,
      user: 'ops',
      password: 's3cret',
      knownHostsFiles: [knownHosts],
      sshConfigFile: join(dir, 'none'),
      homeDir: dir,
      agentSocket: '',
    });
    try {
      assert.is((await conn.exec('anything')).stdout, 'hello\n');
      assert.ok(server.offered.includes(mode));
    } finally {
      await conn.close();
      server.close();
    }
  });
}

test('a wrong password is permission denied, and only the methods the server offers are tried', async () => {
  const server = await passwordServer('password');
  const knownHosts = await writeKnownHosts(join(dir, 'kh-wrong'), [knownHostsLine(server.port)]);
  const conn = new SshConnection({
    host: 'pw',
    hostname: '127.0.0.1',
    port: server.port,
    user: 'ops',
    password: 'wrong',
    knownHostsFiles: [knownHosts],
    sshConfigFile: join(dir, 'none'),
    homeDir: dir,
    agentSocket: '',
  });
  try {
    await conn.connect();
    assert.unreachable('login should fail');
  } catch (err) {
    assert.instance(err, UnreachableError);
    assert.is(
      (err as Error).message,
      `pw: ssh to ops@127.0.0.1 port ${server.port}: permission denied (the server accepts: password); tried password`,
    );
  } finally {
    await conn.close();
    server.close();
  }
});

test.run();
