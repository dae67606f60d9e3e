import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeBoot, type BootState, type NodeFiles } from '../../src/lab/boot.js';
import { parseGrubCfg, parseShellAssignments, expandGrubVariables, parseGrubenv, renderGrubenv } from '../../src/lab/grub.js';
import { parseInitramfs, renderInitramfs } from '../../src/lab/initramfs.js';
import { initialRootFiles } from '../../src/lab/node-files.js';
import { buildProfile, parseProfileChoice, profileForNode, type Profile, type ProfileName } from '../../src/lab/profiles.js';

function memoryFiles(files: Map<string, string>): NodeFiles {
  return {
    read: (path) => files.get(path),
    list: (dir) => [...files.keys()].filter((p) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes('/')).map((p) => p.slice(dir.length + 1)),
  };
}

function node(name: ProfileName): { profile: Profile; files: Map<string, string> } {
  const profile = buildProfile(name, 1);
  return { profile, files: initialRootFiles(profile) };
}

function boot(profile: Profile, files: Map<string, string>, enabledServices: string[] = []): BootState {
  const outcome = computeBoot({ profile, files: memoryFiles(files), availableModules: profile.os.modules, enabledServices });
  if (!outcome.ok) throw new Error(`did not boot: ${outcome.console}`);
  return outcome.state;
}

const VFIO_IMAGE_FILES = new Map([
  ['/etc/modprobe.d/vfio.conf', 'options vfio-pci ids=10de:1eb8\n'],
  ['/etc/modules-load.d/vfio.conf', 'vfio\nvfio_iommu_type1\nvfio_pci\n'],
]);

function withImage(profile: Profile, files: Map<string, string>, drivers: string[], snapshot = VFIO_IMAGE_FILES): void {
  const kernel = profile.os.kernel;
  files.set(`/boot/initramfs-${kernel}.img`, renderInitramfs({ kernel, drivers, forceDrivers: [], files: snapshot }));
}

test('a fresh Stream 8 node boots its BLS entry with $kernelopts expanded and nouveau on the T4', () => {
  const { profile, files } = node('intel-gpu');
  const state = boot(profile, files);
  assert.is(state.kernel, '4.18.0-553.el8.x86_64');
  assert.is(state.cmdline, 'BOOT_IMAGE=/vmlinuz-4.18.0-553.el8.x86_64 root=/dev/mapper/cs-root ro crashkernel=auto resume=/dev/mapper/cs-swap rd.lvm.lv=cs/root rd.lvm.lv=cs/swap rhgb quiet');
  assert.is(state.iommu, false);
  assert.is(state.drivers['0000:3b:00.0'], 'nouveau');
  assert.is(state.drivers['0000:18:00.0'], 'igb');
  assert.is(state.selinux, 'enforcing');
  assert.ok(state.modules.includes('kvm_intel'));
  assert.not.ok(state.dmesg.some((l) => l.includes('DMAR')));
});

test('BLS: a new kernelopts in grubenv changes the cmdline; the full vfio recipe binds vfio-pci and shows DMAR', () => {
  const { profile, files } = node('intel-gpu');
  const env = parseGrubenv(files.get('/boot/grub2/grubenv'));
  env.kernelopts += ' intel_iommu=on iommu=pt rd.driver.pre=vfio-pci';
  files.set('/boot/grub2/grubenv', renderGrubenv(env));
  withImage(profile, files, ['vfio', 'vfio_iommu_type1', 'vfio_pci']);
  const state = boot(profile, files);
  assert.match(state.cmdline, / intel_iommu=on iommu=pt rd.driver.pre=vfio-pci$/);
  assert.is(state.iommu, true);
  assert.is(state.drivers['0000:3b:00.0'], 'vfio-pci');
  assert.ok(state.modules.includes('vfio_pci') && state.modules.includes('vfio_virqfd'));
  assert.not.ok(state.modules.includes('nouveau'));
  assert.ok(state.dmesg.some((l) => l.endsWith('DMAR: IOMMU enabled')));
  assert.ok(state.dmesg.some((l) => l.endsWith('iommu: Adding device 0000:3b:00.0 to group 30')));
});

test('an initramfs without vfio-pci leaves nouveau on the GPU even with the vfio options on disk', () => {
  const { profile, files } = node('intel-gpu');
  for (const [path, content] of VFIO_IMAGE_FILES) files.set(path, content);
  const state = boot(profile, files);
  assert.is(state.drivers['0000:3b:00.0'], 'nouveau');
});

test('blacklisting nouveau on disk lets the late-loaded vfio-pci claim the GPU', () => {
  const { profile, files } = node('intel-gpu');
  for (const [path, content] of VFIO_IMAGE_FILES) files.set(path, content);
  files.set('/etc/modprobe.d/blacklist.conf', 'blacklist nouveau\noptions nouveau modeset=0\n');
  const env = parseGrubenv(files.get('/boot/grub2/grubenv'));
  env.kernelopts += ' intel_iommu=on';
  files.set('/boot/grub2/grubenv', renderGrubenv(env));
  assert.is(boot(profile, files).drivers['0000:3b:00.0'], 'vfio-pci');
});

test('vfio-pci without the IOMMU fails to probe and leaves the GPU without a driver', () => {
  const { profile, files } = node('intel-gpu');
  withImage(profile, files, ['vfio', 'vfio_iommu_type1', 'vfio_pci']);
  const state = boot(profile, files);
  assert.is(state.drivers['0000:3b:00.0'], undefined);
  assert.ok(state.dmesg.some((l) => l.endsWith('vfio-pci: probe of 0000:3b:00.0 failed with error -22')));
});

