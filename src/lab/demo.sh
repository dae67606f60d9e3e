#!/usr/bin/env bash
# `npm run demo`: on a fresh Debian/Ubuntu machine (as root), install what is missing, bring up a mixed lab
# of simulated GPU nodes, run playbooks/site.yml against it, show the recap, and take the lab down.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -ne 0 ]; then
  echo "npm run demo needs root: the lab uses network and mount namespaces." >&2
  exit 1
fi
missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh >/dev/null || missing+=(openssh-client)
command -v ip >/dev/null && command -v tc >/dev/null || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} with apt-get ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build

play() { node dist/cli/main.js "$@"; }
lab=.lab/demo
nodes=${DEMO_NODES:-8}
playbook=${DEMO_PLAYBOOK:-playbooks/site.yml}

trap 'play lab down --dir "$lab" >/dev/null 2>&1 || true' EXIT
play lab up "$nodes" --profile mixed --dir "$lab"
play lab inventory --dir "$lab" >/dev/null

# The licence code is a secret: it comes from a vars file outside the repository, never from the playbook.
secrets="$lab/secrets.yml"
[ -f "$secrets" ] || printf 'zjmf_auth_code: DEMO-LAB-CODE\n' > "$secrets"
chmod 600 "$secrets"

status=0
time play "$playbook" -i "$lab/inventory.ini" -e @"$secrets" -e "installer_url=$(cat "$lab/installer_url")" || status=$?
echo "play exited with $status (2 is expected: the lab's no-virt and shared-IOMMU-group nodes are refused on purpose)"
