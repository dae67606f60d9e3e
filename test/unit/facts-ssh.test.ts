import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SshConnection } from '../../src/connection/ssh.js';
import { gatherFacts } from '../../src/facts/gather.js';
import { openTestConnection, type TestSshd } from '../helpers/sshd.js';

let sshd: TestSshd;
let conn: SshConnection;

test.before(async () => {
  ({ sshd, conn } = await openTestConnection());
});

test.after(async () => {
  await conn.close();
  await sshd.dispose();
});

test('over a real SSH session: the script survives the login shell, the session is found on lo', async () => {
  const facts = await gatherFacts(conn);
  assert.is(facts.kernel, execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
  assert.is(facts.ssh_interface, 'lo', 'sshd listens on 127.0.0.1, which lo holds');
  assert.ok(facts.processor_vcpus > 0);
});

test.run();
