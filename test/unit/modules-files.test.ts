import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyModule } from '../../src/modules/copy.js';
import { fileModule } from '../../src/modules/file.js';
import { statModule } from '../../src/modules/stat.js';
import { templateModule } from '../../src/modules/template.js';
import type { ModuleContext } from '../../src/modules/types.js';
import { makeContext, removeDir, runModule, tempDir } from './modules-context.js';

const sha1 = (path: string) => createHash('sha1').update(readFileSync(path)).digest('hex');
const modeOf = (path: string) => (statSync(path).mode & 0o7777).toString(8).padStart(4, '0');

/** Counts the execs and puts a module makes, by wrapping the real connection's methods. */
function counting(ctx: ModuleContext): { execs: number; puts: number } {
  const counts = { execs: 0, puts: 0 };
  const conn = ctx.conn;
  const exec = conn.exec.bind(conn);
  const put = conn.put.bind(conn);
  conn.exec = (command, options) => {
    counts.execs++;
    return exec(command, options);
  };
  conn.put = (path, content, options) => {
    counts.puts++;
    counts.execs--; // put goes through exec on a local connection; count it once, as a put
    return put(path, content, options);
  };
  return counts;
}

test('copy content: one probe + one put, then a second run uploads nothing', async () => {
  const dir = tempDir();
  try {
    const dest = join(dir, 'blacklist.conf');
    const args = { content: 'blacklist nouveau\noptions nouveau modeset=0\n', dest, mode: '0640' };
    const ctx1 = makeContext();
    const n1 = counting(ctx1);
    const first = await runModule(copyModule, args, ctx1);
    assert.is(first.changed, true);
    assert.equal(n1, { execs: 1, puts: 1 });
    assert.is(readFileSync(dest, 'utf8'), args.content);
    assert.is(modeOf(dest), '0640');
    assert.is(first.checksum, sha1(dest));
    const ctx2 = makeContext();
    const n2 = counting(ctx2);
    const second = await runModule(copyModule, args, ctx2);
    assert.is(second.changed, false);
    assert.equal(n2, { execs: 1, puts: 0 });
  } finally {
    removeDir(dir);
  }
});

test('copy: only the mode differs → one chmod, no upload; diff names the attribute', async () => {
  const dir = tempDir();
  try {
    const dest = join(dir, 'f');
    writeFileSync(dest, 'same\n');
    chmodSync(dest, 0o644);
    const ctx = makeContext({ diff: true });
    const n = counting(ctx);
    const r = await runModule(copyModule, { content: 'same\n', dest, mode: '0600' }, ctx);
    assert.is(r.changed, true);
    assert.equal(n, { execs: 2, puts: 0 });
    assert.is(modeOf(dest), '0600');
    assert.equal(r.diff, [{ path: dest, before: 'same\n', after: 'same\n', attributes: ['mode 0644 -> 0600'] }]);
  } finally {
    removeDir(dir);
  }
});

test('copy in check mode changes nothing but reports the change and the diff', async () => {
  const dir = tempDir();
  try {
    const dest = join(dir, 'f');
    writeFileSync(dest, 'old\n');
    const before = sha1(dest);
    const r = await runModule(copyModule, { content: 'new\n', dest }, makeContext({ check: true, diff: true }));
    assert.is(r.changed, true);
    assert.is(sha1(dest), before);
    assert.equal(r.diff, [{ path: dest, before: 'old\n', after: 'new\n' }]);
    const fresh = await runModule(copyModule, { content: 'x', dest: join(dir, 'new') }, makeContext({ check: true }));
    assert.is(fresh.changed, true);
    assert.not.ok(existsSync(join(dir, 'new')));
  } finally {
    removeDir(dir);
  }
});

test('copy src from files/: into a directory dest, backup kept, force=no leaves content', async () => {
  const dir = tempDir();
  try {
    mkdirSync(join(dir, 'files'));
    mkdirSync(join(dir, 'target'));
    writeFileSync(join(dir, 'files', 'vfio.conf'), 'options vfio-pci ids=10de:1eb8\n');
    const ctx = () => makeContext({ root: dir });
    const intoDir = await runModule(copyModule, { src: 'vfio.conf', dest: join(dir, 'target') }, ctx());
    const dest = join(dir, 'target', 'vfio.conf');
    assert.is(intoDir.dest, dest);
    assert.is(readFileSync(dest, 'utf8'), 'options vfio-pci ids=10de:1eb8\n');
    const slash = await runModule(copyModule, { src: 'vfio.conf', dest: join(dir, 'target') + '/' }, ctx());
    assert.equal([slash.dest, slash.changed], [dest, false]);

    writeFileSync(join(dir, 'files', 'vfio.conf'), 'options vfio-pci ids=10de:2236\n');
    const keep = await runModule(copyModule, { src: 'vfio.conf', dest, force: false }, ctx());
    assert.is(keep.changed, false);
    assert.is(readFileSync(dest, 'utf8'), 'options vfio-pci ids=10de:1eb8\n');
    const backed = await runModule(copyModule, { src: 'vfio.conf', dest, backup: true }, ctx());
    assert.is(backed.changed, true);
    assert.is(readFileSync(backed.backup_file as string, 'utf8'), 'options vfio-pci ids=10de:1eb8\n');
    assert.is(readFileSync(dest, 'utf8'), 'options vfio-pci ids=10de:2236\n');
    const missing = await runModule(copyModule, { src: 'nope.conf', dest }, ctx());
    assert.equal([missing.failed, missing.msg], [true, `Could not find or access 'nope.conf' on the controller (looked for ${join(dir, 'files', 'nope.conf')})`]);
  } finally {
    removeDir(dir);
  }
});

