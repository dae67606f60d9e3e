import { readFileSync, writeFileSync, existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { editLines, type LineEditSpec } from '../../src/modules/line-edit.js';
import { lineinfileModule } from '../../src/modules/lineinfile.js';
import { makeContext, removeDir, runModule, tempDir } from './modules-context.js';

const edit = (content: string, spec: Partial<LineEditSpec>) => editLines(content, { state: 'present', ...spec });

test('regexp replaces the matching line (Ansible example: SELINUX=)', () => {
  const r = edit('# comment\nSELINUX=disabled\nSELINUXTYPE=targeted\n', { regexp: '^SELINUX=', line: 'SELINUX=enforcing' });
  assert.is(r.content, '# comment\nSELINUX=enforcing\nSELINUXTYPE=targeted\n');
  assert.is(r.changed, true);
  assert.is(r.msg, 'line replaced');
  const again = edit(r.content, { regexp: '^SELINUX=', line: 'SELINUX=enforcing' });
  assert.is(again.changed, false);
  assert.is(again.content, r.content);
});

test('the last matching line is replaced, or the first with firstmatch', () => {
  const text = 'a=1\nb=2\na=3\n';
  assert.is(edit(text, { regexp: '^a=', line: 'a=9' }).content, 'a=1\nb=2\na=9\n');
  assert.is(edit(text, { regexp: '^a=', line: 'a=9', firstmatch: true }).content, 'a=9\nb=2\na=3\n');
});

test('no match appends at EOF, adding the missing final newline first', () => {
  assert.is(edit('x\ny', { regexp: '^z', line: 'z=1' }).content, 'x\ny\nz=1\n');
  assert.is(edit('', { line: 'first' }).content, 'first\n');
  const present = edit('x\nfirst\ny\n', { line: 'first' });
  assert.is(present.changed, false);
});

test('insertafter: after the last line matching, unless the regexp matched (Listen example)', () => {
  const conf = '#Listen 12.34.56.78:80\nServerRoot "/etc/httpd"\n';
  const r = edit(conf, { insertafter: '^#Listen ', regexp: '^Listen ', line: 'Listen 8080' });
  assert.is(r.content, '#Listen 12.34.56.78:80\nListen 8080\nServerRoot "/etc/httpd"\n');
  assert.is(edit(r.content, { insertafter: '^#Listen ', regexp: '^Listen ', line: 'Listen 8080' }).changed, false);
  const existing = '#Listen x\nListen 80\n';
  assert.is(edit(existing, { insertafter: '^#Listen ', regexp: '^Listen ', line: 'Listen 8080' }).content, '#Listen x\nListen 8080\n');
  assert.is(edit('a\nm\nb\nm\nc\n', { insertafter: '^m$', line: 'new' }).content, 'a\nm\nb\nm\nnew\nc\n');
  assert.is(edit('a\nm\nb\nm\nc\n', { insertafter: '^m$', line: 'new', firstmatch: true }).content, 'a\nm\nnew\nb\nm\nc\n');
  assert.is(edit('a\nm', { insertafter: '^m$', line: 'new' }).content, 'a\nm\nnew\n');
});

test('insertafter that matches nothing falls back to EOF; insertbefore BOF goes first', () => {
  assert.is(edit('a\nb\n', { insertafter: '^zzz', line: 'new' }).content, 'a\nb\nnew\n');
  assert.is(edit('a\nb\n', { insertbefore: 'BOF', line: 'new' }).content, 'new\na\nb\n');
  assert.is(edit('a\nb\n', { insertafter: 'BOF', line: 'new' }).content, 'new\na\nb\n');
  assert.is(edit('new\na\n', { insertbefore: 'BOF', line: 'new' }).changed, false);
});

test('insertbefore: before the last line matching (# Additional example)', () => {
  const r = edit('x\n# Additional\ny\n', { insertbefore: '^# Additional', line: '192.168.1.99 foo.lab.net foo' });
  assert.is(r.content, 'x\n192.168.1.99 foo.lab.net foo\n# Additional\ny\n');
  assert.is(edit(r.content, { insertbefore: '^# Additional', line: '192.168.1.99 foo.lab.net foo' }).changed, false);
});

test('backrefs expand groups; without a match the file is left alone', () => {
  const jvm = 'JAVA_OPTS="-Xms256m -Xmx1g"\n';
  const spec = { regexp: '^(.*)Xms(\\d+)m(.*)$', line: '\\1Xms512m\\3', backrefs: true };
  assert.is(edit(jvm, spec).content, 'JAVA_OPTS="-Xms512m -Xmx1g"\n');
  const none = edit('nothing here\n', spec);
  assert.is(none.changed, false);
  assert.is(none.content, 'nothing here\n');
  const named = edit('port = 80\n', { regexp: '^(?P<key>\\w+) = \\d+$', line: '\\g<key> = 8080', backrefs: true });
  assert.is(named.content, 'port = 8080\n');
});

test('search_string matches literally', () => {
  const r = edit('a\n<FilesMatch ".php[45]?$">\nb\n', { searchString: '<FilesMatch ".php[45]?$">', line: '<FilesMatch ".php[345]?$">' });
  assert.is(r.content, 'a\n<FilesMatch ".php[345]?$">\nb\n');
});

test('state=absent removes every matching line and counts them', () => {
  const sudoers = 'root ALL=(ALL) ALL\n%wheel ALL=(ALL) ALL\n%wheel2 x\n';
  const r = editLines(sudoers, { state: 'absent', regexp: '^%wheel' });
  assert.is(r.content, 'root ALL=(ALL) ALL\n');
  assert.is(r.found, 2);
  assert.is(r.msg, '2 line(s) removed');
  const byLine = editLines('a\nb\na\n', { state: 'absent', line: 'a' });
  assert.is(byLine.content, 'b\n');
  const bySearch = editLines('x=1\ny=2\n', { state: 'absent', searchString: '=2' });
  assert.is(bySearch.content, 'x=1\n');
  assert.is(editLines('a\n', { state: 'absent', line: 'z' }).changed, false);
});

test('a Python regexp error is reported with the pattern', () => {
  assert.throws(() => edit('a\n', { regexp: '(unclosed', line: 'x' }), /invalid regular expression '\(unclosed'/);
});

test('lineinfile on a real file: change, then no change; check mode and diff; backup', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'selinux-config');
    writeFileSync(path, 'SELINUX=enforcing\nSELINUXTYPE=targeted\n');
    const args = { path, regexp: '^SELINUX=', line: 'SELINUX=disabled', backup: true };

    const checked = await runModule(lineinfileModule, args, makeContext({ check: true, diff: true }));
    assert.is(checked.changed, true);
    assert.is(readFileSync(path, 'utf8'), 'SELINUX=enforcing\nSELINUXTYPE=targeted\n');
    const diff = (checked.diff as { before: string; after: string }[])[0]!;
    assert.is(diff.before, 'SELINUX=enforcing\nSELINUXTYPE=targeted\n');
    assert.is(diff.after, 'SELINUX=disabled\nSELINUXTYPE=targeted\n');

    const first = await runModule(lineinfileModule, args, makeContext());
    assert.is(first.changed, true);
    assert.is(first.msg, 'line replaced');
    assert.is(readFileSync(path, 'utf8'), 'SELINUX=disabled\nSELINUXTYPE=targeted\n');
    assert.ok(typeof first.backup_file === 'string' && existsSync(first.backup_file as string));
    assert.is(readFileSync(first.backup_file as string, 'utf8'), 'SELINUX=enforcing\nSELINUXTYPE=targeted\n');

    const second = await runModule(lineinfileModule, args, makeContext());
    assert.is(second.changed, false);
    assert.is(readdirSync(dir).length, 2, 'no second backup, no temp files left');
  } finally {
    removeDir(dir);
  }
});

