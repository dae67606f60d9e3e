/** The persistent remote shell behind SshConnection.exec, against a real sshd: framing, stdin, concurrency, failures. */
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SshConnection } from '../../src/connection/ssh.js';
import { UnreachableError } from '../../src/connection/types.js';
import { gatherFacts } from '../../src/facts/gather.js';
import { openTestConnection, settingsFor, startSshd, writeKnownHosts, type TestSshd } from '../helpers/sshd.js';

let sshd: TestSshd;
let conn: SshConnection;

test.before(async () => {
  ({ sshd, conn } = await openTestConnection());
});

test.after(async () => {
  await conn.close();
  await sshd.dispose();
});

test('consecutive commands run in the same persistent shell, each in a process of its own', async () => {
  // /proc/self/stat read by the builtin `read`: the command's own pid and its parent's.
  const pids = 'read -r pid _ _ ppid _ </proc/self/stat; echo "$ppid $pid $$"';
  const a = await conn.exec(pids);
  const b = await conn.exec(pids);
  const [shellA, ownA, dollarA] = a.stdout.trim().split(' ');
  const [shellB, ownB] = b.stdout.trim().split(' ');
  assert.is(shellA, shellB, 'one shell served both');
  assert.is(dollarA, shellA, '$$ is the persistent shell, as in any subshell');
  assert.is.not(ownA, ownB, 'each command had its own process');
  assert.is.not(ownA, shellA);
});

test("a command's variables, positional parameters, options and traps stay its own; the loop's are not visible", async () => {
  const first = await conn.exec('echo "[$#][${h-}${b-}${n-}${m-}${l-}${c-}${r-}]"; x=1; set -e; set -- a b; trap "echo bye" EXIT');
  assert.equal(first, { rc: 0, stdout: '[0][]\nbye\n', stderr: '' });
  assert.equal(await conn.exec('echo "[${x-unset}][$#]"; false; echo "not stopped by set -e"'), {
    rc: 0,
    stdout: '[unset][0]\nnot stopped by set -e\n',
    stderr: '',
  });
});

test('output that imitates the framing, or lacks a final newline, comes back as printed', async () => {
  const fake = 'play-00000000000000000000000000000000 0';
  const result = await conn.exec(`printf '%s\\n' '${fake}'; printf '%s' '${fake}' >&2; printf 'tail'`);
  assert.equal(result, { rc: 0, stdout: `${fake}\ntail`, stderr: fake });
});

test('binary stdout comes back byte for byte (as the utf8 decoding of those bytes)', async () => {
  const result = await conn.exec(`printf '\\000\\001\\377abc'`);
  assert.is(result.stdout, Buffer.from([0, 1, 0xff, 0x61, 0x62, 0x63]).toString('utf8'));
});

test('huge output (8 MiB) arrives whole, and the next command is framed right after it', async () => {
  const result = await conn.exec('head -c 8388608 /dev/zero | tr "\\0" x');
  assert.is(result.stdout.length, 8 * 1024 * 1024);
  assert.ok(/^x+$/.test(result.stdout));
  assert.equal(await conn.exec('echo next'), { rc: 0, stdout: 'next\n', stderr: '' });
});

test('a command reading stdin gets exactly its payload; one reading nothing leaves the shell in step', async () => {
  const payload = Buffer.concat([Buffer.from('line one\nno newline'), Buffer.from([0, 255, 10, 13])]);
  const read = await conn.exec('cat', { stdin: payload });
  assert.is(read.stdout, payload.toString('utf8'));
  const hash = await conn.exec('sha256sum', { stdin: payload });
  assert.is(hash.stdout.split(' ')[0], createHash('sha256').update(payload).digest('hex'));
  // Reads one byte of a megabyte: the rest must not be taken for the next request.
  const partial = await conn.exec('head -c 1', { stdin: Buffer.alloc(1024 * 1024, 'y') });
  assert.is(partial.stdout, 'y');
  assert.is((await conn.exec('echo still-in-step')).stdout, 'still-in-step\n');
  // Without a payload, a command reading stdin sees end of file at once (not the shell's requests).
  assert.equal(await conn.exec('cat; echo done'), { rc: 0, stdout: 'done\n', stderr: '' });
});

test('small text stdin (a here-document on the host) reaches the whole command line byte for byte', async () => {
  const text = "plain\n  spaces and \\backslashes\\  \n$(touch /tmp/play-never) `x` 'q' \"d\"\nEOF\n\r\n\u00e9\n";
  assert.equal(await conn.exec('cat', { stdin: text }), { rc: 0, stdout: text, stderr: '' });
  // The whole line reads it, not only its last command; the rest of the shell stays in step.
  assert.equal(await conn.exec('read -r first; cat | wc -l; exit 3', { stdin: 'a\nb\nc\n' }), { rc: 3, stdout: '2\n', stderr: '' });
  assert.equal(await conn.exec('head -n 1', { stdin: 'one\ntwo\n' }), { rc: 0, stdout: 'one\n', stderr: '' });
  assert.equal(await conn.exec('cat <<X\ninner\nX\ncat', { stdin: 'outer\n' }), { rc: 0, stdout: 'inner\nouter\n', stderr: '' });
  assert.is((await conn.exec('test -e /tmp/play-never && echo ran || echo not run')).stdout, 'not run\n');
});

