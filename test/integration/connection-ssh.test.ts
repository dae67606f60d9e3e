import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SshConnection } from '../../src/connection/ssh.js';
import { UnreachableError } from '../../src/connection/types.js';
import { openTestConnection, settingsFor, startSshd, writeKnownHosts, type TestSshd } from '../helpers/sshd.js';

let sshd: TestSshd;
let conn: SshConnection;
/**
 * Prints the PID of the sshd process serving the connection: the parent of the persistent shell,
 * which is `$PPID` in the command's subshell.
 */
const SESSION_PID = 'echo $PPID';

test.before(async () => {
  ({ sshd, conn } = await openTestConnection());
});

test.after(async () => {
  await conn.close();
  await sshd.dispose();
});

test('exec returns rc, stdout and stderr apart', async () => {
  const result = await conn.exec(`printf 'out\\n'; printf 'err\\n' >&2; exit 3`);
  assert.equal(result, { rc: 3, stdout: 'out\n', stderr: 'err\n' });
});

test('a command killed by a signal ends with 128 + the signal number', async () => {
  const result = await conn.exec("sh -c 'kill -TERM $$'");
  assert.is(result.rc, 128 + 15);
});

test('stdin reaches the command and is closed after (a megabyte, byte for byte)', async () => {
  assert.is((await conn.exec('cat', { stdin: 'hello\nworld' })).stdout, 'hello\nworld');
  const big = Buffer.alloc(1024 * 1024, 'x');
  assert.is((await conn.exec('wc -c', { stdin: big })).stdout.trim(), String(big.length));
});

test('env and cwd are applied, with values quoted', async () => {
  const result = await conn.exec('pwd; printf "%s" "$GREETING"', { cwd: '/tmp', env: { GREETING: "it's $HOME; `x`" } });
  assert.is(result.stdout, "/tmp\nit's $HOME; `x`");
});

test('become root while connected as root runs the command directly (no sudo needed)', async () => {
  const result = await conn.exec('id -u; command -v sudo || echo no-sudo', { become: { user: 'root', method: 'sudo' } });
  assert.is(result.rc, 0);
  assert.is(result.stdout.split('\n')[0], '0');
});

test('put writes content, mode and owner atomically and keeps a backup', async () => {
  const path = join(sshd.dir, 'put-target.conf');
  await writeFile(path, 'old\n');
  const first = await conn.put(path, Buffer.from('new content\n'), { mode: '0640', owner: 'nobody', backup: true });
  assert.is(await readFile(path, 'utf8'), 'new content\n');
  const info = await stat(path);
  assert.is(info.mode & 0o777, 0o640);
  assert.is(info.uid, 65534);
  assert.ok(first.backupFile?.startsWith(`${path}.`), `backup path ${first.backupFile}`);
  assert.is(await readFile(first.backupFile!, 'utf8'), 'old\n');
  const leftovers = (await conn.exec(`ls -a ${sshd.dir} | grep -c '^\\.play-tmp' || true`)).stdout.trim();
  assert.is(leftovers, '0', 'no temp file is left behind');
});

test('put with a failing validate leaves the old file untouched', async () => {
  const path = join(sshd.dir, 'validated.conf');
  await writeFile(path, 'good\n');
  try {
    await conn.put(path, Buffer.from('bad\n'), { validate: 'grep -q good %s' });
    assert.unreachable('validate should have failed');
  } catch (err) {
    assert.match((err as Error).message, /writing .*validated\.conf failed \(rc=1\)/);
  }
  assert.is(await readFile(path, 'utf8'), 'good\n');
});

test('20 commands at once share one connection (queued under MaxSessions 10)', async () => {
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => conn.exec(`sleep 0.3; echo ${i}; ${SESSION_PID}`)),
  );
  assert.equal(results.map((r) => r.stdout.split('\n')[0]), Array.from({ length: 20 }, (_, i) => String(i)));
  const sessionProcesses = new Set(results.map((r) => r.stdout.split('\n')[1]));
  assert.is(sessionProcesses.size, 1, 'every command ran under the same sshd session process');
  assert.ok(Date.now() - started < 20 * 300, 'the commands overlapped');
});

