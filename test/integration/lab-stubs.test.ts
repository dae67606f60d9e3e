/**
 * The stub commands over real SSH on a two-node lab (CentOS 7 on UEFI, Stream 8 with BLS): grub
 * editing and which config the firmware reads, SELinux across a reboot, services, firewall, packages,
 * OVS and ip, module binding, and the exact listings (lsmod, lspci, grubby, uname, ip route, yum)
 * the stubs print. Needs root, sshd and iproute2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { labCommand } from '../../src/lab/cli.js';
import { labLayout } from '../../src/lab/layout.js';
import { parseUnitStatus, probeScript } from '../../src/modules/service.js';

const dir = mkdtempSync(join(tmpdir(), 'play-lab-stubs-'));
const lab = labLayout(dir);
const SUBNET = 232;
const UEFI = 1;
const STREAM = 2;

function ssh(node: number, command: string): { rc: number; stdout: string; stderr: string } {
  const result = spawnSync('ssh', [
    '-i', lab.key, '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes',
    `root@127.0.${SUBNET}.${node}`, command,
  ], { encoding: 'utf8', timeout: 30_000 });
  return { rc: result.status ?? 255, stdout: result.stdout, stderr: result.stderr };
}

function ok(node: number, command: string): string {
  const run = ssh(node, command);
  assert.is(run.rc, 0, `${command}: rc ${run.rc}, ${run.stderr}`);
  return run.stdout;
}

/** Reboots over SSH and waits until the node answers with a new boot id. */
async function reboot(node: number): Promise<void> {
  const before = ok(node, 'cat /proc/sys/kernel/random/boot_id');
  ssh(node, 'shutdown -r 0');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = ssh(node, 'cat /proc/sys/kernel/random/boot_id');
    if (now.rc === 0 && now.stdout !== before) return;
  }
  throw new Error(`node${node} did not come back`);
}

const Stubs = suite('lab stubs');

Stubs.before(async () => {
  let output = '';
  const code = await labCommand(['up', '2', '--profile', 'uefi,intel-gpu', '--subnet', String(SUBNET), '--dir', dir], (s) => (output += s));
  assert.is(code, 0, output);
});

Stubs.after(async () => {
  await labCommand(['down', '--dir', dir], () => {});
  rmSync(dir, { recursive: true, force: true });
});

Stubs('UEFI: mkconfig into /boot/grub2 changes nothing at boot; into EFI/centos it does', async () => {
  assert.match(ok(UEFI, '[ -d /var/lib/play-lab/sys/firmware/efi ] && echo uefi'), /^uefi$/m);
  ok(UEFI, `sed -i 's/^GRUB_CMDLINE_LINUX="\\(.*\\)"/GRUB_CMDLINE_LINUX="\\1 intel_iommu=on"/' /etc/default/grub && grub2-mkconfig -o /boot/grub2/grub.cfg`);
  await reboot(UEFI);
  assert.not.match(ok(UEFI, 'cat /proc/cmdline'), /intel_iommu=on/);
  const mkconfig = ssh(UEFI, 'grub2-mkconfig -o /boot/efi/EFI/centos/grub.cfg');
  assert.match(mkconfig.stderr, /Found linux image: \/boot\/vmlinuz-3\.10\.0-1160\.el7\.x86_64\nFound initrd image: \/boot\/initramfs-3\.10\.0-1160\.el7\.x86_64\.img\ndone/);
  assert.match(ok(UEFI, 'cat /boot/efi/EFI/centos/grub.cfg'), /\tlinuxefi \/vmlinuz-3\.10\.0-1160\.el7\.x86_64 root=\/dev\/mapper\/centos-root ro .* intel_iommu=on\n/);
  await reboot(UEFI);
  assert.match(ok(UEFI, 'cat /proc/cmdline'), / intel_iommu=on\n$/);
  assert.match(ok(UEFI, 'ls /var/lib/play-lab/sys/class/iommu'), /^dmar0$/m);
  // CentOS 7's kernel in the lab has no vfio_virqfd: roles must probe before listing it.
  assert.is(ssh(UEFI, 'modinfo -k $(uname -r) vfio_virqfd').rc, 1);
  const dracut = ssh(UEFI, `echo 'add_drivers+=" vfio_pci vfio_virqfd "' > /etc/dracut.conf.d/vfio.conf; dracut -f`);
  assert.is(dracut.rc, 1);
  assert.match(dracut.stderr, /dracut-install: Failed to find module 'vfio_virqfd'/);
});