test('lineinfile: missing file fails unless create; create makes parents; mode applies', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'sub', 'vfio.conf');
    const missing = await runModule(lineinfileModule, { path, line: 'vfio' }, makeContext());
    assert.is(missing.failed, true);
    assert.is(missing.msg, `Destination ${path} does not exist !`);
    const created = await runModule(lineinfileModule, { path, line: 'vfio', create: true, mode: '0600' }, makeContext());
    assert.is(created.changed, true);
    assert.is(readFileSync(path, 'utf8'), 'vfio\n');
    assert.is(statSync(path).mode & 0o777, 0o600);
    const modeOnly = await runModule(lineinfileModule, { path, line: 'vfio', mode: '0640' }, makeContext());
    assert.is(modeOnly.changed, true);
    assert.is(statSync(path).mode & 0o777, 0o640);
    assert.is(readFileSync(path, 'utf8'), 'vfio\n');
    const absentFile = await runModule(lineinfileModule, { path: join(dir, 'none'), line: 'x', state: 'absent' }, makeContext());
    assert.equal([absentFile.changed, absentFile.msg], [false, 'file not present']);
  } finally {
    removeDir(dir);
  }
});

test('lineinfile: a failing validate keeps the old file', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'sudoers');
    writeFileSync(path, 'root ALL=(ALL) ALL\n');
    const r = await runModule(lineinfileModule, { path, line: '%wheel ALL=(ALL) NOPASSWD: ALL', validate: 'grep -q nosuchthing %s' }, makeContext());
    assert.is(r.failed, true);
    assert.match(String(r.msg), /failed/);
    assert.is(readFileSync(path, 'utf8'), 'root ALL=(ALL) ALL\n');
    assert.equal(readdirSync(dir), ['sudoers']);
  } finally {
    removeDir(dir);
  }
});

test.run();
