/**
 * The fact-gathering script: read-only POSIX sh, run once per host with one `exec`.
 *
 * It only collects raw data; every decision (distribution names, GPU isolation...) is made by
 * `parseFacts` on the controller, where it can be unit-tested. Output framing:
 * - between the lines `play_facts_begin=1` and `play_facts_end=1` (anything a login script prints
 *   around them is ignored, and a missing end line means the output was cut short);
 * - one `key=value` per line, the value being everything after the first `=`; a key may repeat
 *   (one line per line of a file, per NIC, per PCI function);
 * - records with several fields (nic, pci) separate them with TABs, which sysfs values never hold;
 * - a missing file or command prints nothing for its key, so the fact becomes null or empty.
 *
 * PATH gains the sbin directories because a non-root SSH session on CentOS 7 lacks them (grubby,
 * getenforce, modinfo, ip live there), appended so the lab's per-node stubs still come first.
 * The PCI, IOMMU, EFI and network-interface parts of sysfs are read from $SYS: the lab's simulated
 * tree when /var/lib/play-lab/sys exists, or PLAY_FACTS_SYS (tests), else /sys.
 * SSH_CONNECTION is looked up in the parent processes too, since sudo drops it from the environment.
 */
export const FACTS_SCRIPT = `LC_ALL=C; export LC_ALL
PATH=$PATH:/usr/sbin:/sbin:/usr/bin:/bin
SYS=/sys; [ -d /var/lib/play-lab/sys ] && SYS=/var/lib/play-lab/sys
[ -n "\${PLAY_FACTS_SYS:-}" ] && SYS=$PLAY_FACTS_SYS
T=$(printf '\\t')
e() { sed "s/^/$1=/"; }
f() { [ -r "$2" ] && e "$1" <"$2"; }
rd() { R=; read -r R <"$1"; } 2>/dev/null
lk() { L=; [ -L "$1" ] && L=$(readlink "$1") && L=\${L##*/}; }
cnt() { N=0; for x; do [ -e "$x" ] || [ -L "$x" ] && N=$((N+1)); done; }
echo play_facts_begin=1
uname -n | e nodename; uname -r | e kernel; uname -v | e kernel_version; uname -m | e architecture
timeout 2 hostname -f 2>/dev/null | e fqdn
f os_release /etc/os-release
f release /etc/centos-release || f release /etc/redhat-release
f cmdline /proc/cmdline
f boot_id /proc/sys/kernel/random/boot_id
awk '/^flags/ && n++ {next} /^(processor|vendor_id|model name|physical id|siblings|core id|cpu cores|flags)[ \\t]*:/' /proc/cpuinfo 2>/dev/null | e cpuinfo
grep '^MemTotal:' /proc/meminfo 2>/dev/null | e meminfo
df -PkT / /home 2>/dev/null | sed 1d | e df
[ -d "$SYS/firmware/efi" ] && echo boot_mode=uefi || echo boot_mode=bios
for c in /boot/efi/EFI/*/grub.cfg; do [ -f "$c" ] && printf 'efi_grub_cfg=%s\\n' "$c"; done
K=$(grubby --default-kernel 2>/dev/null | head -n 1)
[ -n "$K" ] && printf 'default_kernel=%s\\n' "$K"
grep '^GRUB_' /etc/default/grub 2>/dev/null | e grub
grep '^SELINUX=' /etc/selinux/config 2>/dev/null | e selinux_config
getenforce 2>/dev/null | e getenforce
f selinuxfs_enforce /sys/fs/selinux/enforce
for u in firewalld iptables; do systemctl is-active $u 2>/dev/null | head -n 1 | e $u; done
for n in "$SYS"/class/net/*; do [ -e "$n" ] || continue
  rd "$n/address"; m=$R; rd "$n/operstate"; lk "$n/master"; p=0; [ -e "$n/device" ] && p=1
  printf 'nic=%s\\n' "\${n##*/}$T$m$T$R$T$p$T$L"
done
ip -o -4 addr show 2>/dev/null | e ipv4
ip -4 route show default 2>/dev/null | e route
S=\${SSH_CONNECTION:-}; p=$PPID; i=0
while [ -z "$S" ] && [ $i -lt 6 ] && [ -r "/proc/$p/environ" ]; do
  S=$({ tr '\\0' '\\n' <"/proc/$p/environ"; } 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p')
  p=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$p/status"); i=$((i+1))
done
[ -n "$S" ] && printf 'ssh_connection=%s\\n' "$S"
{ lsmod || cat /proc/modules; } 2>/dev/null | awk '$1 ~ /^(kvm|kvm_intel|kvm_amd|vfio|vfio_pci|vfio_iommu_type1|vfio_virqfd|nouveau|nvidia|openvswitch)$/ {print "module=" $1}'
if command -v modinfo >/dev/null 2>&1; then
  V=\${K#*vmlinuz-}; [ -n "$V" ] || V=$(uname -r)
  modinfo -k "$V" vfio_virqfd >/dev/null 2>&1 && echo vfio_virqfd=1 || echo vfio_virqfd=0
fi
cnt "$SYS"/class/iommu/*; echo "iommu_units=$N"
cnt "$SYS"/kernel/iommu_groups/*; echo "iommu_groups=$N"
for d in "$SYS"/bus/pci/devices/*; do [ -e "$d" ] || continue
  rd "$d/vendor"; v=$R; rd "$d/device"; i=$R; rd "$d/class"; c=$R
  rd "$d/subsystem_vendor"; sv=$R; rd "$d/subsystem_device"; sd=$R; lk "$d/iommu_group"; g=$L; lk "$d/driver"
  printf 'pci=%s\\n' "\${d##*/}$T$v$T$i$T$c$T$sv$T$sd$T$g$T$L"
done
echo play_facts_end=1
`;
