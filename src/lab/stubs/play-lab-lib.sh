# Sourced by every stub: where the node's state lives and small helpers on line-list files.
# Stubs run at every fact gathering and role step, on the CPU the measured run needs, so the helpers
# use bash builtins and set variables rather than fork greps, seds or $(...) subshells. They read the
# line-list files the lab writes (one record a line, fields separated by single spaces).
S=/var/lib/play-lab
R=$S/run
PROG=${0##*/}

die() { echo "$*" >&2; exit 1; }
# read_value VAR FILE: VAR = the file's one line, as $(cat FILE) gives it.
read_value() { IFS= read -r "$1" < "$2" || [ -n "${!1}" ]; }
# squeeze_spaces VAR: runs of spaces made one, as `tr -s ' '` does.
squeeze_spaces() {
  local -n _spaced=$1
  while [[ $_spaced == *'  '* ]]; do _spaced=${_spaced//'  '/' '}; done
}
# newest_first ARRAY: sort the paths in ARRAY newest version first (sort -rV); one path needs no sort.
newest_first() {
  local -n _paths=$1
  local _text
  [ ${#_paths[@]} -gt 1 ] || return 0
  printf -v _text '%s\n' "${_paths[@]}"
  mapfile -t _paths < <(sort -rV <<<"${_text%$'\n'}")
}
# strip_newlines VAR: drop VAR's trailing newlines, as $(...) does with a command's output.
strip_newlines() {
  local -n _text=$1
  while [[ $_text == *$'\n' ]]; do _text=${_text%$'\n'}; done
}
# prefixed_lines VAR PREFIX FILE: VAR = the rest of every line starting with PREFIX, as
# $(sed -n 's/^PREFIX//p' FILE 2>/dev/null) gives it.
prefixed_lines() {
  local -n _found=$1
  local _line
  _found=''
  { while IFS= read -r _line || [ -n "$_line" ]; do
      [[ $_line == "$2"* ]] && _found+=${_line#"$2"}$'\n'
    done < "$3"; } 2>/dev/null
  strip_newlines "$1"
}
has_line() {
  [ -f "$1" ] || return 1
  local line
  while IFS= read -r line || [ -n "$line" ]; do [ "$line" = "$2" ] && return 0; done < "$1"
  return 1
}
has_line_starting() { # FILE PREFIX: a line of FILE starts with PREFIX
  local line
  while IFS= read -r line || [ -n "$line" ]; do [[ $line == "$2"* ]] && return 0; done < "$1"
  return 1
}
# read_all VAR FILE: VAR = the file's bytes, as cat would print them (the lab's files hold no NUL).
read_all() { IFS= read -r -d '' "$1" < "$2"; return 0; }
# print_sorted ARRAY: its items one a line, in sort's order; sort runs only for two items or more.
print_sorted() {
  local -n _items=$1
  local _text
  [ ${#_items[@]} -gt 0 ] || return 0
  if [ ${#_items[@]} = 1 ]; then printf '%s\n' "${_items[0]}"; return 0; fi
  printf -v _text '%s\n' "${_items[@]}"
  sort <<<"${_text%$'\n'}"
}
add_line() { has_line "$1" "$2" || printf '%s\n' "$2" >> "$1"; }
# filter_lines FILE REJECT: rewrite FILE without the lines the function REJECT accepts, through a
# temporary file and a rename, so a concurrent reader sees the old or the new list, never half of one.
filter_lines() {
  local file=$1 reject=$2 line
  while IFS= read -r line || [ -n "$line" ]; do "$reject" "$line" || printf '%s\n' "$line"; done < "$file" > "$file.tmp"
  mv "$file.tmp" "$file"
}
del_line() {
  [ -f "$1" ] || return 0
  local unwanted=$2
  is_unwanted() { [ "$1" = "$unwanted" ]; }
  filter_lines "$1" is_unwanted
}
node_var() { prefixed_lines "$1" "$2=" "$S/node"; }
module_available() { has_line "$S/modules.available" "${1//-/_}"; }
# A loaded module shows as sys/module/NAME/initstate, as in the kernel's sysfs (the facts read that).
module_loaded() { [ -e "$S/sys/module/$1/initstate" ]; }
load_module() { module_loaded "$1" || { mkdir -p "$S/sys/module/$1" && echo live > "$S/sys/module/$1/initstate"; }; }
unload_module() { rm -rf "$S/sys/module/$1"; }

# The PCI table (pci.db): addr vendor device class subvendor subdevice group modules className|deviceName
# load_drivers: bound_driver[ADDR] = the driver bound to each device (run/drivers: "addr driver"
# lines), and in_use[MODULE] set for each module a bound driver belongs to.
load_drivers() {
  declare -gA bound_driver=() in_use=()
  local addr name
  while read -r addr name _; do
    [ -n "$addr" ] && bound_driver[$addr]=$name
    [ -n "$name" ] && in_use[${name//-/_}]=1
  done < "$R/drivers"
}
iommu_on() {
  local unit
  for unit in "$S"/sys/class/iommu/*; do [ -e "$unit" ] || [ -L "$unit" ] && return 0; done
  return 1
}
# Binds (or with an empty driver, unbinds) a device, in run/drivers and in the sysfs driver link.
set_driver() {
  local addr=$1 driver=$2 dev=$S/sys/bus/pci/devices/$1
  of_device() { [ "${1%% *}" = "$addr" ]; }
  filter_lines "$R/drivers" of_device
  [ -n "$driver" ] && echo "$addr $driver" >> "$R/drivers"
  rm -f "$dev/driver"
  if [ -n "$driver" ]; then
    mkdir -p "$S/sys/bus/pci/drivers/$driver"
    ln -s "../../../../bus/pci/drivers/$driver" "$dev/driver"
  fi
}
# load_vfio_ids: vfio_id[VENDOR:DEVICE] set for each id in `options vfio-pci ids=...` of the root
# filesystem's modprobe.d.
load_vfio_ids() {
  declare -gA vfio_id=()
  local conf line id ids
  local options='^[[:space:]]*options[[:space:]]+vfio[-_]pci[[:space:]].*ids=([^[:space:]]*)'
  for conf in /etc/modprobe.d/*.conf; do
    [ -r "$conf" ] || continue
    while IFS= read -r line || [ -n "$line" ]; do
      [[ $line =~ $options ]] || continue
      IFS=, read -r -a ids <<<"${BASH_REMATCH[1]}"
      for id in "${ids[@]}"; do
        [[ $id == *:*:* ]] && id=${id%:"${id#*:*:}"} # vendor:device of vendor:device:subvendor:subdevice
        [ -n "$id" ] && vfio_id[$id]=1
      done
    done < "$conf"
  done
}
# grubenv KEY VALUE FILE: set one variable, keeping the others.
grubenv_set() {
  local file=$3 line
  { echo '# GRUB Environment Block'
    { while IFS= read -r line || [ -n "$line" ]; do
        [[ -z $line || $line == '#'* || $line == "$1="* ]] || printf '%s\n' "$line"
      done < "$file"; } 2>/dev/null
    echo "$1=$2"; } > "$file.tmp"
  mv "$file.tmp" "$file"
}
grubenv_get() { prefixed_lines "$1" "$2=" "$3"; }
# grub_dir VAR: the directory of the grub.cfg and grubenv the node's firmware reads.
grub_dir() {
  local firmware
  node_var firmware firmware
  if [ "$firmware" = uefi ]; then printf -v "$1" %s /boot/efi/EFI/centos; else printf -v "$1" %s /boot/grub2; fi
}
