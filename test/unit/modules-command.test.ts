import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commandModule } from '../../src/modules/command.js';
import { formatDelta } from '../../src/modules/run-command.js';
import { shellModule } from '../../src/modules/shell.js';
import { shlexSplit } from '../../src/connection/shlex.js';
import { makeContext, removeDir, runModule, tempDir } from './modules-context.js';

test('shlexSplit follows Python shlex.split', () => {
  assert.equal(shlexSplit('echo hello world'), ['echo', 'hello', 'world']);
  assert.equal(shlexSplit(`grubby --update-kernel=ALL --args="intel_iommu=on iommu=pt"`), [
    'grubby',
    '--update-kernel=ALL',
    '--args=intel_iommu=on iommu=pt',
  ]);
  assert.equal(shlexSplit(`a 'b c' "d \\"e\\" \\n" f\\ g`), ['a', 'b c', 'd "e" \\n', 'f g']);
  assert.equal(shlexSplit(`''  ""`), ['', '']);
  assert.equal(shlexSplit('  '), []);
  assert.equal(shlexSplit('x # not a comment'), ['x', '#', 'not', 'a', 'comment']);
  assert.equal(shlexSplit('a;b | c $(d) `e`'), ['a;b', '|', 'c', '$(d)', '`e`']);
  assert.throws(() => shlexSplit(`echo 'open`), /No closing quotation/);
  assert.throws(() => shlexSplit('echo \\'), /No escaped character/);
});

test('Python timedelta format for delta', () => {
  assert.is(formatDelta(1250), '0:00:01.250000');
  assert.is(formatDelta(3_723_004), '1:02:03.004000');
});

test('command runs words without a shell: hostile arguments stay arguments', async () => {
  const dir = tempDir();
  const pwned = join(dir, 'pwned');
  try {
    const r = await runModule(commandModule, { cmd: `echo '; touch ${pwned} #' $(touch ${pwned}) \`touch ${pwned}\` | touch ${pwned}` }, makeContext());
    assert.is(r.rc, 0);
    assert.is(r.changed, true);
    assert.is(r.stdout, `; touch ${pwned} # $(touch ${pwned}) \`touch ${pwned}\` | touch ${pwned}`);
    assert.not.ok(existsSync(pwned));
    const argv = await runModule(commandModule, { argv: ['printf', '%s|', 'a b', `'; touch ${pwned} #`] }, makeContext());
    assert.is(argv.stdout, `a b|'; touch ${pwned} #|`);
    assert.equal(argv.cmd, ['printf', '%s|', 'a b', `'; touch ${pwned} #`]);
    assert.not.ok(existsSync(pwned));
  } finally {
    removeDir(dir);
  }
});

test('command runs the program, never a shell builtin of the same name', async () => {
  const echo = await runModule(commandModule, { cmd: "echo -e 'a\\tb'" }, makeContext());
  assert.is(echo.stdout, 'a\tb');
  const builtinOnly = await runModule(commandModule, { cmd: 'cd /tmp' }, makeContext());
  assert.equal([builtinOnly.failed, builtinOnly.rc], [true, 127]);
  assert.match(String(builtinOnly.stderr), /cd: not found/);
});

test('command expands $VARS and ~ like Ansible, each value staying one plain word', async () => {
  const dir = tempDir();
  try {
    const pwned = join(dir, 'pwned');
    const env = { HOME: '/h o*me', PLAY_SPACES: 'a  b', PLAY_EVIL: `$(touch ${pwned}); touch ${pwned}` };
    const ctx = makeContext({ env });
    const r = await runModule(commandModule, { cmd: `printf '%s|' $HOME ~ ~/x \${HOME}/y $PLAY_SPACES $PLAY_UNSET_VAR pre\${PLAY_UNSET_VAR}post ~nosuchuser9/x $PLAY_EVIL` }, ctx);
    assert.is(r.stdout, `/h o*me|/h o*me|/h o*me/x|/h o*me/y|a  b|$PLAY_UNSET_VAR|pre\${PLAY_UNSET_VAR}post|~nosuchuser9/x|$(touch ${pwned}); touch ${pwned}|`);
    assert.not.ok(existsSync(pwned));
    const literal = await runModule(commandModule, { argv: ['printf', '%s', '$HOME ~'], expand_argument_vars: false }, ctx);
    assert.is(literal.stdout, '$HOME ~');
  } finally {
    removeDir(dir);
  }
});

