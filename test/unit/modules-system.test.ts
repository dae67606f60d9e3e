import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createModprobeModule, planPersistence } from '../../src/modules/modprobe.js';
import { packageModule } from '../../src/modules/package.js';
import { parseUnitStatus, probeScript, serviceActions, serviceModule } from '../../src/modules/service.js';
import { rewriteSysctlFile, sysctlModule } from '../../src/modules/sysctl.js';
import { fakeTools, makeContext, removeDir, runModule, tempDir } from './modules-context.js';

/** Fake rpm and dnf keeping "installed" packages as files in `state`. */
function packageTools(dir: string): string {
  const s = join(dir, 'pkgs');
  mkdirSync(s, { recursive: true });
  return fakeTools(dir, {
    rpm: `for a; do n=$a; done; [ -e ${s}/"$n" ]`,
    dnf: [
      `echo "$*" >> ${dir}/dnf.log`,
      'verb=; names=0',
      'for a; do',
      `  if [ "$names" = 1 ]; then case $verb in install|update) touch ${s}/"$a";; remove) rm -f ${s}/"$a";; esac; continue; fi`,
      '  case $a in install|update|remove) verb=$a;; check-update) verb=check;; --) names=1;; esac',
      'done',
      `if [ "$verb" = check ] && [ -e ${dir}/updates ]; then exit 100; fi`,
      'exit 0',
    ].join('\n'),
  });
}

