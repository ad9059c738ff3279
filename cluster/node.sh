#!/usr/bin/env bash
# Kills or restarts one node of a running cluster, for the node-failure tests.
#   cluster/node.sh DIR kill K    kill -9 node K, as a crash would (its pid file is removed)
#   cluster/node.sh DIR start K   start node K again with the arguments up.sh gave it, and wait until it answers
#                                 /server-info (60 s at most); NODEK_PID in DIR/cluster.env is updated
# HAProxy's checks take a killed node out within about a second and put a restarted one back as soon (docs/cluster.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster/node-process.sh
. "$here/node-process.sh"
usage="usage: cluster/node.sh DIR kill K | DIR start K"
dir=${1:?$usage} action=${2:?$usage} k=${3:?$usage}
[ -f "$dir/cluster.env" ] || { echo "cluster/node.sh: no cluster.env in $dir; $usage" >&2; exit 2; }
# shellcheck source=/dev/null
. "$dir/cluster.env"
if ! [[ $k =~ ^[1-9]$ ]] || [ "$k" -gt "$NODES" ]; then echo "cluster/node.sh: the cluster has nodes 1 to $NODES, not '$k'" >&2; exit 2; fi

case $action in
    kill) node_kill "$dir" "$k" ;;
    start)
        if is_running "$dir/node$k.pid" "$node_dll"; then echo "cluster/node.sh: node$k is running" >&2; exit 1; fi
        node_start "$dir" "$k"
        http=NODE${k}_HTTP
        node_wait "$dir" "$k" "${!http}" || exit 1
        sed -i "s/^NODE${k}_PID=.*/NODE${k}_PID=$(<"$dir/node$k.pid")/" "$dir/cluster.env" ;;
    *) echo "$usage" >&2; exit 2 ;;
esac
