import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { startSshd, type TestSshd } from '../helpers/sshd.js';
import { parseRecap, REPO_ROOT, runPlay } from '../helpers/play.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/run');
const HOSTS = ['node1', 'node2', 'node3'];

interface Lab {
  dir: string;
  sshds: Record<string, TestSshd>;
  knownHosts: string;
  inventory: string;
}

/** Three real sshd processes on loopback, an inventory naming them and a known_hosts file trusting them. */
async function startLab(): Promise<Lab> {
  const dir = mkdtempSync(join(tmpdir(), 'play-run-'));
  const sshds: Record<string, TestSshd> = {};
  for (const host of HOSTS) sshds[host] = await startSshd();
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, HOSTS.map((h) => sshds[h].knownHostsLine).join('\n') + '\n');
  const inventory = join(dir, 'inventory.yml');
  writeInventory(inventory, sshds, knownHosts, dir);
  return { dir, sshds, knownHosts, inventory };
}

function writeInventory(path: string, sshds: Record<string, TestSshd>, knownHosts: string, dir: string, extra: Record<string, unknown> = {}): void {
  const hosts = Object.fromEntries(
    Object.entries(sshds).map(([name, s]) => [
      name,
      { ansible_host: s.address, ansible_port: s.port, ansible_ssh_private_key_file: s.clientKeyPath, root: join(dir, name) },
    ]),
  );
  writeFileSync(
    path,
    stringify({
      all: {
        vars: {
          ansible_user: 'root',
          ansible_ssh_known_hosts_file: knownHosts,
          kernel_args: ['intel_iommu=on', 'iommu=pt', 'rd.driver.pre=vfio-pci'],
          evil: "'; touch /tmp/play-pwned #",
          ...extra,
        },
        children: { nodes: { hosts } },
      },
    }),
  );
}

function checksums(lab: Lab): Record<string, string> {
  const sums: Record<string, string> = {};
  for (const host of HOSTS) {
    const root = join(lab.dir, host);
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root)) {
      sums[`${host}/${name}`] = createHash('sha256').update(readFileSync(join(root, name))).digest('hex');
    }
  }
  return sums;
}

const expectedGrub = (host: string) =>
  `GRUB_TIMEOUT=5\nGRUB_DEFAULT=saved\nGRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt rd.driver.pre=vfio-pci"\n# managed by play for ${host}\n`;

const run = suite<{ lab: Lab }>('play over ssh');

run.before(async (ctx) => {
  ctx.lab = await startLab();
});

run.after(async (ctx) => {
  await Promise.all(Object.values(ctx.lab.sshds).map((s) => s.dispose()));
  rmSync(ctx.lab.dir, { recursive: true, force: true });
});

