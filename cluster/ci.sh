#!/usr/bin/env bash
# The cluster's part of ./test.sh (docs/cluster.md): two clusters of 3 nodes on PostgreSQL and Redis behind HAProxy,
# one after the other, each judged by the same tools a user would point at any cluster.
#   cluster/ci.sh RESULTS_DIR
# 1. The clean cluster: cluster/check.sh (round robin, a node killed and taken back); the server suite spread over the
#    three nodes (--target once per node, MID-015 replays across them) and through HAProxy's front; the lab's
#    cross-node-replay, which must find nothing.
# 2. The naive cluster (every node with --fault per-node-replay-state): the suite across the nodes must fail MID-015
#    and nothing else (cluster/expectations/per-node-replay-state.txt); cross-node-replay must find it vulnerable.
# Reports go to RESULTS_DIR. Exit 0 when every verdict is as expected; each cluster is taken down whatever happens.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
results=${1:?usage: cluster/ci.sh RESULTS_DIR}
mkdir -p "$results"
conformance=(dotnet run --project conformance -c Release --no-build --)
status=0

# run_against DIR NAME EXPECT_LAB_EXIT [SUITE ARGS...]: the suite across the nodes, then the lab experiment.
run_against() {
    local dir=$1 name=$2 lab_exit=$3; shift 3
    # shellcheck source=/dev/null
    . "$dir/cluster.env"
    local nodes=(--target "tcp://127.0.0.1:$NODE1_TCP" --target "tcp://127.0.0.1:$NODE2_TCP" --target "tcp://127.0.0.1:$NODE3_TCP")
    local info=(--server-info "http://127.0.0.1:$NODE1_HTTP/server-info")
    "${conformance[@]}" run "${nodes[@]}" "${info[@]}" "$@" --markdown "$results/cluster-$name-suite.md" || status=$?
    local exit=0
    "${conformance[@]}" lab run cross-node-replay --target "tcp://127.0.0.1:$NODE1_TCP" \
        --node "tcp://127.0.0.1:$NODE2_TCP" --node "tcp://127.0.0.1:$NODE3_TCP" "${info[@]}" --out "$results/cluster-lab-$name" || exit=$?
    if [ "$exit" -ne "$lab_exit" ]; then
        echo "cluster/ci.sh: cross-node-replay against the $name cluster exited $exit, expected $lab_exit" >&2
        status=1
    fi
}

# The handshake limit is per address, and every client here is 127.0.0.1: the suite's runs need room.
node_args=(--Testbed:HandshakeMessagesPerMinute=1000 --Testbed:LabClock=true)

echo "-- the clean cluster"
clean=$(mktemp -d)
if cluster/up.sh --dir "$clean" -- "${node_args[@]}"; then
    cluster/check.sh "$clean" || status=$?
    run_against "$clean" clean 0
    # shellcheck source=/dev/null
    . "$clean/cluster.env"
    "${conformance[@]}" run --target "tcp://127.0.0.1:$FRONT_TCP" --server-info "http://127.0.0.1:$FRONT_HTTP/server-info" \
        --markdown "$results/cluster-front-suite.md" || status=$?
else
    status=1
fi
cluster/down.sh "$clean" || status=1

echo "-- the naive cluster (per-node-replay-state)"
naive=$(mktemp -d)
if cluster/up.sh --dir "$naive" -- "${node_args[@]}" --fault per-node-replay-state; then
    run_against "$naive" per-node-replay-state 1 --expect cluster/expectations/per-node-replay-state.txt
else
    status=1
fi
cluster/down.sh "$naive" || status=1
exit "$status"
