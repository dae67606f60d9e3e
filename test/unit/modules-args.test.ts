import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { coerceArgs, findModule, moduleNames, validateModuleArgs } from '../../src/modules/index.js';
import { normalizeMode, resolveMode } from '../../src/modules/mode.js';
import type { ModuleDefinition } from '../../src/modules/types.js';

const mod = (name: string): ModuleDefinition => {
  const def = findModule(name);
  if (!def) throw new Error(`no module ${name}`);
  return def;
};

test('findModule answers to names, aliases and collection names', () => {
  assert.is(mod('copy').name, 'copy');
  assert.is(mod('ansible.builtin.copy').name, 'copy');
  assert.is(mod('ansible.posix.sysctl').name, 'sysctl');
  assert.is(mod('systemd').name, 'service');
  assert.is(mod('ansible.builtin.systemd').name, 'service');
  assert.is(mod('community.general.modprobe').name, 'modprobe');
  assert.is(mod('ansible.builtin.yum').name, 'package');
  assert.is(mod('ansible.posix.firewalld').name, 'firewalld');
  assert.is(findModule('ansible.builtin.nosuch'), undefined);
  assert.is(findModule('other.collection.copy'), undefined);
  for (const name of ['command', 'shell', 'template', 'file', 'lineinfile', 'stat', 'get_url', 'reboot', 'wait_for', 'assert', 'fail', 'debug', 'set_fact', 'ping', 'setup', 'kernel_cmdline', 'firewalld', 'iptables']) {
    assert.ok(moduleNames().includes(name), name);
  }
});

test('unknown option is named with the closest real one', () => {
  const { errors } = validateModuleArgs(mod('template'), { srcc: 'a.j2', dest: '/etc/a' });
  assert.equal(errors, [
    "unknown option 'srcc' for module template; did you mean 'src'?",
    "missing required option 'src' for module template",
  ]);
  const far = validateModuleArgs(mod('copy'), { content: 'x', dest: '/a', zzzzzzzz: 1 });
  assert.equal(far.errors, ["unknown option 'zzzzzzzz' for module copy"]);
});

test('bad choice lists the choices and the value given', () => {
  const { errors } = validateModuleArgs(mod('lineinfile'), { path: '/a', line: 'x', state: 'presnt' });
  assert.equal(errors, ["state must be one of: present, absent; got 'presnt'"]);
});

test('types are coerced the way Ansible does', () => {
  const { args, errors } = validateModuleArgs(mod('file'), { path: '/a', state: 'directory', recurse: 'yes', force: 'off' });
  assert.equal(errors, []);
  assert.is(args.recurse, true);
  assert.is(args.force, false);
  const w = validateModuleArgs(mod('wait_for'), { port: '22', timeout: '5' });
  assert.is(w.args.port, 22);
  assert.is(w.args.timeout, 5);
  const p = validateModuleArgs(mod('package'), { name: 'qemu-kvm, libvirt', state: 'present' });
  assert.equal(p.args.name, ['qemu-kvm', 'libvirt']);
  const bad = validateModuleArgs(mod('wait_for'), { port: 'ssh' });
  assert.equal(bad.errors, ["port must be an integer; got 'ssh'"]);
  const badBool = validateModuleArgs(mod('copy'), { content: 'x', dest: '/a', backup: 'maybe' });
  assert.equal(badBool.errors, ["backup must be a boolean (yes/no, true/false); got 'maybe'"]);
  const badStr = validateModuleArgs(mod('copy'), { content: 'x', dest: ['/a'] });
  assert.equal(badStr.errors, ['dest must be a string; got a list']);
});

test('aliases resolve to the option, and giving both is an error', () => {
  const { args, errors } = validateModuleArgs(mod('file'), { dest: '/a', state: 'absent' });
  assert.equal(errors, []);
  assert.is(args.path, '/a');
  assert.not.ok('dest' in args);
  const both = validateModuleArgs(mod('file'), { dest: '/a', path: '/b' });
  assert.equal(both.errors, ["options 'dest' and 'path' of module file are the same option; give only one"]);
});