test('exec latency on loopback (reported)', async () => {
  const runs = 20;
  const started = performance.now();
  for (let i = 0; i < runs; i++) await conn.exec('true');
  const perExec = (performance.now() - started) / runs;
  // The remote shell's own start-up (bash reading ~/.bashrc) is part of each exec.
  console.log(`\n  ssh exec latency on loopback: ${perExec.toFixed(1)} ms per sequential exec`);
  assert.ok(perExec < 1000);
});

test('a connection dropped mid-exec rejects the running commands; the next exec connects again', async () => {
  const running = conn.exec('sleep 30');
  // Killing the session's sshd process drops the TCP connection under every channel.
  const killer = conn.exec(`sleep 0.2; kill -9 $(${SESSION_PID})`);
  for (const pending of [running, killer]) {
    try {
      await pending;
      assert.unreachable('the exec should have been rejected');
    } catch (err) {
      assert.instance(err, UnreachableError);
      assert.match((err as Error).message, /SSH connection lost while running a command/);
    }
  }
  assert.is((await conn.exec('echo back')).stdout, 'back\n');
});

test('sshd stopped with its sessions (as by a reboot): the running command fails, reconnect waits for it to return', async () => {
  const running = conn.exec('sleep 30');
  await new Promise((r) => setTimeout(r, 200));
  await sshd.stop({ dropSessions: true });
  try {
    await running;
    assert.unreachable('the running command should have been rejected');
  } catch (err) {
    assert.instance(err, UnreachableError);
  }
  const restarting = new Promise((r) => setTimeout(r, 800)).then(() => sshd.restart());
  const started = Date.now();
  await conn.reconnect(Date.now() + 15_000);
  await restarting;
  assert.ok(Date.now() - started >= 700, 'it kept retrying until the server was back');
  assert.is((await conn.exec('echo again')).stdout, 'again\n');
});

test('reconnect gives up with UnreachableError once the deadline passes', async () => {
  await sshd.stop();
  const started = Date.now();
  try {
    await conn.reconnect(Date.now() + 1_500);
    assert.unreachable('reconnect should have failed');
  } catch (err) {
    assert.instance(err, UnreachableError);
    assert.match((err as Error).message, /could not reconnect before the deadline: .*connection refused/);
  }
  assert.ok(Date.now() - started < 4_000);
  await sshd.restart();
  await conn.reconnect(Date.now() + 10_000);
});

test('a server with MaxSessions below 10: extra channels are refused, then queued', async () => {
  const tight = await startSshd({ extraConfig: 'MaxSessions 3' });
  const knownHosts = await writeKnownHosts(join(tight.dir, 'known_hosts'), [tight.knownHostsLine]);
  const limited = new SshConnection(settingsFor(tight, knownHosts));
  try {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => limited.exec(`sleep 0.2; echo ${i}`)));
    assert.equal(results.map((r) => r.stdout.trim()), Array.from({ length: 12 }, (_, i) => String(i)));
    assert.ok(results.every((r) => r.rc === 0));
  } finally {
    await limited.close();
    await tight.dispose();
  }
});

test('closing without awaiting the server still says goodbye: sshd reads a disconnect from the user', async () => {
  const logged = await startSshd({ extraConfig: 'LogLevel INFO' });
  const knownHosts = await writeKnownHosts(join(logged.dir, 'known_hosts'), [logged.knownHostsLine]);
  const leaving = new SshConnection(settingsFor(logged, knownHosts));
  try {
    assert.is((await leaving.exec('echo hi')).stdout, 'hi\n');
    await leaving.close({ awaitServer: false });
    const port = /Accepted publickey for root from 127\.0\.0\.1 port (\d+)/.exec(logged.log())?.[1];
    assert.ok(port, logged.log());
    // sshd logs once it has read the disconnect: wait for the line, not for a time.
    const gone = `Disconnected from user root 127.0.0.1 port ${port}`;
    for (const deadline = Date.now() + 10_000; !logged.log().includes(gone) && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // Reason 11 is SSH_DISCONNECT_BY_APPLICATION: a goodbye, not a dropped or reset connection.
    assert.ok(logged.log().includes(`Received disconnect from 127.0.0.1 port ${port}:11:`), logged.log());
    assert.ok(logged.log().includes(gone), logged.log());
    assert.not.match(logged.log(), new RegExp(`Connection (reset|closed) by 127\\.0\\.0\\.1 port ${port}\\b`));
  } finally {
    await logged.dispose();
  }
});

test.run();
