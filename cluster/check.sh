#!/usr/bin/env bash
# Checks a running cluster's front on a quiet cluster (no other clients): round robin with no stickiness on both
# fronts, and a node killed with kill -9 routed around and then taken back.
#   cluster/check.sh DIR [K]     K: the node to kill and restart (default: the last)
# 1. 2N requests to FRONT_HTTP/server-info reach each node twice (a node is known by the name its /server-info gives).
# 2. N connections held open on FRONT_TCP land one on each node (counted with ss at the nodes' TCP ports).
# 3. After `node.sh DIR kill K`, 2N requests through the front all succeed (HAProxy retries a refused connection on
#    another node), none from node K, and HAProxy's checks mark K DOWN within 5 s; after `node.sh DIR start K` they
#    mark it UP within 5 s and requests reach it again. Exit 1 with one line at the first check that fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage="usage: cluster/check.sh DIR [K]"
dir=${1:?$usage}
# shellcheck source=/dev/null
. "$dir/cluster.env"
victim=${2:-$NODES}
fail() { echo "cluster/check.sh: $1" >&2; exit 1; }

# node_of_request: the node (1..N) that answered one GET /server-info through the front (its "node" field, the
# --Testbed:NodeName up.sh gave it), or 0 for none.
node_of_request() {
    local name
    name=$(curl -fs --max-time 5 "http://127.0.0.1:$FRONT_HTTP/server-info" | grep -o '"node":"node[0-9]*"' | grep -o '[0-9]*') || true
    if [[ $name =~ ^[1-9]$ ]] && [ "$name" -le "$NODES" ]; then echo "$name"; else echo 0; fi
}

# requests COUNT: the nodes that answered COUNT requests, in order, space-separated.
requests() { local _ answers=(); for _ in $(seq "$1"); do answers+=("$(node_of_request)"); done; echo "${answers[*]}"; }

# state K: node K's states in HAProxy's two backends, MTProto TCP then HTTP (UP, DOWN, "UP 1/2"…), from its status
# page; the two are checked apart, so one may change before the other.
state() { curl -fs --max-time 2 "http://127.0.0.1:$HAPROXY_STATS/stats;csv" | awk -F, -v s="node$1" '$2 == s { print $1 ": " $18 }' | paste -sd,; }

# wait_state K STATE: true once node K is STATE in both backends, within 5 s.
wait_state() { local _; for _ in $(seq 50); do [ "$(state "$1")" = "nodes_tcp: $2,nodes_http: $2" ] && return 0; sleep 0.1; done; return 1; }

seen=$(requests $((2 * NODES)))
for k in $(seq "$NODES"); do
    [ "$(tr ' ' '\n' <<<"$seen" | grep -cx "$k")" -eq 2 ] || fail "HTTP front: $((2 * NODES)) requests reached nodes $seen, not each node twice"
done
echo "HTTP front: round robin over the nodes: $seen"

held=()
for k in $(seq "$NODES"); do exec {fd}<>"/dev/tcp/127.0.0.1/$FRONT_TCP"; held+=("$fd"); done
sleep 0.5
counts=""
for k in $(seq "$NODES"); do
    port=NODE${k}_TCP
    counts="$counts $(ss -Htn state established "( sport = :${!port} )" | wc -l)"
done
for fd in "${held[@]}"; do exec {fd}>&-; done
[ "$counts" = "$(printf ' 1%.0s' $(seq "$NODES"))" ] || fail "TCP front: $NODES connections held open landed on the nodes as$counts, not one each"
echo "TCP front: $NODES connections, one on each node"

"$here/node.sh" "$dir" kill "$victim"
seen=$(requests $((2 * NODES)))
if grep -qw -e 0 -e "$victim" <<<"$seen"; then fail "after node$victim was killed, requests were answered by nodes $seen (0: no answer)"; fi
wait_state "$victim" DOWN || fail "HAProxy did not mark node$victim DOWN within 5 s of its kill (state: $(state "$victim"))"
echo "node$victim killed: every request answered by the others ($seen), HAProxy marked it DOWN"
"$here/node.sh" "$dir" start "$victim"
wait_state "$victim" UP || fail "HAProxy did not mark node$victim UP within 5 s of its restart (state: $(state "$victim"))"
seen=$(requests $((2 * NODES)))
grep -qw "$victim" <<<"$seen" || fail "node$victim restarted and UP, but $((2 * NODES)) requests reached only nodes $seen"
echo "node$victim restarted: HAProxy marked it UP, requests reach it again ($seen)"
