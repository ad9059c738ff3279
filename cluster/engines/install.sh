#!/usr/bin/env bash
# Installs the cluster's engines from Debian's packages when missing: postgresql, redis-server, haproxy.
#   cluster/engines/install.sh
# Fast and silent when all three are installed (dpkg's status only, no network). Otherwise one `apt-get update`, then
# `apt-get install` of the missing ones, as root or through sudo. On failure: one line naming the command to run by
# hand, exit 2. Debian's postgresql package may start a system cluster on 5432 through its service; the cluster never
# uses it (cluster/engines/postgres.sh runs its own server from a temporary directory).
set -euo pipefail
packages=(postgresql redis-server haproxy)

missing=()
for package in "${packages[@]}"; do
    # "installed" only: a package removed with its configuration kept reads "config-files", one never seen reads nothing.
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then apt=(apt-get); else apt=(sudo apt-get); fi
by_hand="${apt[*]} update && DEBIAN_FRONTEND=noninteractive ${apt[*]} install -y ${missing[*]}"
log=$(mktemp "${TMPDIR:-/tmp}/cluster-install.XXXXXX.log")
echo "== installing ${missing[*]} (apt-get output in $log)"
if ! { "${apt[@]}" update -qq && DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "${missing[@]}"; } >"$log" 2>&1; then
    echo "cluster/engines/install.sh: installing ${missing[*]} failed (see $log); run by hand: $by_hand" >&2
    exit 2
fi
rm -f "$log"