run('--check on fresh hosts reports changes and writes nothing', async ({ lab }) => {
  const r = await runPlay([join(FIXTURES, 'site.yml'), '-i', lab.inventory, '--check']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const recap = parseRecap(r.stdout);
  for (const host of HOSTS) assert.ok(recap[host].changed >= 1, `${host} would change: ${r.stdout}`);
  assert.equal(checksums(lab), {}, 'nothing may be written in check mode');
});

run('first run templates, copies, edits lines and runs commands on 3 hosts', async ({ lab }) => {
  const r = await runPlay([join(FIXTURES, 'site.yml'), '-i', lab.inventory]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const recap = parseRecap(r.stdout);
  for (const host of HOSTS) {
    const root = join(lab.dir, host);
    assert.is(readFileSync(join(root, 'grub'), 'utf8'), expectedGrub(host));
    assert.is(readFileSync(join(root, 'blacklist.conf'), 'utf8'), 'blacklist nouveau\noptions nouveau modeset=0\n');
    assert.is(readFileSync(join(root, 'selinux'), 'utf8'), 'SELINUX=disabled\n');
    // Notified by three tasks, the handler ran once.
    assert.is(readFileSync(join(root, 'handler.log'), 'utf8'), 'ran\n');
    assert.equal(recap[host], { ok: 7, changed: 5, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
  }
  assert.match(r.stdout, /RUNNING HANDLER \[regenerate grub\]/);
});

run('second run changes nothing and runs no handler', async ({ lab }) => {
  const before = checksums(lab);
  const r = await runPlay([join(FIXTURES, 'site.yml'), '-i', lab.inventory]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const recap = parseRecap(r.stdout);
  for (const host of HOSTS) assert.equal(recap[host], { ok: 6, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
  assert.not.match(r.stdout, /RUNNING HANDLER/);
  assert.equal(checksums(lab), before);
});

run('--check --diff on a drifted host shows the diff and leaves every file untouched', async ({ lab }) => {
  const selinux = join(lab.dir, 'node2', 'selinux');
  writeFileSync(selinux, 'SELINUX=enforcing\nSELINUXTYPE=targeted\n');
  const before = checksums(lab);
  const r = await runPlay([join(FIXTURES, 'site.yml'), '-i', lab.inventory, '--check', '--diff']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.equal(checksums(lab), before);
  assert.match(r.stdout, `--- before: ${selinux}`);
  assert.match(r.stdout, `+++ after: ${selinux}`);
  assert.match(r.stdout, '-SELINUX=enforcing');
  assert.match(r.stdout, '+SELINUX=disabled');
  const recap = parseRecap(r.stdout);
  // The line edit would change; the shell handler it notifies is skipped in check mode, as in Ansible.
  assert.equal(recap.node2, { ok: 4, changed: 1, unreachable: 0, failed: 0, skipped: 3, rescued: 0, ignored: 0 });
  assert.equal(recap.node1, { ok: 4, changed: 0, unreachable: 0, failed: 0, skipped: 2, rescued: 0, ignored: 0 });
});

run('a failing task: exit code 2, exact counts, the other hosts go on', async ({ lab }) => {
  const r = await runPlay([join(FIXTURES, 'failing.yml'), '-i', lab.inventory]);
  assert.is(r.code, 2, r.stdout + r.stderr);
  const recap = parseRecap(r.stdout);
  assert.equal(recap.node2, { ok: 1, changed: 1, unreachable: 0, failed: 1, skipped: 0, rescued: 0, ignored: 0 });
  for (const host of ['node1', 'node3']) {
    assert.equal(recap[host], { ok: 3, changed: 3, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 1 });
  }
  assert.match(r.stdout, /fatal: \[node2\]: FAILED!/);
  assert.match(r.stdout, /\.\.\.ignoring/);
});

run('hostile variable values never execute', async ({ lab }) => {
  rmSync('/tmp/play-pwned', { force: true });
  const r = await runPlay([join(FIXTURES, 'hostile.yml'), '-i', lab.inventory]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.not.ok(existsSync('/tmp/play-pwned'));
  for (const host of HOSTS) {
    assert.is(readFileSync(join(lab.dir, host, 'evil.txt'), 'utf8'), "value='; touch /tmp/play-pwned #\n");
  }
});

run('a host whose sshd is down is unreachable; the others finish; exit code 4', async ({ lab }) => {
  await lab.sshds.node3.stop();
  try {
    const r = await runPlay([join(FIXTURES, 'site.yml'), '-i', lab.inventory]);
    assert.is(r.code, 4, r.stdout + r.stderr);
    const recap = parseRecap(r.stdout);
    assert.is(recap.node3.unreachable, 1);
    assert.is(recap.node1.failed + recap.node1.unreachable, 0);
    assert.is(recap.node1.ok, 6);
    assert.match(r.stdout, /fatal: \[node3\]: UNREACHABLE!/);
  } finally {
    await lab.sshds.node3.restart();
  }
});

run('an unknown host key is refused with its fingerprint and nothing runs there', async ({ lab }) => {
  const partial = join(lab.dir, 'known_hosts.partial');
  writeFileSync(partial, lab.sshds.node1.knownHostsLine + '\n');
  const inventory = join(lab.dir, 'inventory-partial.yml');
  const fresh = join(lab.dir, 'fresh');
  writeInventory(inventory, lab.sshds, partial, fresh);
  const r = await runPlay([join(FIXTURES, 'site.yml'), '-i', inventory]);
  assert.is(r.code, 4, r.stdout + r.stderr);
  assert.match(r.stdout, /SHA256:[A-Za-z0-9+/]{43}/);
  assert.match(r.stdout, /--accept-new-host-keys/);
  assert.ok(existsSync(join(fresh, 'node1', 'grub')));
  assert.not.ok(existsSync(join(fresh, 'node2')));
  assert.not.ok(existsSync(join(fresh, 'node3')));
  const recap = parseRecap(r.stdout);
  assert.is(recap.node2.unreachable, 1);
  assert.is(recap.node3.unreachable, 1);
});

run.run();
