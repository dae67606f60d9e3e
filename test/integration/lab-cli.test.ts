/** `play lab` refusing what it cannot do: non-root users, unknown profiles and faults, no running lab. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { labCommand } from '../../src/lab/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'play-lab-cli-'));
const entry = fileURLToPath(new URL('../../src/lab/lab-main.ts', import.meta.url));

async function play(...argv: string[]): Promise<{ code: number; output: string }> {
  let output = '';
  const code = await labCommand([...argv, '--dir', dir], (s) => (output += s));
  return { code, output };
}

const Cli = suite('play lab cli');

Cli('a non-root user is told that the lab needs root, exit 1', () => {
  const run = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', import.meta.resolve('tsx'), entry, 'up', '2', '--dir', dir], {
    encoding: 'utf8',
    cwd: '/',
  });
  assert.is(run.status, 1, run.stderr);
  assert.is(run.stdout, 'play lab: needs root (mount namespaces and bind mounts); run it with sudo\n');
});

Cli('unknown profiles and faults are refused with what was expected', async () => {
  const profile = await play('up', '2', '--profile', 'intel-gpu,a100');
  assert.is(profile.code, 1);
  assert.match(profile.output, /unknown profile in 'intel-gpu,a100'; expected one of master, intel-gpu, amd-gpu, uefi, centos7, novirt, shared-group, mixed/);
  const fault = await play('fault', 'node1', 'explode');
  assert.is(fault.code, 1);
  assert.match(fault.output, /unknown fault 'explode'; expected one of down, up, slow, drop-after, no-return, rekey, clear/);
  const count = await play('up', 'many');
  assert.is(count.code, 5);
  assert.match(count.output, /expected a whole number from 1 to 1000/);
});

Cli('status and down without a running lab say so', async () => {
  assert.equal(await play('status'), { code: 1, output: `no lab running in ${dir}\n` });
  assert.equal(await play('down'), { code: 0, output: `no lab running in ${dir}\n` });
});

Cli.after(() => rmSync(dir, { recursive: true, force: true }));

Cli.run();