test('long command text (read by one head on the host) runs whole, with raw or here-document stdin, and keeps the shell in step', async () => {
  // Well over the size the loop reads line by line, with quotes, a here-document and trailing blank lines.
  const body = Array.from({ length: 40 }, (_, i) => `v${i}='value ${i} "quoted" \\ $HOME'`).join('\n');
  const script = `${body}\ncat <<'END'\nheredoc $v0\nEND\nprintf '%s|' "$v0" "$v39"\n\n\n`;
  assert.ok(script.length > 1024);
  assert.equal(await conn.exec(script), { rc: 0, stdout: 'heredoc $v0\nvalue 0 "quoted" \\ $HOME|value 39 "quoted" \\ $HOME|', stderr: '' });
  const raw = Buffer.from([0, 1, 2, 10, 255]);
  assert.is((await conn.exec(`${body}\nod -An -tx1`, { stdin: raw })).stdout.trim(), '00 01 02 0a ff');
  assert.equal(await conn.exec(`${body}\ncat; exit 5`, { stdin: 'small text\n' }), { rc: 5, stdout: 'small text\n', stderr: '' });
  assert.equal(await conn.exec('echo still-in-step'), { rc: 0, stdout: 'still-in-step\n', stderr: '' });
});

test('a command starting with a dash or spanning lines, exit codes and signals', async () => {
  assert.is((await conn.exec('-x')).rc, 127);
  const multi = await conn.exec("printf '%s\\n' one\nprintf '%s\\n' \"two  words\"\nexit 4");
  assert.equal(multi, { rc: 4, stdout: 'one\ntwo  words\n', stderr: '' });
  assert.is((await conn.exec("sh -c 'kill -KILL $$'")).rc, 128 + 9);
  assert.is((await conn.exec('if then')).rc, 2, 'a syntax error fails the command, not the shell');
  assert.is((await conn.exec('echo after')).stdout, 'after\n');
});

test('concurrent commands get shells of their own and overlap', async () => {
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => conn.exec(`sleep 0.5; echo ${i}`)));
  assert.equal(results.map((r) => r.stdout), ['0\n', '1\n', '2\n', '3\n', '4\n', '5\n']);
  assert.ok(Date.now() - started < 6 * 500, 'they ran side by side');
});

test('become via sudo -n: root needs no sudo; another user goes through sudo', async () => {
  const root = await conn.exec('id -u', { become: { user: 'root', method: 'sudo' } });
  assert.equal(root, { rc: 0, stdout: '0\n', stderr: '' });
  const hasSudo = (await conn.exec('command -v sudo')).rc === 0;
  if (!hasSudo) return;
  const nobody = await conn.exec('id -un', { become: { user: 'nobody', method: 'sudo' } });
  assert.equal(nobody, { rc: 0, stdout: 'nobody\n', stderr: '' });
});

test('the shell killed under a running command rejects it with UnreachableError; the next command works', async () => {
  try {
    await conn.exec('kill -9 $$; sleep 5');
    assert.unreachable('the command should have been rejected');
  } catch (err) {
    assert.instance(err, UnreachableError);
    assert.match((err as Error).message, /the remote shell exited while running a command/);
  }
  assert.is((await conn.exec('echo fresh shell')).stdout, 'fresh shell\n');
});

test('env and cwd apply to one command only, not to the shell', async () => {
  const first = await conn.exec('pwd; echo "$ONLY_HERE"', { cwd: '/tmp', env: { ONLY_HERE: 'yes' } });
  assert.is(first.stdout, '/tmp\nyes\n');
  const second = await conn.exec('cd /; pwd; echo "${ONLY_HERE:-unset}"');
  const third = await conn.exec('pwd');
  assert.is(second.stdout, '/\nunset\n');
  assert.is.not(third.stdout, '/\n', "a command's cd does not move the shell");
});

test('the first command runs in the shell opened by connect(), started before the command was sent', async () => {
  const fresh = new SshConnection(settingsFor(sshd, join(sshd.dir, 'known_hosts')));
  try {
    await fresh.connect();
    const idleMs = 600;
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    // The age of the loop shell ($$ in the command's subshell), from /proc: uptime minus its start time.
    const result = await fresh.exec(
      `read up _ </proc/uptime; start=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f20); echo "$up $start $(getconf CLK_TCK)"`,
    );
    const [uptime, startTicks, ticksPerSecond] = result.stdout.trim().split(' ').map(Number);
    const shellAgeMs = (uptime! - startTicks! / ticksPerSecond!) * 1000;
    assert.ok(shellAgeMs >= idleMs - 100, `the shell was ${shellAgeMs.toFixed(0)} ms old: opened on demand, not by connect()`);
  } finally {
    await fresh.close();
  }
});

