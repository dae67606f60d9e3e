import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FactGatheringError, parseFacts } from '../../src/facts/parse.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/facts/${name}`, import.meta.url), 'utf8');

const centos7 = parseFacts(fixture('centos79-bios-intel-t4.out'));
const stream8 = parseFacts(fixture('stream8-uefi-amd-a100.out'));

test('CentOS 7.9: distribution facts as Ansible reports them', () => {
  assert.is(centos7.distribution, 'CentOS');
  assert.is(centos7.distribution_version, '7.9');
  assert.is(centos7.distribution_major_version, '7');
  assert.is(centos7.distribution_release, 'Core');
  assert.is(centos7.os_family, 'RedHat');
  assert.is(centos7.os_id, 'centos');
  assert.is(centos7.kernel, '3.10.0-1160.el7.x86_64');
  assert.is(centos7.kernel_version, '#1 SMP Mon Oct 19 16:18:59 UTC 2020');
  assert.is(centos7.architecture, 'x86_64');
  assert.is(centos7.nodename, 'gpu-node01.example.lan');
  assert.is(centos7.hostname, 'gpu-node01');
  assert.is(centos7.fqdn, 'gpu-node01.example.lan');
});

test('Stream 8: version "8", release "Stream"', () => {
  assert.is(stream8.distribution, 'CentOS');
  assert.is(stream8.distribution_version, '8');
  assert.is(stream8.distribution_major_version, '8');
  assert.is(stream8.distribution_release, 'Stream');
  assert.is(stream8.os_family, 'RedHat');
  assert.is(stream8.hostname, 'gpu-node02');
  assert.is(stream8.fqdn, 'gpu-node02.dc1.example.lan');
});

test('CPU: Ansible-shaped processor list, counts, vendor and virtualisation flag', () => {
  assert.is(centos7.processor_vcpus, 20);
  assert.is(centos7.processor_count, 1);
  assert.is(centos7.processor_cores, 10);
  assert.is(centos7.processor_threads_per_core, 2);
  assert.equal(centos7.processor.slice(0, 3), ['0', 'GenuineIntel', 'Intel(R) Xeon(R) Silver 4210R CPU @ 2.40GHz']);
  assert.is(centos7.processor.length, 60);
  assert.is(centos7.cpu_vendor, 'GenuineIntel');
  assert.is(centos7.virt_flag, 'vmx');

  assert.is(stream8.processor_vcpus, 32);
  assert.is(stream8.processor_cores, 16);
  assert.is(stream8.cpu_vendor, 'AuthenticAMD');
  // "svm_lock" and "v_vmsave_vmload" are in the flags too; only the exact flag counts.
  assert.is(stream8.virt_flag, 'svm');
});

test('memory and mounts in Ansible units (MiB, bytes)', () => {
  assert.is(centos7.memtotal_mb, 64153);
  assert.equal(centos7.mounts, [
    { mount: '/', device: '/dev/mapper/centos-root', fstype: 'xfs', size_total: 52403200 * 1024, size_available: 50051984 * 1024 },
    {
      mount: '/home',
      device: '/dev/mapper/centos-home',
      fstype: 'xfs',
      size_total: 1893514240 * 1024,
      size_available: 1893481140 * 1024,
    },
  ]);
  assert.is(stream8.memtotal_mb, 257555);
});

test('kernel command line: raw, argument list and Ansible-style dict', () => {
  assert.is(
    centos7.proc_cmdline,
    'BOOT_IMAGE=/vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/mapper/centos-root ro crashkernel=auto spectre_v2=retpoline rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet LANG=en_US.UTF-8',
  );
  assert.is(centos7.cmdline.ro, true);
  assert.is(centos7.cmdline.root, '/dev/mapper/centos-root');
  assert.is(centos7.cmdline['rd.lvm.lv'], 'centos/swap', 'the last repeat wins, as in Ansible');
  assert.is(centos7.cmdline.intel_iommu, undefined);
  assert.is(stream8.cmdline.BOOT_IMAGE, '(hd0,gpt2)/vmlinuz-4.18.0-552.el8.x86_64');
  assert.ok(stream8.cmdline_args.includes('video=efifb:off'));
  assert.ok(stream8.cmdline_args.includes('video=vesafb:off'), 'repeated keys stay visible in cmdline_args');
  assert.is(stream8.cmdline.amd_iommu, 'on');
  assert.is(centos7.boot_id, '5c3e8f0a-2d4b-4b7e-9f61-0b8c7a1d9e24');
});

test('boot loader: BIOS EL7 with a newer default kernel than the running one', () => {
  assert.is(centos7.boot_mode, 'bios');
  assert.is(centos7.grub_cfg_path, '/boot/grub2/grub.cfg');
  assert.is(centos7.default_kernel, '/boot/vmlinuz-3.10.0-1160.119.1.el7.x86_64');
  assert.is(centos7.default_kernel_version, '3.10.0-1160.119.1.el7.x86_64');
  assert.is.not(centos7.default_kernel_version, centos7.kernel);
  assert.is(centos7.bls_enabled, false);
  assert.is(centos7.grub_cmdline_linux, 'crashkernel=auto spectre_v2=retpoline rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet');
});

