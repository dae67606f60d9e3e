import { spawn, type ChildProcess, execFile } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SshConnection, type SshSettings } from '../../src/connection/ssh.js';
import { UnreachableError } from '../../src/connection/types.js';
import { freePort, startSshd, writeKnownHosts, type TestSshd } from '../helpers/sshd.js';

const run = promisify(execFile);

let jump: TestSshd;
let target: TestSshd;
/** A fake home directory with .ssh/config and keys, so the real ~/.ssh is never touched. */
let home: string;
let knownHosts: string;

test.before(async () => {
  // DEBUG1 makes the jump sshd log each forwarded connection, which proves the route taken.
  [jump, target] = await Promise.all([startSshd({ extraConfig: 'LogLevel DEBUG1' }), startSshd()]);
  home = join(target.dir, 'home');
  await mkdir(join(home, '.ssh'), { recursive: true });
  await mkdir(join(home, 'keys'));
  await copyFile(target.clientKeyPath, join(home, 'keys', 'gpu-target'));
  await copyFile(jump.clientKeyPath, join(home, 'keys', 'bastion-root'));
  knownHosts = await writeKnownHosts(join(home, 'known_hosts'), [jump.knownHostsLine, target.knownHostsLine]);
});

test.after(async () => {
  await Promise.all([jump.dispose(), target.dispose()]);
});

function settings(overrides: Partial<SshSettings>): SshSettings {
  return {
    host: 'gpu1',
    hostname: 'gpu-target',
    knownHostsFiles: [knownHosts],
    sshConfigFile: join(home, '.ssh', 'config'),
    homeDir: home,
    agentSocket: '',
    ...overrides,
  };
}

async function writeConfig(text: string): Promise<void> {
  await writeFile(join(home, '.ssh', 'config'), text);
}

test('~/.ssh/config: HostName, Port, User, IdentityFile with tokens, and ProxyJump through a bastion', async () => {
  await writeConfig(`
Host gpu-*
  HostName 127.0.0.1
  Port ${target.port}
  User root
  IdentityFile ~/keys/%n
  ProxyJump bastion

Host bastion
  HostName 127.0.0.1
  Port ${jump.port}
  IdentityFile %d/keys/bastion-%r
  User root
`);
  const conn = new SshConnection(settings({}));
  try {
    const result = await conn.exec('echo "$USER via $SSH_CONNECTION"');
    assert.match(result.stdout, new RegExp(`^root via 127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${target.port}\\n$`));
    assert.match(jump.log(), new RegExp(`target 127\\.0\\.0\\.1 port ${target.port}`));
  } finally {
    await conn.close();
  }
});

test('a ProxyJump from the inventory (ansible_ssh_common_args -J) overrides the config', async () => {
  await writeConfig(`
Host 127.0.0.1
  ProxyJump none
`);
  const forwarded = () => jump.log().split(`target 127.0.0.1 port ${target.port}`).length - 1;
  const before = forwarded();
  const conn = new SshConnection(
    settings({
      hostname: '127.0.0.1',
      port: target.port,
      user: 'root',
      privateKeyFiles: [target.clientKeyPath, jump.clientKeyPath],
      proxyJump: `root@127.0.0.1:${jump.port}`,
    }),
  );
  try {
    assert.is((await conn.exec('echo jumped')).stdout, 'jumped\n');
    assert.is(forwarded(), before + 1);
  } finally {
    await conn.close();
  }
});

test('ProxyCommand from ~/.ssh/config: OpenSSH\'s own ssh -W %h:%p carries the connection', async () => {
  const sshThroughJump =
    `ssh -W %h:%p -q -o BatchMode=yes -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes ` +
    `-i ${jump.clientKeyPath} -p ${jump.port} root@127.0.0.1`;
  await writeConfig(`
Host gpu-target
  HostName 127.0.0.1
  Port ${target.port}
  User root
  IdentityFile ~/keys/gpu-target
  ProxyCommand ${sshThroughJump}
`);
  const forwarded = () => jump.log().split(`target 127.0.0.1 port ${target.port}`).length - 1;
  const before = forwarded();
  const conn = new SshConnection(settings({}));
  try {
    assert.is((await conn.exec('echo proxied')).stdout, 'proxied\n');
    assert.is(forwarded(), before + 1);
  } finally {
    await conn.close();
  }
});

