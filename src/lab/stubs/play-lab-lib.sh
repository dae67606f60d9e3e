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