test('copy a directory: dir/ copies its contents, dir copies itself; idempotent; check mode makes nothing', async () => {
  const dir = tempDir();
  try {
    mkdirSync(join(dir, 'files', 'modprobe.d', 'extra'), { recursive: true });
    writeFileSync(join(dir, 'files', 'modprobe.d', 'blacklist.conf'), 'blacklist nouveau\n');
    writeFileSync(join(dir, 'files', 'modprobe.d', 'extra', 'vfio.conf'), 'options vfio-pci ids=10de:1eb8\n');
    const ctx = (check = false) => makeContext({ root: dir, check });
    const target = join(dir, 'etc');
    const dry = await runModule(copyModule, { src: 'modprobe.d/', dest: target }, ctx(true));
    assert.is(dry.changed, true);
    assert.not.ok(existsSync(target));
    const contents = await runModule(copyModule, { src: 'modprobe.d/', dest: target }, ctx());
    assert.equal([contents.changed, contents.dest, contents.files], [true, target, 2]);
    assert.is(readFileSync(join(target, 'blacklist.conf'), 'utf8'), 'blacklist nouveau\n');
    assert.is(readFileSync(join(target, 'extra', 'vfio.conf'), 'utf8'), 'options vfio-pci ids=10de:1eb8\n');
    assert.is((await runModule(copyModule, { src: 'modprobe.d/', dest: target }, ctx())).changed, false);
    const itself = await runModule(copyModule, { src: 'modprobe.d', dest: target }, ctx());
    assert.equal([itself.changed, itself.dest], [true, join(target, 'modprobe.d')]);
    assert.ok(existsSync(join(target, 'modprobe.d', 'extra', 'vfio.conf')));
  } finally {
    removeDir(dir);
  }
});

test('copy: a failing validate keeps the old file and fails the task', async () => {
  const dir = tempDir();
  try {
    const dest = join(dir, 'sshd_config');
    writeFileSync(dest, 'good\n');
    const r = await runModule(copyModule, { content: 'bad\n', dest, validate: 'grep -q good %s' }, makeContext());
    assert.is(r.failed, true);
    assert.match(String(r.msg), /writing .*sshd_config failed/);
    assert.is(readFileSync(dest, 'utf8'), 'good\n');
    assert.equal(readdirSync(dir), ['sshd_config']);
    const ok = await runModule(copyModule, { content: 'good too\n', dest, validate: 'grep -q good %s' }, makeContext());
    assert.is(ok.changed, true);
  } finally {
    removeDir(dir);
  }
});

test('template renders on the controller, then is idempotent; a render error fails the task', async () => {
  const dir = tempDir();
  try {
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'templates', 'ifcfg.j2'), 'DEVICE={{nic}}\nONBOOT=yes\n');
    const dest = join(dir, 'ifcfg-br0');
    const ctx = () => makeContext({ root: dir, vars: { nic: 'br0' } });
    const first = await runModule(templateModule, { src: 'ifcfg.j2', dest }, ctx());
    assert.is(first.changed, true);
    assert.is(readFileSync(dest, 'utf8'), 'DEVICE=br0\nONBOOT=yes\n');
    const second = await runModule(templateModule, { src: 'ifcfg.j2', dest }, ctx());
    assert.is(second.changed, false);
    writeFileSync(join(dir, 'templates', 'bad.j2'), '{{missing}}');
    const bad = await runModule(templateModule, { src: 'bad.j2', dest }, ctx());
    assert.is(bad.failed, true);
    assert.match(String(bad.msg), /missing/);
  } finally {
    removeDir(dir);
  }
});