Stubs('grubby edits EL7 menu entries and EL8 kernelopts / BLS entries', () => {
  ok(UEFI, 'grubby --update-kernel=ALL --args="iommu=pt rhgb=x" --remove-args="quiet"');
  assert.match(ok(UEFI, 'grubby --info=ALL'), /^index=0\nkernel="\/boot\/vmlinuz-3\.10\.0-1160\.el7\.x86_64"\nargs="ro crashkernel=auto rd\.lvm\.lv=centos\/root rd\.lvm\.lv=centos\/swap intel_iommu=on iommu=pt rhgb=x"\nroot="\/dev\/mapper\/centos-root"\n/);
  assert.is(ok(STREAM, 'grubby --default-kernel'), '/boot/vmlinuz-4.18.0-553.el8.x86_64\n');
  ok(STREAM, 'grubby --update-kernel=ALL --args="intel_iommu=on iommu=pt"');
  assert.match(ok(STREAM, 'grep ^kernelopts= /boot/grub2/grubenv'), / rhgb quiet intel_iommu=on iommu=pt\n$/);
  assert.match(ok(STREAM, 'grep ^options /boot/loader/entries/*.conf'), /^options \$kernelopts \$tuned_params$/m);
  ok(STREAM, 'grubby --update-kernel=ALL --remove-args="iommu=pt"');
  assert.match(ok(STREAM, 'grubby --info=DEFAULT'), /\nargs="ro crashkernel=auto resume=\/dev\/mapper\/cs-swap rd\.lvm\.lv=cs\/root rd\.lvm\.lv=cs\/swap rhgb quiet intel_iommu=on"\n/);
});

Stubs('SELinux: setenforce is runtime only, SELINUX=disabled takes effect at the next boot', async () => {
  // The mode lives where the kernel shows it, in the simulated selinuxfs the facts read.
  const enforce = 'cat /var/lib/play-lab/sys/fs/selinux/enforce';
  assert.is(ok(STREAM, `${enforce}; getenforce; setenforce 0; getenforce; ${enforce}`), '1\nEnforcing\nPermissive\n0\n');
  ok(STREAM, "sed -i 's/^SELINUX=.*/SELINUX=disabled/' /etc/selinux/config");
  assert.is(ok(STREAM, 'getenforce'), 'Permissive\n');
  await reboot(STREAM);
  assert.is(ok(STREAM, 'getenforce; sestatus'), 'Disabled\nSELinux status:                 disabled\n');
  assert.is(ssh(STREAM, 'test -e /var/lib/play-lab/sys/fs/selinux').rc, 1, 'no selinuxfs while SELinux is disabled');
  const refused = ssh(STREAM, 'setenforce 1');
  assert.is(refused.rc, 1);
  assert.match(refused.stderr, /setenforce: SELinux is disabled/);
});

Stubs('services, firewall, iptables and packages keep their state like the real tools', () => {
  assert.is(ssh(STREAM, 'systemctl is-active iptables').stdout, 'inactive\n');
  assert.is(ssh(STREAM, 'systemctl start iptables').rc, 5);
  assert.match(ok(STREAM, 'firewall-cmd --permanent --zone=public --add-port=10000-30000/tcp; firewall-cmd --permanent --add-port=10000-30000/tcp 2>&1'), /^success\nWarning: ALREADY_ENABLED: 10000-30000\/tcp\nsuccess\n$/);
  assert.is(ssh(STREAM, 'firewall-cmd --query-port=10000-30000/tcp').stdout, 'no\n', 'runtime unchanged until --reload');
  assert.is(ok(STREAM, 'firewall-cmd --reload; firewall-cmd --query-port=10000-30000/tcp'), 'success\nyes\n');
  assert.is(ok(STREAM, 'systemctl disable --now firewalld 2>&1; systemctl is-enabled firewalld || true'), 'Removed /etc/systemd/system/multi-user.target.wants/firewalld.service.\ndisabled\n');
  const stopped = ssh(STREAM, 'firewall-cmd --state');
  assert.is(stopped.rc, 252);
  assert.match(ok(STREAM, 'yum install -y iptables-services; rpm -q iptables-services'), /Complete!\niptables-services-1\.0-1\.el8\.x86_64\n$/);
  ok(STREAM, 'systemctl enable --now iptables');
  ok(STREAM, 'iptables -I INPUT -p tcp --dport 4432 -j ACCEPT');
  assert.is(ok(STREAM, 'iptables -C INPUT -p tcp -m tcp --dport 4432 -j ACCEPT && echo present'), 'present\n');
  assert.match(ok(STREAM, 'service iptables save; grep -m1 "^-A" /etc/sysconfig/iptables'), /Saving firewall rules to \/etc\/sysconfig\/iptables:\[  OK  \]\n-A INPUT -p tcp -m tcp --dport 4432 -j ACCEPT\n/);
  assert.match(readFileSync(join(dir, 'nodes/node2/root/etc/sysconfig/iptables'), 'utf8'), /-A INPUT -j REJECT --reject-with icmp-host-prohibited/);
  assert.is(ssh(STREAM, 'rpm -q nope').stdout, 'package nope is not installed\n');
});

