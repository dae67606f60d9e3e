#!/bin/bash
# PID 1 of one lab node's mount, UTS and PID namespaces: make the node's own files appear at the real
# paths, shadow dangerous host tools with the stubs, then become the node's sshd. When this process
# dies the kernel kills everything else in the node and drops its mounts.
set -eu
node_dir=$1 name=$2 stub_bin=$3
state=$node_dir/state
etc=$node_dir/root/etc

hostname "$name"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$etc,workdir=$node_dir/root/.etc-work" /etc
# Whole directories of the node's own, so nothing of the host's (e.g. its modprobe.d) shows through.
for d in default selinux modprobe.d modules-load.d dracut.conf.d sysconfig firewalld yum.repos.d; do
  mkdir -p "$etc/$d"
  mount --bind "$etc/$d" "/etc/$d"
done
mount --bind "$node_dir/root/boot" /boot
# root's home of its own: the host's dotfiles (PATH additions) stay out, ~/.ssh and temp dirs stay per node.
mkdir -p "$node_dir/root/root"
mount --bind "$node_dir/root/root" /root
mount --bind "$state" /var/lib/play-lab
mount --bind "$state/run/cmdline" /proc/cmdline
mount --bind "$state/run/cpuinfo" /proc/cpuinfo
mount --bind "$state/run/boot_id" /proc/sys/kernel/random/boot_id
# /run and /tmp stay the host's: the lab directory itself may live there. sshd needs its privsep dir.
mkdir -p -m 0755 /run/sshd
mount --bind "$stub_bin" /usr/local/sbin
# A stub also hides the host's real tool of the same name, so an absolute path (/usr/sbin/reboot,
# /usr/sbin/iptables) can never reach the host. Symlinks are skipped: binding over one would cover its
# target; their targets are stubbed themselves (systemctl handles being called as reboot).
for stub in "$stub_bin"/*; do
  [ -x "$stub" ] || continue
  tool=${stub##*/}
  case $tool in uname) continue ;; esac
  for dir in /usr/sbin /usr/bin; do
    if [ -f "$dir/$tool" ] && [ ! -L "$dir/$tool" ]; then mount --bind "$stub" "$dir/$tool"; fi
  done
done
exec /usr/sbin/sshd -D -e -f "$node_dir/sshd_config"
