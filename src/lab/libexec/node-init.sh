#!/bin/bash
# PID 1 of one lab node's mount, UTS and PID namespaces: make the node's own files appear at the real
# paths, shadow dangerous host tools with the stubs, then become the node's sshd. When this process
# dies the kernel kills everything else in the node and drops its mounts.
set -eu
node_dir=$1 name=$2 stub_bin=$3
state=$node_dir/state
etc=$node_dir/root/etc

lab_dir=$(dirname "$stub_bin")
# A directory holding the lab itself is never covered: the node must still reach its files there.
holds_lab() { case $lab_dir/ in "$1"/*) return 0 ;; *) return 1 ;; esac; }

hostname "$name"
# Everything a playbook may write lands in the node's own layer (root/<dir>), never on the host.
for d in etc usr var opt home srv; do
  [ -d "/$d" ] && [ ! -L "/$d" ] && ! holds_lab "/$d" || continue
  mkdir -p "$node_dir/root/$d" "$node_dir/root/.$d-work"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$node_dir/root/$d,workdir=$node_dir/root/.$d-work" "/$d"
done
# Whole directories of the node's own, so nothing of the host's (e.g. its modprobe.d) shows through.
for d in default selinux modprobe.d modules-load.d dracut.conf.d sysconfig firewalld yum.repos.d; do
  mkdir -p "$etc/$d"
  mount --bind "$etc/$d" "/etc/$d"
done
mount --bind "$node_dir/root/boot" /boot
# root's home of its own: the host's dotfiles (PATH additions) stay out, ~/.ssh and temp dirs stay per node.
mkdir -p "$node_dir/root/root"
holds_lab /root || mount --bind "$node_dir/root/root" /root
mount --bind "$state" /var/lib/play-lab
mount --bind "$state/run/cmdline" /proc/cmdline
mount --bind "$state/run/cpuinfo" /proc/cpuinfo
mount --bind "$state/run/boot_id" /proc/sys/kernel/random/boot_id
# /run and /tmp stay the host's: the lab directory itself may live there. sshd needs its privsep dir.
mkdir -p -m 0755 /run/sshd
mount --bind "$stub_bin" /usr/local/sbin
mount -o remount,bind,ro /usr/local/sbin
# A stub also hides the host's real tool of the same name, so an absolute path (/usr/sbin/reboot,
# /usr/sbin/iptables) can never reach the host. Symlinks are skipped: binding over one would cover its
# target; their targets are stubbed themselves (systemctl handles being called as reboot).
for stub in "$stub_bin"/*; do
  [ -x "$stub" ] || continue
  tool=${stub##*/}
  case $tool in uname) continue ;; esac
  for dir in /usr/sbin /usr/bin; do
    if [ -f "$dir/$tool" ] && [ ! -L "$dir/$tool" ]; then
      mount --bind "$stub" "$dir/$tool"
      mount -o remount,bind,ro "$dir/$tool"
    fi
  done
done
exec /usr/sbin/sshd -D -e -f "$node_dir/sshd_config"
