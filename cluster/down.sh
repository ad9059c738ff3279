#!/usr/bin/env bash
# Stops a cluster that cluster/up.sh started, and removes its directory.
#   cluster/down.sh [--keep] DIR
# In order: HAProxy (no new connections), the nodes, Redis, PostgreSQL; each SIGTERM, then SIGKILL after 10 s. Then
# DIR is removed, unless --keep. Only a directory up.sh made (it holds .testbed-cluster) is touched. Whatever part is
# not running is skipped, so it also cleans up after an up.sh that failed half way (up.sh calls it so). A stop that
# fails does not stop the others; DIR is then kept and the exit is 1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster/node-process.sh
. "$here/node-process.sh"
usage="usage: cluster/down.sh [--keep] DIR"
keep=false
[ "${1:-}" = --keep ] && { keep=true; shift; }
dir=${1:?$usage}
[ -f "$dir/.testbed-cluster" ] || { echo "cluster/down.sh: $dir is not a cluster directory (no .testbed-cluster in it); $usage" >&2; exit 2; }

# stop WHAT COMMAND...: runs one stop; a failure is reported and the others still run, and DIR is then kept.
failed=""
stop() {
    local what=$1
    shift
    "$@" || failed="$failed $what"
}

stop HAProxy "$here/engines/haproxy.sh" stop "$dir/haproxy"
for pidfile in "$dir"/node*.pid; do
    [ -e "$pidfile" ] || continue
    k=${pidfile##*/node}
    stop "node${k%.pid}" node_stop "$dir" "${k%.pid}"
done
stop Redis "$here/engines/redis.sh" stop "$dir/redis"
if [ -d "$dir/postgres" ]; then stop PostgreSQL "$here/engines/postgres.sh" stop "$dir/postgres"; fi
if [ -n "$failed" ]; then
    echo "cluster/down.sh: stopping$failed failed (its line is above); $dir kept" >&2
    exit 1
fi
if $keep; then echo "cluster stopped; $dir kept"; else rm -rf "$dir" && echo "cluster stopped; $dir removed"; fi