test('AMD needs amd_iommu=on; both functions of each A6000 go to vfio-pci when both ids are listed', () => {
  const { profile, files } = node('amd-gpu');
  const env = parseGrubenv(files.get('/boot/grub2/grubenv'));
  env.kernelopts += ' intel_iommu=on';
  files.set('/boot/grub2/grubenv', renderGrubenv(env));
  assert.is(boot(profile, files).iommu, false);
  env.kernelopts += ' amd_iommu=on rd.driver.pre=vfio-pci';
  files.set('/boot/grub2/grubenv', renderGrubenv(env));
  withImage(profile, files, ['vfio_pci'], new Map([['/etc/modprobe.d/vfio.conf', 'options vfio-pci ids=10de:2230,10de:1aef\n']]));
  const state = boot(profile, files);
  assert.equal(
    ['0000:41:00.0', '0000:41:00.1', '0000:c1:00.0', '0000:c1:00.1'].map((a) => state.drivers[a]),
    ['vfio-pci', 'vfio-pci', 'vfio-pci', 'vfio-pci'],
  );
  assert.ok(state.dmesg.some((l) => l.includes('AMD-Vi: Found IOMMU')));
});

test('CentOS 7 on UEFI boots from EFI/centos/grub.cfg: editing /boot/grub2/grub.cfg changes nothing', () => {
  const { profile, files } = node('uefi');
  const efiCfg = files.get('/boot/efi/EFI/centos/grub.cfg')!;
  files.set('/boot/grub2/grub.cfg', efiCfg.replace('rhgb quiet', 'rhgb quiet intel_iommu=on'));
  let state = boot(profile, files);
  assert.is(state.iommu, false);
  assert.match(state.cmdline, /^BOOT_IMAGE=\/vmlinuz-3\.10\.0-1160\.el7\.x86_64 root=\/dev\/mapper\/centos-root ro /);
  files.set('/boot/efi/EFI/centos/grub.cfg', efiCfg.replace('rhgb quiet', 'rhgb quiet intel_iommu=on'));
  state = boot(profile, files);
  assert.is(state.iommu, true);
});

test('SELinux mode follows /etc/selinux/config and selinux=0 / enforcing=0', () => {
  const { profile, files } = node('centos7');
  files.set('/etc/selinux/config', 'SELINUX=disabled\nSELINUXTYPE=targeted\n');
  assert.is(boot(profile, files).selinux, 'disabled');
  files.set('/etc/selinux/config', 'SELINUX=enforcing\n');
  const cfg = files.get('/boot/grub2/grub.cfg')!.replace('rhgb quiet', 'rhgb quiet enforcing=0');
  files.set('/boot/grub2/grub.cfg', cfg);
  assert.is(boot(profile, files).selinux, 'permissive');
});

test('a missing initramfs or kernel panics instead of booting', () => {
  const { profile, files } = node('centos7');
  files.delete(`/boot/initramfs-${profile.os.kernel}.img`);
  const outcome = computeBoot({ profile, files: memoryFiles(files), availableModules: [], enabledServices: [] });
  assert.equal(outcome.ok, false);
  assert.match(outcome.ok ? '' : outcome.console, /Kernel panic/);
});

test('novirt has no kvm modules; enabled openvswitch loads its module', () => {
  const { profile, files } = node('novirt');
  const state = boot(profile, files, ['openvswitch']);
  assert.not.ok(state.modules.includes('kvm'));
  assert.ok(state.modules.includes('openvswitch'));
});

test('grub helpers: shell assignments, menu entries, variable expansion, initramfs round trip', () => {
  assert.equal(parseShellAssignments('A="x y"\n# B=1\nC=\'q\'\nD=plain # note\n'), { A: 'x y', C: 'q', D: 'plain' });
  const cfg = parseGrubCfg("menuentry 'T' --class x {\n\tlinuxefi /vmlinuz-K root=/r ro a=b\n\tinitrdefi /initramfs-K.img\n}\n");
  assert.equal(cfg.entries, [{ title: 'T', linux: '/vmlinuz-K', initrd: '/initramfs-K.img', args: 'root=/r ro a=b' }]);
  assert.is(expandGrubVariables('$kernelopts  ${tuned_params} x', { kernelopts: 'root=/r ro' }), 'root=/r ro x');
  const image = { kernel: 'K', drivers: ['vfio_pci'], forceDrivers: [], files: new Map([['/etc/modprobe.d/a.conf', 'blacklist nouveau\n']]) };
  assert.equal(parseInitramfs(renderInitramfs(image)), image);
  assert.is(parseInitramfs('not an image'), undefined);
});

test('--profile: mixed cycles through every profile starting with the master; lists cycle; unknown names are refused', () => {
  const mixed = parseProfileChoice('mixed')!;
  assert.equal([1, 2, 7, 8].map((i) => profileForNode(mixed, i)), ['master', 'intel-gpu', 'shared-group', 'master']);
  assert.equal([1, 2, 3].map((i) => profileForNode(parseProfileChoice('uefi,centos7')!, i)), ['uefi', 'centos7', 'uefi']);
  assert.is(parseProfileChoice('intel-gpu,gpu'), undefined);
});

test.run();