const log = (dir: string, name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8').trim().split('\n') : []);

test('package: one probe decides; installs only what is missing; second run changes nothing', async () => {
  const dir = tempDir();
  try {
    const env = { PATH: packageTools(dir) };
    writeFileSync(join(dir, 'pkgs', 'qemu-kvm'), '');
    const args = { name: ['qemu-kvm', 'libvirt', 'virt-install'], state: 'present' };
    const check = await runModule(packageModule, args, makeContext({ env, check: true }));
    assert.equal([check.changed, check.changes], [true, { installed: ['libvirt', 'virt-install'] }]);
    assert.equal(log(dir, 'dnf.log'), []);
    const first = await runModule(packageModule, args, makeContext({ env }));
    assert.is(first.changed, true);
    assert.equal(log(dir, 'dnf.log'), ['-y install -- libvirt virt-install']);
    const second = await runModule(packageModule, args, makeContext({ env }));
    assert.is(second.changed, false);
    assert.equal(log(dir, 'dnf.log').length, 1);
    const removed = await runModule(packageModule, { name: 'libvirt,nothere', state: 'absent' }, makeContext({ env }));
    assert.equal([removed.changed, removed.changes], [true, { removed: ['libvirt'] }]);
    assert.not.ok(existsSync(join(dir, 'pkgs', 'libvirt')));
  } finally {
    removeDir(dir);
  }
});

test('package latest: updates only when check-update says so; hostile names stay words', async () => {
  const dir = tempDir();
  try {
    const env = { PATH: packageTools(dir) };
    writeFileSync(join(dir, 'pkgs', 'kernel'), '');
    const none = await runModule(packageModule, { name: 'kernel', state: 'latest' }, makeContext({ env }));
    assert.is(none.changed, false);
    writeFileSync(join(dir, 'updates'), '');
    const upd = await runModule(packageModule, { name: 'kernel', state: 'latest' }, makeContext({ env }));
    assert.equal([upd.changed, upd.changes], [true, { updated: ['kernel'] }]);
    assert.ok(log(dir, 'dnf.log').includes('-y update -- kernel'));
    const all = await runModule(packageModule, { name: '*', state: 'latest' }, makeContext({ env }));
    assert.equal([all.changed, all.changes], [true, { updated: [] }]);
    assert.equal(log(dir, 'dnf.log').slice(-2), ['-q check-update', '-y update']);
    const pwned = join(dir, 'pwned');
    await runModule(packageModule, { name: [`x; touch ${pwned}`], state: 'present' }, makeContext({ env }));
    assert.not.ok(existsSync(pwned));
  } finally {
    removeDir(dir);
  }
});

/** Fake systemctl keeping each unit's active/enabled state in files. */
function systemctlTool(dir: string): string {
  const s = join(dir, 'units');
  mkdirSync(s, { recursive: true });
  return fakeTools(dir, {
    systemctl: [
      `for a; do n=$a; done; verb=$1; echo "$verb $n" >> ${dir}/systemctl.log`,
      `u=${s}/"$n"`,
      'case $verb in',
      // show reads `unitfile` when a test makes it differ from is-enabled (an EL7 template instance).
      '  show) if [ ! -e "$u.active" ]; then echo LoadState=not-found; elif [ "$(cat "$u.enabled")" = masked ]; then echo LoadState=masked; else echo LoadState=loaded; fi',
      '        echo "ActiveState=$(cat "$u.active" 2>/dev/null || echo inactive)"',
      '        if [ -e "$u.unitfile" ]; then echo "UnitFileState=$(cat "$u.unitfile")"; else echo "UnitFileState=$(cat "$u.enabled" 2>/dev/null)"; fi;;',
      '  is-enabled) cat "$u.enabled" 2>/dev/null;;',
      '  start|restart|reload) echo active > "$u.active";;',
      '  stop) echo inactive > "$u.active";;',
      '  enable) echo enabled > "$u.enabled";;',
      '  disable) echo disabled > "$u.enabled";;',
      '  mask) echo masked > "$u.enabled";;',
      '  unmask) echo disabled > "$u.enabled";;',
      'esac',
    ].join('\n'),
  });
}

test('service: one probe, one systemctl line; idempotent; check mode does nothing', async () => {
  const dir = tempDir();
  try {
    const env = { PATH: systemctlTool(dir) };
    writeFileSync(join(dir, 'units', 'libvirtd.active'), 'inactive\n');
    writeFileSync(join(dir, 'units', 'libvirtd.enabled'), 'disabled\n');
    const args = { name: 'libvirtd', state: 'started', enabled: true };
    const check = await runModule(serviceModule, args, makeContext({ env, check: true }));
    assert.is(check.changed, true);
    // One systemctl for the probe: a native unit needs no is-enabled.
    assert.equal(log(dir, 'systemctl.log'), ['show libvirtd']);
    const first = await runModule(serviceModule, args, makeContext({ env }));
    assert.is(first.changed, true);
    assert.equal(log(dir, 'systemctl.log').slice(1), ['show libvirtd', 'enable libvirtd', 'start libvirtd']);
    const second = await runModule(serviceModule, args, makeContext({ env }));
    assert.is(second.changed, false);
    assert.equal(second.status, { LoadState: 'loaded', ActiveState: 'active', UnitFileState: 'enabled' });
    const restarted = await runModule(serviceModule, { name: 'libvirtd', state: 'restarted' }, makeContext({ env }));
    assert.is(restarted.changed, true);
    const stopped = await runModule(serviceModule, { name: 'libvirtd', state: 'stopped', masked: true }, makeContext({ env }));
    assert.is(stopped.changed, true);
    assert.equal(log(dir, 'systemctl.log').slice(-2), ['mask libvirtd', 'stop libvirtd']);
    const missing = await runModule(serviceModule, { name: 'nosuch', state: 'started' }, makeContext({ env }));
    assert.equal([missing.failed, missing.msg], [true, 'Could not find the requested service nosuch: host']);
  } finally {
    removeDir(dir);
  }
});

test('service: a masked unit reads as masked, unmask comes before enable and start', async () => {
  const dir = tempDir();
  try {
    const env = { PATH: systemctlTool(dir) };
    writeFileSync(join(dir, 'units', 'iptables.active'), 'inactive\n');
    writeFileSync(join(dir, 'units', 'iptables.enabled'), 'masked\n');
    const args = { name: 'iptables', state: 'started', enabled: true, masked: false };
    const run = await runModule(serviceModule, args, makeContext({ env, check: true }));
    assert.equal([run.changed, run.status], [true, { LoadState: 'masked', ActiveState: 'inactive', UnitFileState: 'masked' }]);
    await runModule(serviceModule, args, makeContext({ env }));
    assert.equal(log(dir, 'systemctl.log').slice(1), ['show iptables', 'unmask iptables', 'enable iptables', 'start iptables']);
  } finally {
    removeDir(dir);
  }
});

test('service: a template instance takes is-enabled over show (EL7 shows the template state)', async () => {
  const dir = tempDir();
  try {
    const env = { PATH: systemctlTool(dir) };
    writeFileSync(join(dir, 'units', 'getty@tty2.active'), 'active\n');
    writeFileSync(join(dir, 'units', 'getty@tty2.enabled'), 'enabled\n');
    writeFileSync(join(dir, 'units', 'getty@tty2.unitfile'), 'disabled\n');
    const run = await runModule(serviceModule, { name: 'getty@tty2', enabled: true }, makeContext({ env }));
    assert.equal([run.changed, run.status], [false, { LoadState: 'loaded', ActiveState: 'active', UnitFileState: 'enabled' }]);
    assert.equal(log(dir, 'systemctl.log'), ['show getty@tty2', 'is-enabled getty@tty2']);
  } finally {
    removeDir(dir);
  }
});

test('service probe: one systemctl show; is-enabled only for a SysV script or an instance', () => {
  const show = (name: string) => `systemctl show -p LoadState -p ActiveState -p UnitFileState -- ${name} || exit`;
  const isEnabled = (name: string) => `printf UnitFileState=; systemctl is-enabled -- ${name} 2>/dev/null; echo`;
  assert.is(probeScript('libvirtd.socket', false), show('libvirtd.socket'));
  assert.is(probeScript('network.service', true), [
    'systemctl daemon-reload || exit 1',
    show('network.service'),
    `[ ! -e /etc/rc.d/init.d/network ] || { ${isEnabled('network.service')}; }`,
  ].join('\n'));
  // No suffix means .service to systemctl, dots or not.
  assert.match(probeScript('dbus-org.fedoraproject.FirewallD1', false), '[ ! -e /etc/rc.d/init.d/dbus-org.fedoraproject.FirewallD1 ]');
  assert.is(probeScript('getty@tty1.service', false), [show('getty@tty1.service'), isEnabled('getty@tty1.service')].join('\n'));
  assert.match(probeScript("x'; reboot #", false), `-- 'x'\\''; reboot #' || exit`);
});

test('parseUnitStatus: show output for loaded, not-found and masked units; a later line wins', () => {
  assert.equal(parseUnitStatus('LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n'),
    { LoadState: 'loaded', ActiveState: 'active', UnitFileState: 'enabled' });
  assert.equal(parseUnitStatus('LoadState=not-found\nActiveState=inactive\nUnitFileState=\n'),
    { LoadState: 'not-found', ActiveState: 'inactive', UnitFileState: '' });
  assert.equal(parseUnitStatus('LoadState=masked\nActiveState=inactive\nUnitFileState=masked\n'),
    { LoadState: 'masked', ActiveState: 'inactive', UnitFileState: 'masked' });
  // The SysV override: show's empty (219) or "generated" (239) state, then is-enabled's answer.
  assert.equal(parseUnitStatus('LoadState=loaded\nActiveState=active\nUnitFileState=generated\nUnitFileState=disabled\n\n'),
    { LoadState: 'loaded', ActiveState: 'active', UnitFileState: 'disabled' });
  // is-enabled printed nothing (it failed): the state is empty, as the old probe had it.
  assert.equal(parseUnitStatus('LoadState=loaded\nUnitFileState=\nUnitFileState=\n').UnitFileState, '');
  assert.equal(parseUnitStatus('warning: something\nActiveState=failed\n'), { LoadState: '', ActiveState: 'failed', UnitFileState: '' });
});

test('serviceActions: decisions from show states (not-found masking, static never disabled)', () => {
  const notFound = { LoadState: 'not-found', ActiveState: 'inactive', UnitFileState: '' };
  assert.equal(serviceActions({ masked: true, daemon_reload: false }, notFound), ['mask']);
  const masked = { LoadState: 'masked', ActiveState: 'inactive', UnitFileState: 'masked' };
  assert.equal(serviceActions({ masked: true, state: 'stopped', daemon_reload: false }, masked), []);
  const staticUnit = { LoadState: 'loaded', ActiveState: 'active', UnitFileState: 'static' };
  assert.equal(serviceActions({ enabled: false, state: 'reloaded', daemon_reload: false }, staticUnit), ['reload']);
  assert.equal(serviceActions({ enabled: true, daemon_reload: false }, { ...staticUnit, UnitFileState: '' }), ['enable']);
});

/** Fake sysctl keeping kernel values as files. */
function sysctlTool(dir: string): string {
  const k = join(dir, 'kernel');
  mkdirSync(k, { recursive: true });
  return fakeTools(dir, {
    sysctl: [
      `echo "$*" >> ${dir}/sysctl.log`,
      'while [ $# -gt 0 ]; do case $1 in',
      `  -n) shift; cat ${k}/"$1" 2>/dev/null || exit 255; exit 0;;`,
      `  -w) shift; printf '%s\\n' "\${1#*=}" > ${k}/"\${1%%=*}"; exit 0;;`,
      '  -p) exit 0;;',
      '  *) shift;;',
      'esac; done',
    ].join('\n'),
  });
}

test('sysctl file rewriting follows Ansible: k=v once, comments kept, appended when new', () => {
  const file = '# tuning\nnet.ipv4.ip_forward = 0\nvm.swappiness=10\nnet.ipv4.ip_forward=0\n';
  assert.is(
    rewriteSysctlFile(file, 'net.ipv4.ip_forward', '1', 'present'),
    '# tuning\nnet.ipv4.ip_forward=1\nvm.swappiness=10\n',
  );
  assert.is(rewriteSysctlFile(file, 'kernel.pid_max', '65536', 'present'), '# tuning\nnet.ipv4.ip_forward=0\nvm.swappiness=10\nkernel.pid_max=65536\n');
  assert.is(rewriteSysctlFile(file, 'vm.swappiness', '', 'absent'), '# tuning\nnet.ipv4.ip_forward=0\n');
});

test('sysctl: writes the file, sets the kernel, reloads; second run is unchanged', async () => {
  const dir = tempDir();
  try {
    const env = { PATH: sysctlTool(dir) };
    const conf = join(dir, 'sysctl.conf');
    writeFileSync(conf, '# kvm\nnet.ipv4.ip_forward = 0\n');
    writeFileSync(join(dir, 'kernel', 'net.ipv4.ip_forward'), '0\n');
    const args = { name: 'net.ipv4.ip_forward', value: 'yes', sysctl_file: conf, sysctl_set: true };
    const check = await runModule(sysctlModule, args, makeContext({ env, check: true, diff: true }));
    assert.is(check.changed, true);
    assert.equal(check.diff, [{ path: conf, before: '# kvm\nnet.ipv4.ip_forward = 0\n', after: '# kvm\nnet.ipv4.ip_forward=1\n' }]);
    assert.is(readFileSync(conf, 'utf8'), '# kvm\nnet.ipv4.ip_forward = 0\n');
    const first = await runModule(sysctlModule, args, makeContext({ env }));
    assert.equal([first.changed, first.value], [true, '1']);
    assert.is(readFileSync(conf, 'utf8'), '# kvm\nnet.ipv4.ip_forward=1\n');
    assert.is(readFileSync(join(dir, 'kernel', 'net.ipv4.ip_forward'), 'utf8'), '1\n');
    assert.ok(log(dir, 'sysctl.log').includes(`-p ${conf}`));
    const second = await runModule(sysctlModule, args, makeContext({ env }));
    assert.is(second.changed, false);
  } finally {
    removeDir(dir);
  }
});

/** Fake lsmod/modprobe keeping loaded modules in a file. */
function modprobeTools(dir: string): string {
  const loaded = join(dir, 'loaded');
  writeFileSync(loaded, '');
  return fakeTools(dir, {
    lsmod: `echo 'Module Size Used by'; sed 's/$/ 16384 0/' ${loaded}`,
    modprobe: [
      `echo "$*" >> ${dir}/modprobe.log`,
      `if [ "$1" = -r ]; then m=$(echo "$3" | tr - _); grep -vx "$m" ${loaded} > ${loaded}.new; mv ${loaded}.new ${loaded}; else echo "$2" | tr - _ >> ${loaded}; fi`,
    ].join('\n'),
  });
}

test('modprobe: loads once with params, writes persistence files, removes them with absent', async () => {
  const dir = tempDir();
  try {
    const env = { PATH: modprobeTools(dir) };
    const dirs = { modulesLoad: join(dir, 'modules-load.d'), modprobe: join(dir, 'modprobe.d') };
    mkdirSync(dirs.modulesLoad);
    mkdirSync(dirs.modprobe);
    const mod = createModprobeModule(dirs);
    const args = { name: 'vfio-pci', params: 'ids=10de:1eb8,10de:10f8 disable_vga=1', persistent: 'present' };
    const check = await runModule(mod, args, makeContext({ env, check: true }));
    assert.is(check.changed, true);
    assert.equal(log(dir, 'modprobe.log'), []);
    assert.not.ok(existsSync(join(dirs.modulesLoad, 'vfio-pci.conf')));
    const first = await runModule(mod, args, makeContext({ env }));
    assert.is(first.changed, true);
    assert.equal(log(dir, 'modprobe.log'), ['-- vfio-pci ids=10de:1eb8,10de:10f8 disable_vga=1']);
    assert.is(readFileSync(join(dirs.modulesLoad, 'vfio-pci.conf'), 'utf8'), 'vfio-pci\n');
    assert.is(readFileSync(join(dirs.modprobe, 'vfio-pci.conf'), 'utf8'), 'options vfio-pci ids=10de:1eb8,10de:10f8\noptions vfio-pci disable_vga=1\n');
    const second = await runModule(mod, args, makeContext({ env }));
    assert.is(second.changed, false);
    const gone = await runModule(mod, { name: 'vfio-pci', state: 'absent', persistent: 'absent' }, makeContext({ env, diff: true }));
    assert.is(gone.changed, true);
    assert.equal(log(dir, 'modprobe.log').slice(-1), ['-r -- vfio-pci']);
    assert.is(readFileSync(join(dirs.modulesLoad, 'vfio-pci.conf'), 'utf8'), '#vfio-pci\n');
    assert.is(readFileSync(join(dirs.modprobe, 'vfio-pci.conf'), 'utf8'), '#options vfio-pci ids=10de:1eb8,10de:10f8\n#options vfio-pci disable_vga=1\n');
    assert.equal((gone.diff as { path: string }[]).map((d) => d.path), [join(dirs.modulesLoad, 'vfio-pci.conf'), join(dirs.modprobe, 'vfio-pci.conf')]);
    const again = await runModule(mod, { name: 'vfio-pci', state: 'absent', persistent: 'absent' }, makeContext({ env }));
    assert.is(again.changed, false);
  } finally {
    removeDir(dir);
  }
});

test('modprobe persistence plan: listed anywhere counts; old options elsewhere are commented out', () => {
  const dirs = { modulesLoad: '/m', modprobe: '/p' };
  const load = [{ path: '/m/vfio.conf', lines: ['vfio', 'vfio-pci', 'vfio_iommu_type1'] }];
  const options = [
    { path: '/p/vfio.conf', lines: ['# GPU', 'options vfio-pci ids=10de:1eb8'] },
    { path: '/p/blacklist.conf', lines: ['blacklist nouveau'] },
  ];
  const same = planPersistence(dirs, { name: 'vfio-pci', params: 'ids=10de:1eb8', persistent: 'present' }, load, options);
  assert.equal(same, []);
  const moved = planPersistence(dirs, { name: 'vfio-pci', params: 'ids=10de:2236', persistent: 'present' }, load, options);
  assert.equal(moved, [
    { path: '/p/vfio.conf', before: '# GPU\noptions vfio-pci ids=10de:1eb8\n', after: '# GPU\n#options vfio-pci ids=10de:1eb8\n' },
    { path: '/p/vfio-pci.conf', before: '', after: 'options vfio-pci ids=10de:2236\n' },
  ]);
  const fresh = planPersistence(dirs, { name: 'kvm_intel', params: '', persistent: 'present' }, load, options);
  assert.equal(fresh, [{ path: '/m/kvm_intel.conf', before: '', after: 'kvm_intel\n' }]);
});

test.run();
