# Sourced by every stub: where the node's state lives and small helpers on line-list files.
S=/var/lib/play-lab
R=$S/run
PROG=${0##*/}

die() { echo "$*" >&2; exit 1; }
has_line() { [ -f "$1" ] && grep -qxF -- "$2" "$1"; }
add_line() { has_line "$1" "$2" || printf '%s\n' "$2" >> "$1"; }
del_line() {
  [ -f "$1" ] || return 0
  grep -vxF -- "$2" "$1" > "$1.tmp" || true
  mv "$1.tmp" "$1"
}
booted_kernel() { cat "$R/kernel"; }
node_var() { sed -n "s/^$1=//p" "$S/node"; }
module_available() { has_line "$S/modules.available" "$(echo "$1" | tr - _)"; }
module_loaded() { has_line "$R/modules" "$(echo "$1" | tr - _)"; }

# The PCI table (pci.db): addr vendor device class subvendor subdevice group modules className|deviceName
driver_of() { awk -v a="$1" '$1 == a {print $2}' "$R/drivers"; }
iommu_on() { [ -n "$(ls "$S/sys/class/iommu" 2>/dev/null)" ]; }
# Binds (or with an empty driver, unbinds) a device, in run/drivers and in the sysfs driver link.
set_driver() {
  local addr=$1 driver=$2 dev=$S/sys/bus/pci/devices/$1
  awk -v a="$addr" '$1 != a' "$R/drivers" > "$R/drivers.tmp"
  [ -n "$driver" ] && echo "$addr $driver" >> "$R/drivers.tmp"
  mv "$R/drivers.tmp" "$R/drivers"
  rm -f "$dev/driver"
  if [ -n "$driver" ]; then
    mkdir -p "$S/sys/bus/pci/drivers/$driver"
    ln -s "../../../../bus/pci/drivers/$driver" "$dev/driver"
  fi
}
# `options vfio-pci ids=...` from the root filesystem's modprobe.d, as vendor:device words.
vfio_ids() {
  cat /etc/modprobe.d/*.conf 2>/dev/null | sed -n 's/^[[:space:]]*options[[:space:]]\+vfio[-_]pci[[:space:]].*ids=\([^[:space:]]*\).*/\1/p' | tr ',' '\n' | cut -d: -f1,2
}
# grubenv KEY VALUE FILE: set one variable, keeping the others.
grubenv_set() {
  local file=$3
  { echo '# GRUB Environment Block'; grep -v -e '^#' -e "^$1=" "$file" 2>/dev/null | grep . ; echo "$1=$2"; } > "$file.tmp"
  mv "$file.tmp" "$file"
}
grubenv_get() { sed -n "s/^$1=//p" "$2" 2>/dev/null; }
firmware_grub_dir() { if [ "$(node_var firmware)" = uefi ]; then echo /boot/efi/EFI/centos; else echo /boot/grub2; fi; }
