import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Connection, ExecResult } from '../../src/connection/types.js';
import { assertModule } from '../../src/modules/assert.js';
import { debugModule, lookupVariable } from '../../src/modules/debug.js';
import { failModule } from '../../src/modules/fail.js';
import { getUrlModule } from '../../src/modules/get_url.js';
import { pingModule } from '../../src/modules/ping.js';
import { backoffDelay, rebootCommand, waitForNewBoot, type Clock } from '../../src/modules/reboot.js';
import { setFactModule } from '../../src/modules/set_fact.js';
import { waitForModule } from '../../src/modules/wait_for.js';
import { fakeTools, makeContext, removeDir, runModule, tempDir } from './modules-context.js';

test('wait_for: a present path, an open port, a closed port; timeouts fail with Ansible messages', async () => {
  const dir = tempDir();
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const file = join(dir, 'ready');
    writeFileSync(file, 'status: up\n');
    const present = await runModule(waitForModule, { path: file, search_regex: 'status: \\w+', timeout: 2 }, makeContext());
    assert.equal([present.failed, present.changed], [undefined, false]);
    const open = await runModule(waitForModule, { port, timeout: 2 }, makeContext());
    assert.is(open.failed, undefined);
    const stillOpen = await runModule(waitForModule, { port, state: 'stopped', timeout: 1 }, makeContext());
    assert.equal([stillOpen.failed, stillOpen.msg], [true, `Timeout when waiting for 127.0.0.1:${port} to stop.`]);
    const gone = await runModule(waitForModule, { path: join(dir, 'never'), timeout: 1 }, makeContext());
    assert.equal([gone.failed, gone.msg], [true, `Timeout when waiting for file ${join(dir, 'never')}`]);
    const absent = await runModule(waitForModule, { path: join(dir, 'never'), state: 'absent', timeout: 1 }, makeContext());
    assert.is(absent.failed, undefined);
  } finally {
    server.close();
    removeDir(dir);
  }
  const closed = await runModule(waitForModule, { port, state: 'stopped', timeout: 2 }, makeContext());
  assert.is(closed.failed, undefined);
});

test('get_url: downloads into place, verifies checksum, is idempotent, check mode fetches nothing', async () => {
  const dir = tempDir();
  try {
    const source = join(dir, 'installer.sh');
    writeFileSync(source, '#!/bin/sh\necho install\n');
    const digest = createHash('sha256').update(readFileSync(source)).digest('hex');
    const url = `file://${source}`;
    const dest = join(dir, 'out.sh');
    const args = { url, dest, checksum: `sha256:${digest}`, mode: '0755' };
    const check = await runModule(getUrlModule, args, makeContext({ check: true }));
    assert.is(check.changed, true);
    assert.not.ok(existsSync(dest));
    const first = await runModule(getUrlModule, args, makeContext());
    assert.equal([first.changed, first.dest], [true, dest]);
    assert.is(readFileSync(dest, 'utf8'), '#!/bin/sh\necho install\n');
    assert.is(statSync(dest).mode & 0o777, 0o755);
    const second = await runModule(getUrlModule, args, makeContext());
    assert.is(second.changed, false);
    const wrong = await runModule(getUrlModule, { url, dest: join(dir, 'bad'), checksum: `sha256:${'0'.repeat(64)}` }, makeContext());
    assert.is(wrong.failed, true);
    assert.match(String(wrong.msg), /checksum mismatch/);
    assert.not.ok(existsSync(join(dir, 'bad')));
    const intoDir = await runModule(getUrlModule, { url, dest: dir + '/' }, makeContext());
    assert.equal([intoDir.changed, intoDir.dest], [false, source]);
  } finally {
    removeDir(dir);
  }
});

test('assert: first false condition fails with fail_msg; all true passes', async () => {
  const ctx = makeContext({ vars: { iommu: true, vfio_bound: false } });
  const pass = await runModule(assertModule, { that: ['iommu'], success_msg: 'IOMMU on' }, ctx);
  assert.equal([pass.failed, pass.msg], [undefined, 'IOMMU on']);
  const fail = await runModule(assertModule, { that: ['iommu', 'vfio_bound'], fail_msg: 'GPU not on vfio-pci' }, ctx);
  assert.equal([fail.failed, fail.msg, fail.assertion], [true, 'GPU not on vfio-pci', 'vfio_bound']);
  const single = await runModule(assertModule, { that: 'vfio_bound' }, ctx);
  assert.is(single.msg, 'Assertion failed');
});