test('boot loader: UEFI Stream 8 reads the EFI vendor grub.cfg and uses BLS', () => {
  assert.is(stream8.boot_mode, 'uefi');
  assert.is(stream8.grub_cfg_path, '/boot/efi/EFI/centos/grub.cfg');
  assert.is(stream8.default_kernel_version, '4.18.0-552.el8.x86_64');
  assert.is(stream8.bls_enabled, true);
  assert.ok(stream8.grub_cmdline_linux?.endsWith('amd_iommu=on iommu=pt rd.driver.pre=vfio-pci video=efifb:off video=vesafb:off'));
});

test('SELinux, firewalld and iptables states', () => {
  assert.equal(centos7.selinux, { status: 'enabled', mode: 'enforcing', config_mode: 'enforcing' });
  assert.equal(stream8.selinux, { status: 'disabled', mode: 'disabled', config_mode: 'disabled' });
  assert.is(centos7.firewalld_state, 'active');
  assert.is(centos7.iptables_state, 'unknown');
  assert.is(stream8.firewalld_state, 'inactive');
});

test('NICs with addresses, default route and the SSH interface', () => {
  assert.equal(centos7.nics, [
    { name: 'eno1', mac: 'ac:1f:6b:4a:10:2e', state: 'up', physical: true, master: null, ipv4: ['10.20.0.11/24'] },
    { name: 'eno2', mac: 'ac:1f:6b:4a:10:2f', state: 'down', physical: true, master: null, ipv4: [] },
    { name: 'lo', mac: '00:00:00:00:00:00', state: 'unknown', physical: false, master: null, ipv4: ['127.0.0.1/8'] },
  ]);
  assert.equal(centos7.default_route, { interface: 'eno1', gateway: '10.20.0.1' });
  assert.is(centos7.ssh_interface, 'eno1');

  const eno2 = stream8.nics.find((n) => n.name === 'eno2');
  assert.is(eno2?.master, 'ovs-system');
  assert.equal(stream8.nics.find((n) => n.name === 'br0')?.ipv4, ['172.16.0.1/24']);
  assert.is(stream8.ssh_interface, 'eno1');
});

test('modules, IOMMU and vfio_virqfd', () => {
  assert.equal(centos7.loaded_modules, ['kvm', 'kvm_intel', 'nouveau']);
  assert.is(centos7.iommu_enabled, false);
  assert.is(centos7.vfio_virqfd_available, false);
  assert.ok(stream8.loaded_modules.includes('vfio_pci'));
  assert.is(stream8.iommu_enabled, true);
  assert.is(stream8.vfio_virqfd_available, true);
});

test('CentOS 7 T4 before IOMMU is on: no group, not passable, nouveau bound', () => {
  const t4 = centos7.gpus.find((g) => g.id === '10de:1eb8');
  assert.equal(t4, {
    addr: '0000:3b:00.0',
    id: '10de:1eb8',
    class: '0x030200',
    driver: 'nouveau',
    vendor_id: '10de',
    device_id: '1eb8',
    subsystem_id: '10de:12a2',
    model: 'Tesla T4',
    kind: '3d',
    iommu_group: null,
    group_members: [],
    slot_functions: [],
    passthrough_ok: false,
    passthrough_blockers: [],
    mig_capable: false,
    vgpu_mode: 'timesliced',
  });
  const bmc = centos7.gpus.find((g) => g.vendor_id === '1a03');
  assert.is(bmc?.model, null);
  assert.is(bmc?.kind, 'vga');
  assert.is(centos7.gpus.length, 2);
});

test('Stream 8: two A100 alone in their groups, A6000 with its HDMI audio function', () => {
  const byAddr = new Map(stream8.gpus.map((g) => [g.addr, g]));
  assert.equal([...byAddr.keys()], ['0000:41:00.0', '0000:63:00.0', '0000:81:00.0', '0000:c1:00.0']);

  for (const addr of ['0000:41:00.0', '0000:c1:00.0']) {
    const a100 = byAddr.get(addr)!;
    assert.is(a100.model, 'A100 PCIe 80GB');
    assert.is(a100.mig_capable, true);
    assert.is(a100.vgpu_mode, 'mig+timesliced');
    assert.is(a100.driver, 'vfio-pci');
    assert.is(a100.passthrough_ok, true);
    assert.equal(a100.group_members.map((m) => m.addr), [addr]);
  }
  assert.is(byAddr.get('0000:41:00.0')!.iommu_group, 27);

  const a6000 = byAddr.get('0000:81:00.0')!;
  assert.is(a6000.model, 'RTX A6000');
  assert.is(a6000.kind, 'vga');
  assert.is(a6000.mig_capable, false);
  assert.is(a6000.vgpu_mode, 'timesliced');
  assert.equal(a6000.slot_functions, [{ addr: '0000:81:00.1', id: '10de:1aef', class: '0x040300', driver: 'vfio-pci' }]);
  assert.equal(a6000.group_members.map((m) => m.addr), ['0000:81:00.0', '0000:81:00.1']);
  assert.is(a6000.passthrough_ok, true);
  assert.equal(a6000.passthrough_blockers, []);

  // The BMC's VGA shares its group with the ASPEED PCI bridge only: bridges do not break isolation.
  const bmc = byAddr.get('0000:63:00.0')!;
  assert.is(bmc.model, null);
  assert.is(bmc.vgpu_mode, 'unknown');
  assert.equal(bmc.group_members.map((m) => m.class), ['0x060400', '0x030000']);
  assert.is(bmc.passthrough_ok, true);
});