Stubs('systemctl show: -p properties in systemd\'s order, as is-active / is-enabled say; not-found and masked', () => {
  const states = '-p LoadState -p ActiveState -p UnitFileState --';
  assert.is(ok(UEFI, `systemctl show ${states} sshd`), 'LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n');
  // systemctl filters the manager's GetAll reply: the order asked for does not matter; commas list several.
  assert.is(ok(UEFI, 'systemctl show -p UnitFileState --property=ActiveState,LoadState sshd.service'), 'LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n');
  assert.is(ok(UEFI, `systemctl show ${states} nosuch`), 'LoadState=not-found\nActiveState=inactive\nUnitFileState=\n');
  assert.is(ssh(UEFI, 'systemctl is-enabled nosuch').stdout, '');
  assert.is(ok(UEFI, 'systemctl show -pLoadState sshd nosuch'), 'LoadState=loaded\n\nLoadState=not-found\n');
  // Without -p only the set properties.
  assert.is(ok(UEFI, 'systemctl show nosuch'), 'Id=nosuch.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n');
  assert.is(ok(UEFI, 'systemctl show sshd'), 'Id=sshd.service\nLoadState=loaded\nActiveState=active\nSubState=running\nFragmentPath=/usr/lib/systemd/system/sshd.service\nUnitFileState=enabled\n');
  ok(UEFI, 'systemctl stop network && systemctl mask network');
  assert.is(ok(UEFI, `systemctl show ${states} network; systemctl is-enabled network || true`), 'LoadState=masked\nActiveState=inactive\nUnitFileState=masked\nmasked\n');
  ok(UEFI, 'systemctl unmask network && systemctl enable --now network');
  // Every unit the node lists: show agrees with is-active and is-enabled.
  const agree = ok(UEFI, [
    'for f in /var/lib/play-lab/services/*; do u=${f##*/}',
    `  [ "$(systemctl show ${states} $u)" = "$(printf 'LoadState=loaded\\nActiveState=%s\\nUnitFileState=%s' "$(systemctl is-active $u)" "$(systemctl is-enabled $u)")" ] || echo "differs: $u"`,
    'done; echo checked',
  ].join('\n'));
  assert.is(agree, 'checked\n');
  // The service module's probe reads the stub as it reads systemd.
  const probe = ssh(UEFI, probeScript('firewalld.service', false));
  assert.is(probe.rc, 0, probe.stderr);
  assert.equal(parseUnitStatus(probe.stdout), { LoadState: 'loaded', ActiveState: 'active', UnitFileState: 'enabled' });
  assert.equal(parseUnitStatus(ssh(UEFI, probeScript('nosuch', false)).stdout), { LoadState: 'not-found', ActiveState: 'inactive', UnitFileState: '' });
});

Stubs('OVS needs its package and service; ip shows the node address and follows changes', () => {
  assert.is(ssh(STREAM, 'ovs-vsctl list-br').rc, 127);
  ok(STREAM, 'yum install -y openvswitch2.13 && systemctl enable --now openvswitch');
  assert.is(ok(STREAM, 'ovs-vsctl add-br br0; ovs-vsctl --may-exist add-br br0; ovs-vsctl add-port br0 eth1; ovs-vsctl list-ports br0; ovs-vsctl br-exists br0 && echo yes'), 'eth1\nyes\n');
  assert.is(ssh(STREAM, 'ovs-vsctl br-exists br9').rc, 2);
  assert.match(ok(STREAM, 'lsmod'), /\nopenvswitch /);
  assert.is(ok(STREAM, "ip -o -4 addr show | awk '{print $2, $4}'"), `lo 127.0.0.1/8\neth0 127.0.${SUBNET}.2/24\n`);
  ok(STREAM, `ip addr flush dev eth0; ip addr add 127.0.${SUBNET}.2/24 dev br0; ip link set br0 up`);
  assert.is(ok(STREAM, "ip -o -4 addr show | awk '{print $2, $4}'"), `lo 127.0.0.1/8\nbr0 127.0.${SUBNET}.2/24\n`);
  assert.match(ok(STREAM, 'ip route show default'), /^default via 127\.0\.232\.254 dev eth0/);
  // -batch: one command a line, from a file or stdin, the options applying to each.
  assert.is(ok(STREAM, "printf 'addr show\\nroute show default\\n' | ip -o -4 -force -batch - | awk '{print $1, $2}'"), `1: lo\n4: br0\ndefault via\n`);
  const missing = ssh(STREAM, 'ip link show dev eth9');
  assert.is(missing.rc, 1);
  assert.match(missing.stderr, /Cannot find device "eth9"/);
});

