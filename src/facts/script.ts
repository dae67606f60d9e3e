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
 * modinfo, ip live there), appended so the lab's per-node stubs still come first.
 * The PCI, IOMMU, EFI, network-interface, module and SELinux parts of sysfs are read from $SYS: the
 * lab's simulated tree when /var/lib/play-lab/sys exists, or PLAY_FACTS_SYS (tests), else /sys. A
 * module is loaded when it has module/NAME/initstate (the kernel's sysfs has it for every module lsmod
 * lists, and not for built-in ones); SELinux's mode is selinuxfs's `enforce` file, which is what
 * getenforce reads: neither needs a process.
 * SSH_CONNECTION is looked up in the parent processes too, since sudo drops it from the environment.
 *
 * Gathering runs on every host at the start of most plays, so the script keeps its process count
 * low: files are read by one awk (key assignments between the file operands), the commands' outputs
 * reach that same awk through one pipe (each after a section line, \001KEY), every symlink is resolved
 * by one readlink, and sysfs attribute files are read with the `read` builtin.
 */

/** What the one awk does with each key's lines; every other key prints its lines as `key=line`. */
const FACTS_AWK = `index($0, "\\001") == 1 { k = substr($0, 2); n = 0; next }
{ n++ }
k == "cpuinfo" && (!/^(processor|vendor_id|model name|physical id|siblings|core id|cpu cores|flags)[ \\t]*:/ || (/^flags/ && flags++)) { next }
k == "meminfo" && !/^MemTotal:/ { next }
k == "grub" && !/^GRUB_/ { next }
k == "selinux_config" && !/^SELINUX=/ { next }
k == "df" && n == 1 { next }
k == "uname" { v = $0; sub(/^[^ ]* [^ ]* /, "", v); sub(/ [^ ]*$/, "", v); print "nodename=" $1; print "kernel=" $2; print "kernel_version=" v; print "architecture=" $NF; next }
k == "units" { if (n <= 2) print (n == 1 ? "firewalld=" : "iptables=") $0; next }
k == "ip" { print ($1 == "default" ? "route=" : "ipv4=") $0; next }
{ print k "=" $0 }`;

// T is a literal TAB: $(printf '\\t') would cost a subshell. uname prints -n -r -v -m in that order
// whatever the order asked; only the version holds spaces. One ip (-batch) lists the IPv4 addresses and
// the default route, told apart by awk: only a route line starts with "default".
export const FACTS_SCRIPT = `LC_ALL=C; export LC_ALL
PATH=$PATH:/usr/sbin:/sbin:/usr/bin:/bin
SYS=/sys; [ -d /var/lib/play-lab/sys ] && SYS=/var/lib/play-lab/sys
[ -n "\${PLAY_FACTS_SYS:-}" ] && SYS=$PLAY_FACTS_SYS
T='\t'
NL='
'
rd() { R=; read -r R <"$1"; } 2>/dev/null
lk() { L=; [ -L "$1" ] || return 0; L=\${LINKS%%"$NL"*}; LINKS=\${LINKS#*"$NL"}; L=\${L##*/}; }
cnt() { N=0; for x; do [ -e "$x" ] || [ -L "$x" ] && N=$((N+1)); done; }
s() { printf '\\001%s\\n' "$1"; }
echo play_facts_begin=1
K=$(grubby --default-kernel 2>/dev/null); K=\${K%%"$NL"*}
set --
for n in "$SYS"/class/net/*; do [ -L "$n/master" ] && set -- "$@" "$n/master"; done
for d in "$SYS"/bus/pci/devices/*; do for l in "$d/iommu_group" "$d/driver"; do [ -L "$l" ] && set -- "$@" "$l"; done; done
LINKS=; [ $# -gt 0 ] && LINKS="$(readlink -- "$@" 2>/dev/null)$NL"
set --
for a in os_release=/etc/os-release release=/etc/centos-release release=/etc/redhat-release cmdline=/proc/cmdline \\
  boot_id=/proc/sys/kernel/random/boot_id cpuinfo=/proc/cpuinfo meminfo=/proc/meminfo grub=/etc/default/grub \\
  selinux_config=/etc/selinux/config "selinuxfs_enforce=$SYS/fs/selinux/enforce"; do
  [ -r "\${a#*=}" ] || continue
  case $a in release=/etc/redhat-release) [ -r /etc/centos-release ] && continue ;; esac
  set -- "$@" "k=\${a%%=*}" "\${a#*=}"
done
{ s uname; uname -n -r -v -m; s fqdn; timeout 2 hostname -f
  s df; df -PkT / /home; s units; systemctl is-active firewalld iptables
  s ip; ip -o -4 -force -batch - <<'IP'
addr show
route show default
IP
} 2>/dev/null | awk '${FACTS_AWK}' "$@" -
[ -d "$SYS/firmware/efi" ] && echo boot_mode=uefi || echo boot_mode=bios
for c in /boot/efi/EFI/*/grub.cfg; do [ -f "$c" ] && printf 'efi_grub_cfg=%s\\n' "$c"; done
[ -n "$K" ] && printf 'default_kernel=%s\\n' "$K"
for n in "$SYS"/class/net/*; do [ -e "$n" ] || continue
  rd "$n/address"; m=$R; rd "$n/operstate"; lk "$n/master"; p=0; [ -e "$n/device" ] && p=1
  printf 'nic=%s\\n' "\${n##*/}$T$m$T$R$T$p$T$L"
done
S=\${SSH_CONNECTION:-}; p=$PPID; i=0
while [ -z "$S" ] && [ $i -lt 6 ] && [ -r "/proc/$p/environ" ]; do
  S=$({ tr '\\0' '\\n' <"/proc/$p/environ"; } 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p')
  p=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$p/status"); i=$((i+1))
done
[ -n "$S" ] && printf 'ssh_connection=%s\\n' "$S"
if command -v modinfo >/dev/null 2>&1; then
  V=\${K#*vmlinuz-}; [ -n "$V" ] || V=$(uname -r)
  modinfo -k "$V" vfio_virqfd >/dev/null 2>&1 && echo vfio_virqfd=1 || echo vfio_virqfd=0
fi
cnt "$SYS"/class/iommu/*; echo "iommu_units=$N"
cnt "$SYS"/kernel/iommu_groups/*; echo "iommu_groups=$N"
for m in kvm kvm_intel kvm_amd vfio vfio_pci vfio_iommu_type1 vfio_virqfd nouveau nvidia openvswitch; do
  [ -e "$SYS/module/$m/initstate" ] && echo "module=$m"
done
for d in "$SYS"/bus/pci/devices/*; do [ -e "$d" ] || continue
  rd "$d/vendor"; v=$R; rd "$d/device"; i=$R; rd "$d/class"; c=$R
  rd "$d/subsystem_vendor"; sv=$R; rd "$d/subsystem_device"; sd=$R; lk "$d/iommu_group"; g=$L; lk "$d/driver"
  printf 'pci=%s\\n' "\${d##*/}$T$v$T$i$T$c$T$sv$T$sd$T$g$T$L"
done
echo play_facts_end=1
`;