test('a private key file replaced between connections is read again, not taken from the run\'s cache', async () => {
  const keyPath = join(sshd.dir, 'replaceable_key');
  await copyFile(sshd.clientKeyPath, keyPath);
  const settings = settingsFor(sshd, join(sshd.dir, 'known_hosts'), { privateKeyFiles: [keyPath] });
  const first = new SshConnection(settings);
  await first.connect();
  assert.is((await first.exec('echo in')).stdout, 'in\n');
  await first.close();
  await writeFile(keyPath, 'not a key any more\n');
  const second = new SshConnection(settings);
  try {
    await second.connect();
    assert.unreachable('connected with a key file that no longer holds a key');
  } catch (err) {
    assert.instance(err, UnreachableError);
    assert.match((err as Error).message, `${keyPath} (`);
  } finally {
    await second.close();
  }
});

test('known_hosts: a wildcard line among hundreds of other hosts\' lines is found; a changed key there is still refused', async () => {
  const [, keyType, keyBase64] = sshd.knownHostsLine.split(' ');
  const others = Array.from({ length: 300 }, (_, i) => `10.9.${i >> 8}.${i & 255} ${keyType} ${keyBase64}`);
  const wildcard = `[127.0.0.*]:${sshd.port} ${keyType} ${keyBase64}`;
  const trusting = await writeKnownHosts(join(sshd.dir, 'known_hosts_many'), [...others, wildcard]);
  const viaWildcard = new SshConnection(settingsFor(sshd, trusting));
  try {
    await viaWildcard.connect();
    assert.is((await viaWildcard.exec('echo ok')).stdout, 'ok\n');
  } finally {
    await viaWildcard.close();
  }
  const otherKey = Buffer.from(keyBase64!, 'base64');
  otherKey[otherKey.length - 1]! ^= 1;
  const changedLine = `[${sshd.address}]:${sshd.port} ${keyType} ${otherKey.toString('base64')}`;
  const refusing = await writeKnownHosts(join(sshd.dir, 'known_hosts_changed'), [...others, changedLine]);
  const changed = new SshConnection(settingsFor(sshd, refusing));
  try {
    await changed.connect();
    assert.unreachable('connected although known_hosts records another key');
  } catch (err) {
    assert.match((err as Error).message, `REMOTE HOST IDENTIFICATION HAS CHANGED`);
    assert.match((err as Error).message, `${refusing}:301`);
  } finally {
    await changed.close();
  }
});

test('a server that does not run the loop (a wrapper printing first): each command on its own channel, through /bin/sh', async () => {
  // A bastion-style ForceCommand: announces the session, and (like a csh or a restricted login shell)
  // runs only commands that hand themselves to /bin/sh; the loop's greeting then comes second.
  const wrapperDir = await mkdtemp(join(tmpdir(), 'play-wrapper-'));
  const wrapper = join(wrapperDir, 'audit-wrapper');
  await writeFile(
    wrapper,
    '#!/bin/sh\ncase $SSH_ORIGINAL_COMMAND in\n' +
      '  "exec /bin/sh -c "*) echo "session audited"; exec /bin/sh -c "$SSH_ORIGINAL_COMMAND" ;;\n' +
      '  *) echo "restricted: hand the command to /bin/sh" >&2; exit 126 ;;\nesac\n',
    { mode: 0o755 },
  );
  const wrapped = await startSshd({ extraConfig: `ForceCommand ${wrapper}\n` });
  const knownHosts = await writeKnownHosts(join(wrapped.dir, 'known_hosts'), [wrapped.knownHostsLine]);
  const plain = new SshConnection(settingsFor(wrapped, knownHosts));
  try {
    await plain.connect();
    assert.equal(await plain.exec('x=1; [ "$x" = 1 ] && echo "posix $x"; exit 3'), { rc: 3, stdout: 'session audited\nposix 1\n', stderr: '' });
    assert.equal(await plain.exec('cat', { stdin: 'in\n' }), { rc: 0, stdout: 'session audited\nin\n', stderr: '' });
    // The facts script too (what a wrapper prints around it is ignored).
    assert.is((await gatherFacts(plain)).nodename, (await plain.exec('uname -n')).stdout.split('\n')[1]);
  } finally {
    await plain.close();
    await wrapped.dispose();
    await rm(wrapperDir, { recursive: true, force: true });
  }
});

test.run();