Stubs('lsmod sizes and users; modprobe vfio-pci claims a free device listed by vendor:device:subsystem', () => {
  // In name order, from the simulated sysfs (module/NAME/initstate) the facts read too.
  const bootModules = 'Module                  Size  Used by\nigb                   308239  1\nkvm                   186089  0\n'
    + 'kvm_intel             350381  0\n';
  assert.is(ok(UEFI, 'lsmod'), `${bootModules}nouveau               222161  1\n`);
  assert.is(ok(UEFI, 'cat /var/lib/play-lab/sys/module/kvm_intel/initstate'), 'live\n');
  // Free the GPU by hand (as `echo ADDR > .../driver/unbind` would), then vfio-pci claims it by its ids.
  ok(UEFI, "echo 'options vfio_pci ids=8086:ffff,10de:1eb8:10de:12a2 disable_vga=1' > /etc/modprobe.d/vfio.conf"
    + " && sed -i '/^0000:3b:00.0 /d' /var/lib/play-lab/run/drivers && modprobe vfio-pci");
  assert.is(ok(UEFI, 'lspci -nnk -s 3b:00.0'), '3b:00.0 3D controller [0302]: NVIDIA Corporation TU104GL [Tesla T4] [10de:1eb8] (rev a1)\n'
    + '\tSubsystem: NVIDIA Corporation Device 12a2\n\tKernel driver in use: vfio-pci\n\tKernel modules: nouveau\n');
  assert.match(ok(UEFI, 'lspci -v -s 0000:3b:00'), /\n\tIOMMU group: 30\n\tKernel driver in use: vfio-pci\n\tKernel modules: nouveau\n\n$/);
  assert.is(ok(UEFI, 'readlink /var/lib/play-lab/sys/bus/pci/devices/0000:3b:00.0/driver'), '../../../../bus/pci/drivers/vfio-pci\n');
  assert.is(ok(UEFI, 'lsmod'), `${bootModules}nouveau               222161  0\nvfio                  568450  0\n`
    + 'vfio_iommu_type1      541111  0\nvfio_pci              289854  1\n');
  const busy = ssh(UEFI, 'modprobe -r vfio-pci');
  assert.is(busy.rc, 1);
  assert.is(busy.stderr, 'modprobe: FATAL: Module vfio_pci is in use.\n');
  ok(UEFI, 'modprobe -r vfio_iommu_type1');
  assert.is(ssh(UEFI, 'test -e /var/lib/play-lab/sys/module/vfio_iommu_type1').rc, 1, 'an unloaded module leaves sysfs');
  assert.not.match(ok(UEFI, 'lsmod'), /vfio_iommu_type1/);
});

Stubs('grubby lists the saved BLS entry first, then the others newest version first', () => {
  ok(STREAM, 'K=4.18.0-553.el8.x86_64; for v in 4.18.0-600.el8.x86_64 4.18.0-1000.el8.x86_64; do cp /boot/vmlinuz-$K /boot/vmlinuz-$v;'
    + ' for f in /boot/loader/entries/*-$K.conf; do sed "s/$K/$v/g" "$f" > "${f%-$K.conf}-$v.conf"; done; done');
  assert.is(ok(STREAM, 'grubby --default-kernel'), '/boot/vmlinuz-4.18.0-553.el8.x86_64\n');
  assert.is(ok(STREAM, 'grubby --info=ALL | grep -E "^(index|kernel)="'), 'index=0\nkernel="/boot/vmlinuz-4.18.0-553.el8.x86_64"\n'
    + 'index=1\nkernel="/boot/vmlinuz-4.18.0-1000.el8.x86_64"\nindex=2\nkernel="/boot/vmlinuz-4.18.0-600.el8.x86_64"\n');
  assert.is(ok(STREAM, 'grubby --set-default=/boot/vmlinuz-4.18.0-1000.el8.x86_64; grubby --default-kernel'),
    'The default is /boot/vmlinuz-4.18.0-1000.el8.x86_64\n/boot/vmlinuz-4.18.0-1000.el8.x86_64\n');
});

