/**
 * The real `play` binary against a lab of simulated nodes: the reboot module across a real drop of the
 * SSH connection, and --check leaving the nodes alone.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { labCommand } from '../../src/lab/cli.js';
import { labLayout, nodePaths } from '../../src/lab/layout.js';
import { parseRecap, REPO_ROOT, runPlay } from '../helpers/play.js';

const dir = mkdtempSync(join(tmpdir(), 'play-run-lab-'));
const lab = labLayout(dir);
const inventory = join(dir, 'inventory.ini');
const playbook = join(REPO_ROOT, 'test/fixtures/run/reboot.yml');
const NODES = ['node1', 'node2'];

async function labDo(...argv: string[]): Promise<void> {
  let output = '';
  const code = await labCommand([...argv, '--dir', dir], (s) => (output += s));
  assert.is(code, 0, output);
}

/** What the node booted with, read from outside it. */
const bootIdOf = (node: string) => readFileSync(join(nodePaths(lab, node).run, 'boot_id'), 'utf8').trim();

const run = suite('play against the lab');

run.before(async () => {
  await labDo('up', '2', '--profile', 'intel-gpu,centos7', '--subnet', '234');
  await labDo('inventory');
});

run.after(async () => {
  await labDo('down');
  rmSync(dir, { recursive: true, force: true });
});

run('--check does not reboot anything', async () => {
  const before = NODES.map(bootIdOf);
  const r = await runPlay([playbook, '-i', inventory, '--check']);
  assert.equal(NODES.map(bootIdOf), before);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const recap = parseRecap(r.stdout);
  for (const node of NODES) {
    // The reboot reports the change it would make; the check that needs a real reboot is skipped.
    assert.equal(recap[node], { ok: 4, changed: 1, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 0 });
  }
});

run('reboot drops the connection, waits for a new boot id and carries on over the new connection', async () => {
  const before = NODES.map(bootIdOf);
  const r = await runPlay([playbook, '-i', inventory]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const after = NODES.map(bootIdOf);
  for (const [i, node] of NODES.entries()) {
    assert.is.not(after[i], before[i], `${node} has a new boot id`);
  }
  const recap = parseRecap(r.stdout);
  for (const node of NODES) {
    assert.equal(recap[node], { ok: 5, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
  }
});

run.run();