test('defaults are filled and the module check runs last', () => {
  const { args } = validateModuleArgs(mod('lineinfile'), { path: '/a', line: 'x' });
  assert.is(args.state, 'present');
  assert.is(args.backup, false);
  const cross = validateModuleArgs(mod('lineinfile'), { path: '/a', line: 'x', insertafter: 'a', insertbefore: 'b' });
  assert.equal(cross.errors, ['insertafter and insertbefore are mutually exclusive']);
  const missingLine = validateModuleArgs(mod('lineinfile'), { path: '/a', regexp: 'x' });
  assert.equal(missingLine.errors, ['line is required with state=present']);
});

test('templated values wait for run time, then get checked', () => {
  const def = mod('wait_for');
  const early = validateModuleArgs(def, { port: '{{ ssh_port }}', state: 'started' });
  assert.equal(early.errors, []);
  assert.is(early.args.port, '{{ ssh_port }}');
  assert.equal(coerceArgs(def, { ...early.args, port: '2222' }).args.port, 2222);
  assert.equal(coerceArgs(def, { ...early.args, port: 'abc' }).errors, ["port must be an integer; got 'abc'"]);
  const choice = validateModuleArgs(mod('service'), { name: 'x', state: '{{ wanted }}' });
  assert.equal(choice.errors, []);
  assert.equal(coerceArgs(mod('service'), { ...choice.args, state: 'up' }).errors, [
    "state must be one of: started, stopped, restarted, reloaded; got 'up'",
  ]);
});

test('set_fact takes any names; a bad mode is a load-time error', () => {
  const facts = validateModuleArgs(mod('set_fact'), { gpu_ids: ['10de:1eb8'], cacheable: 'no' });
  assert.equal(facts.errors, []);
  assert.equal(facts.args, { gpu_ids: ['10de:1eb8'], cacheable: false });
  const badMode = validateModuleArgs(mod('copy'), { content: 'x', dest: '/a', mode: 'rw-r--r--' });
  assert.equal(badMode.errors, ["mode must be an octal string such as '0644' or a symbolic mode such as 'u=rw,g=r,o='; got 'rw-r--r--'"]);
  const badValidate = validateModuleArgs(mod('template'), { src: 'a', dest: '/a', validate: 'visudo -cf' });
  assert.equal(badValidate.errors, ["validate must contain %s (the new file); got 'visudo -cf'"]);
});

test('modes: strings are octal, integers are already converted', () => {
  assert.is(normalizeMode('0644'), '0644');
  assert.is(normalizeMode('644'), '0644');
  assert.is(normalizeMode('1777'), '1777');
  assert.is(normalizeMode('01777'), '1777');
  assert.is(normalizeMode(420), '0644');
  assert.is(normalizeMode(0o755), '0755');
  assert.is(normalizeMode(undefined), undefined);
  assert.throws(() => normalizeMode('0999'), /octal/);
  assert.is(normalizeMode('u=rw,g=r,o='), 'u=rw,g=r,o=');
  assert.throws(() => normalizeMode(70000), /07777/);
});

test('symbolic modes resolve against the current mode like chmod', () => {
  assert.is(resolveMode('0600', '0644', false), '0600');
  assert.is(resolveMode('u+x', '0644', false), '0744');
  assert.is(resolveMode('u=rw,g=r,o=', '0777', false), '0640');
  assert.is(resolveMode('go-w', '0666', false), '0644');
  assert.is(resolveMode('a+X', '0644', false), '0644');
  assert.is(resolveMode('a+X', '0744', false), '0755');
  assert.is(resolveMode('a+X', '0700', true), '0711');
  assert.is(resolveMode('+t', '0777', true), '1777');
  assert.is(resolveMode('u+s,g=u', '0750', false), '4770');
  assert.is(resolveMode('u+x', undefined, false), '0744');
  assert.is(resolveMode('o=', undefined, true), '0750');
});

test('command free form and argv are exclusive; an unclosed quote is caught at load time', () => {
  const def = mod('command');
  assert.is(def.freeForm, 'cmd');
  assert.equal(validateModuleArgs(def, { cmd: 'echo "hi' }).errors, ['cannot split the command line: No closing quotation']);
  assert.equal(validateModuleArgs(def, { cmd: 'ls', argv: ['ls'] }).errors, ['only command or argv can be given, not both']);
  assert.equal(validateModuleArgs(def, {}).errors, ['no command given']);
});

test.run();