test('file: directory, touch, link, hard, absent — each idempotent, check mode changes nothing', async () => {
  const dir = tempDir();
  try {
    const d = join(dir, 'a', 'b');
    const checkDir = await runModule(fileModule, { path: d, state: 'directory', mode: '0750' }, makeContext({ check: true }));
    assert.is(checkDir.changed, true);
    assert.not.ok(existsSync(d));
    assert.is((await runModule(fileModule, { path: d, state: 'directory', mode: '0750' }, makeContext())).changed, true);
    assert.is(modeOf(d), '0750');
    assert.is((await runModule(fileModule, { path: d, state: 'directory', mode: '0750' }, makeContext())).changed, false);

    const f = join(d, 'f');
    assert.is((await runModule(fileModule, { path: f, state: 'touch' }, makeContext())).changed, true);
    assert.ok(existsSync(f));
    const asFile = await runModule(fileModule, { path: f, state: 'file', mode: '0600' }, makeContext());
    assert.equal([asFile.changed, modeOf(f)], [true, '0600']);
    assert.is((await runModule(fileModule, { path: f, state: 'file', mode: '0600' }, makeContext())).changed, false);
    const symbolic = await runModule(fileModule, { path: f, mode: 'u+x,g=u' }, makeContext());
    assert.equal([symbolic.changed, symbolic.mode, modeOf(f)], [true, '0770', '0770']);
    assert.is((await runModule(fileModule, { path: f, mode: 'u+x,g=u' }, makeContext())).changed, false);
    chmodSync(f, 0o600);
    const missing = await runModule(fileModule, { path: join(dir, 'nope'), state: 'file' }, makeContext());
    assert.equal([missing.failed, missing.msg], [true, `file (${join(dir, 'nope')}) is absent, cannot continue`]);

    const link = join(dir, 'link');
    assert.is((await runModule(fileModule, { path: link, state: 'link', src: f }, makeContext())).changed, true);
    assert.is(readlinkSync(link), f);
    assert.is((await runModule(fileModule, { path: link, state: 'link', src: f }, makeContext())).changed, false);
    const withMode = { path: link, state: 'link', src: f, mode: '0777' };
    assert.is((await runModule(fileModule, withMode, makeContext())).changed, false, 'a link has no mode to change');
    assert.is(modeOf(f), '0600', 'the target keeps its mode');
    const hard = join(dir, 'hard');
    assert.is((await runModule(fileModule, { path: hard, state: 'hard', src: f }, makeContext())).changed, true);
    assert.is(statSync(hard).ino, statSync(f).ino);
    assert.is((await runModule(fileModule, { path: hard, state: 'hard', src: f }, makeContext())).changed, false);

    const checkGone = await runModule(fileModule, { path: join(dir, 'a'), state: 'absent' }, makeContext({ check: true, diff: true }));
    assert.equal(checkGone.diff, [{ path: join(dir, 'a'), before: '', after: '', attributes: ['state directory -> absent'] }]);
    assert.ok(existsSync(d));
    assert.is((await runModule(fileModule, { path: join(dir, 'a'), state: 'absent' }, makeContext())).changed, true);
    assert.not.ok(existsSync(join(dir, 'a')));
    assert.is((await runModule(fileModule, { path: join(dir, 'a'), state: 'absent' }, makeContext())).changed, false);
    assert.ok(lstatSync(link).isSymbolicLink());
  } finally {
    removeDir(dir);
  }
});

test('file recurse notices a difference deep below and fixes it', async () => {
  const dir = tempDir();
  try {
    mkdirSync(join(dir, 'x', 'y'), { recursive: true });
    writeFileSync(join(dir, 'x', 'y', 'z'), '');
    chmodSync(join(dir, 'x'), 0o755);
    chmodSync(join(dir, 'x', 'y'), 0o755);
    chmodSync(join(dir, 'x', 'y', 'z'), 0o600);
    const args = { path: join(dir, 'x'), state: 'directory', mode: '0755', recurse: true };
    assert.is((await runModule(fileModule, args, makeContext())).changed, true);
    assert.is(modeOf(join(dir, 'x', 'y', 'z')), '0755');
    assert.is((await runModule(fileModule, args, makeContext())).changed, false);
  } finally {
    removeDir(dir);
  }
});

test('stat reports Ansible keys: file, directory, link, missing; sha256 on request', async () => {
  const dir = tempDir();
  try {
    const f = join(dir, 'f');
    writeFileSync(f, 'hello\n');
    chmodSync(f, 0o640);
    const r = await runModule(statModule, { path: f }, makeContext());
    const s = r.stat as Record<string, unknown>;
    assert.equal(
      [s.exists, s.isreg, s.isdir, s.islnk, s.mode, s.size, s.checksum, s.pw_name, s.uid],
      [true, true, false, false, '0640', 6, sha1(f), userInfo().username, userInfo().uid],
    );
    assert.is(r.changed, false);
    const sha256 = await runModule(statModule, { path: f, checksum_algorithm: 'sha256' }, makeContext());
    assert.is((sha256.stat as Record<string, unknown>).checksum, createHash('sha256').update('hello\n').digest('hex'));
    const d = (await runModule(statModule, { path: dir }, makeContext())).stat as Record<string, unknown>;
    assert.equal([d.isdir, d.checksum], [true, undefined]);
    const link = join(dir, 'l');
    await runModule(fileModule, { path: link, state: 'link', src: 'f' }, makeContext());
    const l = (await runModule(statModule, { path: link }, makeContext())).stat as Record<string, unknown>;
    assert.equal([l.islnk, l.lnk_source, l.lnk_target], [true, f, 'f']);
    const followed = (await runModule(statModule, { path: link, follow: true }, makeContext())).stat as Record<string, unknown>;
    assert.equal([followed.islnk, followed.isreg], [false, true]);
    assert.equal((await runModule(statModule, { path: join(dir, 'none') }, makeContext())).stat, { exists: false });
  } finally {
    removeDir(dir);
  }
});

test.run();
