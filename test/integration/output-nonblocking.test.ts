/**
 * Output never holds up the run: with nobody reading play's stdout (a paused pager, a full pipe),
 * the tasks still run to the end; the output is all there once it is read.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PLAY_BIN } from '../helpers/play.js';

test('the last task runs while 200 kB of output wait unread in a full pipe', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'play-output-'));
  try {
    const marker = join(dir, 'last-task-ran');
    const tasks = Array.from({ length: 400 }, (_, i) => `    - debug:\n        msg: "${'x'.repeat(400)} ${i}"`);
    writeFileSync(
      join(dir, 'loud.yml'),
      ['- hosts: localhost', '  gather_facts: false', '  tasks:', ...tasks, `    - command: touch ${marker}`, ''].join('\n'),
    );
    const child = spawn(process.execPath, [PLAY_BIN, join(dir, 'loud.yml'), '-i', 'localhost,', '-e', 'ansible_connection=local'], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // Nothing reads stdout yet: the pipe (64 kB) fills after a fraction of the output.
    child.stdout.pause();
    const deadline = Date.now() + 20_000;
    while (!existsSync(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(marker), 'the last task ran although nobody read the output');
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.is(code, 0);
    assert.ok(output.length > 200_000, `all the output arrived (${output.length} bytes)`);
    assert.match(output, /localhost\s+: ok=401 +changed=1 /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