test('debug: msg, var by path, undefined var, verbosity threshold', async () => {
  const vars = { result: { stdout_lines: ['a', 'b'] }, 'ansible_verbosity': 0 };
  assert.is(lookupVariable(vars, "result.stdout_lines[1]"), 'b');
  assert.is(lookupVariable(vars, "result['stdout_lines'][0]"), 'a');
  const ctx = makeContext({ vars });
  assert.equal(await runModule(debugModule, { var: 'result.stdout_lines' }, ctx), { changed: false, 'result.stdout_lines': ['a', 'b'] });
  assert.equal(await runModule(debugModule, { var: 'nope' }, ctx), { changed: false, nope: 'VARIABLE IS NOT DEFINED!' });
  assert.equal(await runModule(debugModule, {}, ctx), { changed: false, msg: 'Hello world!' });
  const quiet = await runModule(debugModule, { msg: 'x', verbosity: 2 }, ctx);
  assert.is(quiet.skipped, true);
  const loud = await runModule(debugModule, { msg: 'x', verbosity: 2 }, makeContext({ vars: { ansible_verbosity: 2 } }));
  assert.is(loud.msg, 'x');
});

test('fail, set_fact and ping', async () => {
  assert.equal(await runModule(failModule, {}, makeContext()), { changed: false, failed: true, msg: 'Failed as requested from task' });
  const facts = await runModule(setFactModule, { gpu_count: 2, cacheable: true }, makeContext());
  assert.equal(facts.facts, { gpu_count: 2 });
  assert.equal(await runModule(pingModule, {}, makeContext()), { changed: false, ping: 'pong' });
});

/** A clock that never waits: sleeping just moves time on. */
function fakeClock(): Clock & { slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return { slept, now: () => t, sleep: async (ms) => void (slept.push(ms), (t += ms)) };
}

/** A host going down and coming back: reconnects fail `downFor` times, then the new boot id shows. */
function rebootingHost(downFor: number, answers: string[]): Connection {
  let failures = 0;
  const replies = [...answers];
  const reply = (stdout: string): ExecResult => ({ rc: 0, stdout, stderr: '' });
  return {
    host: 'node1',
    transport: 'fake',
    connect: async () => {},
    close: async () => {},
    put: async () => ({}),
    reconnect: async () => {
      if (failures++ < downFor) throw new Error('connect ECONNREFUSED');
    },
    exec: async (command) => (command.includes('boot_id') ? reply(`${replies.shift() ?? 'new-id'}\n`) : reply('root\n')),
  };
}

test('reboot: retries reconnects with backoff until the boot id changes and the test command passes', async () => {
  const clock = fakeClock();
  const conn = rebootingHost(3, ['old-id', 'new-id']);
  const id = await waitForNewBoot(
    conn,
    { oldBootId: 'old-id', deadline: 600_000, connectTimeout: 30_000, testCommand: 'whoami', exec: (c, cmd) => c.exec(cmd) },
    clock,
  );
  assert.is(id, 'new-id');
  assert.equal(clock.slept, [1000, 2000, 4000, 8000, 10000]);
  assert.equal([0, 3, 4, 10].map(backoffDelay), [1000, 8000, 10000, 10000]);
});

test('reboot: gives up at the deadline, naming the last problem', async () => {
  const clock = fakeClock();
  const conn = rebootingHost(Infinity, []);
  try {
    await waitForNewBoot(conn, { oldBootId: 'x', deadline: 20_000, connectTimeout: 5000, testCommand: 'whoami', exec: (c, cmd) => c.exec(cmd) }, clock);
    assert.unreachable('should time out');
  } catch (e) {
    assert.is((e as Error).message, 'Timed out waiting for the host to come back: connect ECONNREFUSED');
  }
  assert.ok(clock.now() >= 20_000 && clock.now() <= 21_000);
});

test('reboot command returns at once, then runs detached with the message as one word', async () => {
  const dir = tempDir();
  try {
    const record = join(dir, 'shutdown.args');
    const env = { PATH: fakeTools(dir, { shutdown: `printf '%s|' "$@" > ${record}` }) };
    const line = rebootCommand({ msg: "it's $(time)", reboot_timeout: 600, pre_reboot_delay: 0, post_reboot_delay: 0, test_command: 'whoami' });
    const started = Date.now();
    const r = await makeContext({ env }).conn.exec(line);
    assert.is(r.rc, 0);
    assert.ok(Date.now() - started < 900, 'exec must not wait for the reboot');
    assert.not.ok(existsSync(record));
    for (let i = 0; i < 50 && !existsSync(record); i++) await new Promise((res) => setTimeout(res, 100));
    assert.is(readFileSync(record, 'utf8'), "-r|now|it's $(time)|");
  } finally {
    removeDir(dir);
  }
});

test.run();