test('text printed around the frame is ignored', () => {
  const output = `Last login: Sat Nov 28\nplay_facts_begin=1\nkernel=4.18.0-552.el8.x86_64\nplay_facts_end=1\nbye\n`;
  assert.is(parseFacts(output).kernel, '4.18.0-552.el8.x86_64');
});

test('a bare host (no files, no commands) gives null or empty facts, not errors', () => {
  const facts = parseFacts('play_facts_begin=1\nboot_mode=bios\niommu_units=0\niommu_groups=0\nplay_facts_end=1\n');
  assert.is(facts.distribution, null);
  assert.is(facts.distribution_version, null);
  assert.is(facts.kernel, null);
  assert.is(facts.memtotal_mb, null);
  assert.is(facts.virt_flag, null);
  assert.is(facts.processor_vcpus, 0);
  assert.equal(facts.mounts, []);
  assert.equal(facts.cmdline, {});
  assert.is(facts.proc_cmdline, null);
  assert.is(facts.default_kernel, null);
  assert.is(facts.default_kernel_version, null);
  assert.is(facts.grub_cmdline_linux, null);
  assert.equal(facts.selinux, { status: 'disabled', mode: 'disabled', config_mode: null });
  assert.is(facts.firewalld_state, null);
  assert.equal(facts.nics, []);
  assert.is(facts.default_route, null);
  assert.is(facts.ssh_interface, null);
  assert.is(facts.vfio_virqfd_available, null);
  assert.equal(facts.gpus, []);
});

test("SELinux's mode from selinuxfs's enforce file, disabled without it", () => {
  const permissive = parseFacts('play_facts_begin=1\nselinuxfs_enforce=0\nselinux_config=SELINUX="enforcing"\nplay_facts_end=1\n');
  assert.equal(permissive.selinux, { status: 'enabled', mode: 'permissive', config_mode: 'enforcing' });
  const enforcing = parseFacts('play_facts_begin=1\nselinuxfs_enforce=1\nplay_facts_end=1\n');
  assert.equal(enforcing.selinux, { status: 'enabled', mode: 'enforcing', config_mode: null });
  const disabled = parseFacts('play_facts_begin=1\nselinux_config=SELINUX=enforcing\nplay_facts_end=1\n');
  assert.equal(disabled.selinux, { status: 'disabled', mode: 'disabled', config_mode: 'enforcing' });
});

test('an SSH session on a loopback alias belongs to lo', () => {
  const facts = parseFacts(
    'play_facts_begin=1\nnic=lo\t00:00:00:00:00:00\tunknown\t0\t\n' +
      'ipv4=1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n' +
      'ssh_connection=127.0.0.1 40000 127.0.0.3 2203\nplay_facts_end=1\n',
  );
  assert.is(facts.ssh_interface, 'lo');
});

test('UEFI on RHEL picks EFI/redhat; without a readable /boot/efi the vendor default', () => {
  const base = 'play_facts_begin=1\nboot_mode=uefi\n';
  const rhel = parseFacts(`${base}os_release=ID="rhel"\nefi_grub_cfg=/boot/efi/EFI/redhat/grub.cfg\nplay_facts_end=1\n`);
  assert.is(rhel.grub_cfg_path, '/boot/efi/EFI/redhat/grub.cfg');
  const onlyRedhatDir = parseFacts(`${base}os_release=ID=centos\nefi_grub_cfg=/boot/efi/EFI/redhat/grub.cfg\nplay_facts_end=1\n`);
  assert.is(onlyRedhatDir.grub_cfg_path, '/boot/efi/EFI/redhat/grub.cfg');
  const unreadable = parseFacts(`${base}os_release=ID=centos\nplay_facts_end=1\n`);
  assert.is(unreadable.grub_cfg_path, '/boot/efi/EFI/centos/grub.cfg');
});

test('output without the frame is an error saying what is missing', () => {
  assert.throws(() => parseFacts('sh: 1: Syntax error\n'), (e: unknown) => e instanceof FactGatheringError && /play_facts_begin=1/.test(e.message));
  assert.throws(
    () => parseFacts('play_facts_begin=1\nkernel=3.10.0\n'),
    (e: unknown) => e instanceof FactGatheringError && /cut short/.test(e.message),
  );
});

test.run();