test('command result keys: rc, stdout/stderr lines, failure on non-zero', async () => {
  const ok = await runModule(commandModule, { cmd: 'printf "a\\nb\\n"' }, makeContext());
  assert.equal(ok.stdout_lines, ['a', 'b']);
  assert.is(ok.stdout, 'a\nb');
  assert.match(String(ok.start), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  assert.match(String(ok.delta), /^0:00:\d\d\.\d{6}$/);
  const bad = await runModule(commandModule, { argv: ['sh', '-c', 'echo oops >&2; exit 3'] }, makeContext());
  assert.equal([bad.failed, bad.rc, bad.stderr, bad.msg], [true, 3, 'oops', 'non-zero return code']);
});

test('creates/removes decide, globbing without expanding anything else', async () => {
  const dir = tempDir();
  try {
    const marker = join(dir, 'done.flag');
    const args = { cmd: `touch ${marker}`, creates: join(dir, '*.flag') };
    const first = await runModule(commandModule, args, makeContext());
    assert.is(first.changed, true);
    assert.ok(existsSync(marker));
    const second = await runModule(commandModule, args, makeContext());
    assert.is(second.changed, false);
    assert.is(second.msg, `Did not run command since '${join(dir, '*.flag')}' exists`);
    assert.is(second.stdout, `skipped, since ${join(dir, '*.flag')} exists`);
    const removes = await runModule(commandModule, { cmd: 'true', removes: join(dir, 'nothing-$(touch x)') }, makeContext());
    assert.is(removes.changed, false);
    assert.match(String(removes.msg), /does not exist/);
    assert.not.ok(existsSync('x'));
  } finally {
    removeDir(dir);
  }
});

test('check mode: command does not run; creates decides when given', async () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'made');
    const plain = await runModule(commandModule, { cmd: `touch ${file}` }, makeContext({ check: true }));
    assert.equal([plain.changed, plain.skipped], [false, true]);
    const guarded = await runModule(commandModule, { cmd: `touch ${file}`, creates: file }, makeContext({ check: true }));
    assert.equal([guarded.changed, guarded.skipped], [true, false]);
    assert.not.ok(existsSync(file));
    writeFileSync(file, '');
    const skip = await runModule(commandModule, { cmd: `touch ${file}`, creates: file }, makeContext({ check: true }));
    assert.is(skip.changed, false);
    assert.match(String(skip.msg), /^Would not run command/);
  } finally {
    removeDir(dir);
  }
});

test('chdir and stdin; relative creates is relative to chdir', async () => {
  const dir = tempDir();
  try {
    mkdirSync(join(dir, 'sub dir'));
    const cwd = await runModule(commandModule, { cmd: 'pwd', chdir: join(dir, 'sub dir') }, makeContext());
    assert.is(cwd.stdout, join(dir, 'sub dir'));
    const cat = await runModule(commandModule, { cmd: 'cat', stdin: 'hello' }, makeContext());
    assert.is(cat.stdout, 'hello');
    writeFileSync(join(dir, 'sub dir', 'here'), '');
    const rel = await runModule(commandModule, { cmd: 'false', chdir: join(dir, 'sub dir'), creates: 'here' }, makeContext());
    assert.is(rel.changed, false);
  } finally {
    removeDir(dir);
  }
});

test('shell runs through /bin/sh with pipes and variables; executable is honoured', async () => {
  const r = await runModule(shellModule, { cmd: 'X=abc; echo $X | tr a-z A-Z' }, makeContext());
  assert.equal([r.stdout, r.cmd, r.rc], ['ABC', 'X=abc; echo $X | tr a-z A-Z', 0]);
  const bash = await runModule(shellModule, { cmd: 'echo ${BASH_VERSION:+bash}', executable: '/bin/bash' }, makeContext());
  assert.is(bash.stdout, 'bash');
});

test.run();