Stubs('uname -a, ip route, yum/rpm listings, offline firewall zone and the dracut image print exactly', () => {
  assert.match(ok(STREAM, 'uname -a'), /^Linux node2 4\.18\.0-553\.el8\.x86_64 #1 SMP \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC 19(69|70) x86_64 x86_64 x86_64 GNU\/Linux\n$/);
  // Fields in uname's own order whatever the order asked, as the facts script relies on.
  assert.match(ok(STREAM, 'uname -m -v -r -n'), /^node2 4\.18\.0-553\.el8\.x86_64 #1 SMP .* UTC 19(69|70) x86_64\n$/);
  assert.is(ok(STREAM, 'uname -rm; uname --kernel-release; uname'), '4.18.0-553.el8.x86_64 x86_64\n4.18.0-553.el8.x86_64\nLinux\n');
  assert.is(ok(STREAM, 'ip route'), `default via 127.0.${SUBNET}.254 dev eth0 proto static metric 100\n127.0.${SUBNET}.0/24 dev br0 proto kernel scope link src 127.0.${SUBNET}.2\n`);
  assert.is(ok(STREAM, 'yum list installed openvswitch2.13'), 'Installed Packages\n'
    + `${'openvswitch2.13.x86_64'.padEnd(40)} ${'1.0-1.el8'.padEnd(30)} @anaconda\n`);
  assert.is(ok(STREAM, 'rpm -q kernel openvswitch2.13'), '4.18.0-553.el8.x86_64\nopenvswitch2.13-1.0-1.el8.x86_64\n');
  assert.is(ok(STREAM, 'firewall-offline-cmd --list-all'),
    'public (active)\n  target: default\n  interfaces: eth0\n  services: ssh dhcpv6-client\n  ports: 10000-30000/tcp\n');
  // A dracut.conf.d file without a final newline is snapshotted with one; drivers are named once, with _.
  ok(STREAM, `printf 'add_drivers+=" vfio-pci vfio_pci "' > /etc/dracut.conf.d/vfio.conf && dracut -f`);
  const image = ok(STREAM, 'cat /boot/initramfs-4.18.0-553.el8.x86_64.img');
  assert.match(image, /^#play-lab-initramfs 1\nkernel=4\.18\.0-553\.el8\.x86_64\ndrivers=vfio_pci\nforce_drivers=\n/);
  assert.match(image, /\n>>> \/etc\/dracut\.conf\.d\/vfio\.conf\nadd_drivers\+=" vfio-pci vfio_pci "\n(>>> |$)/);
});

Stubs('grubby on EL7: a menu entry without an initrd keeps its own arguments and root', () => {
  ok(UEFI, 'cp /boot/vmlinuz-3.10.0-1160.el7.x86_64 /boot/vmlinuz-3.10.0-1200.el7.x86_64 && grub2-mkconfig -o /boot/efi/EFI/centos/grub.cfg 2>/dev/null');
  const args = 'ro crashkernel=auto rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet intel_iommu=on';
  const info = ok(UEFI, 'grubby --info=ALL');
  assert.match(info, /^index=0\nkernel="\/boot\/vmlinuz-3\.10\.0-1160\.el7\.x86_64"\n/);
  assert.match(info, `\nindex=1\nkernel="/boot/vmlinuz-3.10.0-1200.el7.x86_64"\nargs="${args}"\nroot="/dev/mapper/centos-root"\n`);
  assert.match(info, /\ntitle="CentOS Linux \(3\.10\.0-1200\.el7\.x86_64\) 7 \(Core\)"\n$/);
  ok(UEFI, 'grubby --update-kernel=/boot/vmlinuz-3.10.0-1200.el7.x86_64 --args=iommu=pt');
  assert.is(ok(UEFI, 'grep linuxefi /boot/efi/EFI/centos/grub.cfg'),
    `\tlinuxefi /vmlinuz-3.10.0-1200.el7.x86_64 root=/dev/mapper/centos-root ${args} iommu=pt\n`
    + `\tlinuxefi /vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/mapper/centos-root ${args}\n`);
  assert.is(ok(UEFI, 'grubby --set-default=/boot/vmlinuz-3.10.0-1200.el7.x86_64 && grep ^saved_entry= /boot/efi/EFI/centos/grubenv'),
    'The default is /boot/vmlinuz-3.10.0-1200.el7.x86_64\nsaved_entry=CentOS Linux (3.10.0-1200.el7.x86_64) 7 (Core)\n');
});

Stubs.run();