test('a failing ProxyCommand (from the inventory) is reported with what it wrote to stderr', async () => {
  await writeConfig('');
  const conn = new SshConnection(
    settings({
      hostname: '127.0.0.1',
      port: target.port,
      user: 'root',
      privateKeyFiles: [target.clientKeyPath],
      proxyCommand: `sh -c 'echo "bastion: no route to %h:%p" >&2; exit 255'`,
    }),
  );
  try {
    await conn.connect();
    assert.unreachable('connect should fail');
  } catch (err) {
    assert.instance(err, UnreachableError);
    assert.is(
      (err as Error).message,
      `gpu1: ssh to root@127.0.0.1 port ${target.port} (ProxyCommand): the ProxyCommand exited with code 255: ` +
        `bastion: no route to 127.0.0.1:${target.port}`,
    );
  } finally {
    await conn.close();
  }
});

test('inventory values win over the config (explicit port, user and key)', async () => {
  await writeConfig(`
Host gpu-target
  HostName 127.0.0.1
  Port 1
  User nobody-here
`);
  const conn = new SshConnection(settings({ port: target.port, user: 'root', privateKeyFiles: [target.clientKeyPath] }));
  try {
    assert.is((await conn.exec('id -un')).stdout, 'root\n');
  } finally {
    await conn.close();
  }
});

test('an unreachable jump host is reported as such', async () => {
  const closedPort = await freePort();
  await writeConfig(`
Host gpu-target
  HostName 127.0.0.1
  Port ${target.port}
  User root
  IdentityFile ~/keys/gpu-target
  ProxyJump root@127.0.0.1:${closedPort}
`);
  // The inventory's key is offered to jump hosts too (after their own IdentityFiles).
  const conn = new SshConnection(settings({ privateKeyFiles: [jump.clientKeyPath] }));
  try {
    await conn.connect();
    assert.unreachable('connect should fail');
  } catch (err) {
    assert.instance(err, UnreachableError);
    assert.is(
      (err as Error).message,
      `gpu1: ssh to jump host root@127.0.0.1 port ${closedPort} (ProxyJump): connection refused`,
    );
  } finally {
    await conn.close();
  }
});

test('with no key named anywhere, the default identity ~/.ssh/id_ed25519 is used', async () => {
  await writeConfig('');
  await copyFile(target.clientKeyPath, join(home, '.ssh', 'id_ed25519'));
  const conn = new SshConnection(settings({ hostname: '127.0.0.1', port: target.port, user: 'root' }));
  try {
    assert.is((await conn.exec('echo default-key')).stdout, 'default-key\n');
  } finally {
    await conn.close();
    await run('rm', ['-f', join(home, '.ssh', 'id_ed25519')]);
  }
});

test('keys held by ssh-agent are used (SSH_AUTH_SOCK)', async () => {
  await writeConfig('');
  const socket = join(target.dir, 'agent.sock');
  const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  try {
    await waitFor(async () => run('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: socket } }).then(
      () => true,
      (err: { code?: number }) => err.code === 1, // 1: agent up, no identities yet
    ));
    await run('ssh-add', [target.clientKeyPath], { env: { SSH_AUTH_SOCK: socket } });
    const conn = new SshConnection(settings({ hostname: '127.0.0.1', port: target.port, user: 'root', agentSocket: socket }));
    try {
      assert.is((await conn.exec('echo agent')).stdout, 'agent\n');
    } finally {
      await conn.close();
    }
  } finally {
    agent.kill('SIGTERM');
  }
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for ssh-agent');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test.run();
