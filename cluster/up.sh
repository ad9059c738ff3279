#!/usr/bin/env bash
# Brings up the testbed as a cluster on loopback: PostgreSQL, Redis, N server nodes and HAProxy in front.
#   cluster/up.sh [--dir DIR] [--nodes N] [--base-port B] [-- NODE ARGS...]
# DIR (default: a new temporary directory, printed) holds everything: each engine's files, each node's data directory
# and log, and cluster.env, a shell file with the ports and pids for scripts and tests (docs/cluster.md). Ports, from
# B (default 7100): B HTTP front, B+1 MTProto TCP front, B+2 HAProxy's status page, B+3 PostgreSQL, B+4 Redis, and
# node K's HTTP and TCP ports at B+10K and B+10K+1. NODE ARGS go to every node, e.g. `-- --fault NAME`.
# Installs the engines and builds the server when missing. Node 1 starts first: its RSA key and salt secret are copied
# to the others before they start, so that a client can move between nodes. Every wait is bounded; on a failure it
# stops what it started, keeps DIR for its logs, and exits 1 with one line (2 for a wrong command line).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster/node-process.sh
. "$here/node-process.sh"
usage="usage: cluster/up.sh [--dir DIR] [--nodes N (1-9, default 3)] [--base-port B (default 7100)] [-- NODE ARGS...]"
bad_usage() { echo "cluster/up.sh: $1; $usage" >&2; exit 2; }

dir="" nodes=3 base=7100 extra=()
while [ $# -gt 0 ]; do
    case $1 in
        --dir) [ $# -ge 2 ] || bad_usage "--dir needs a directory"; dir=$2; shift 2 ;;
        --nodes) [ $# -ge 2 ] || bad_usage "--nodes needs a number"; nodes=$2; shift 2 ;;
        --base-port) [ $# -ge 2 ] || bad_usage "--base-port needs a number"; base=$2; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        *) bad_usage "unknown argument '$1'" ;;
    esac
done
[[ $nodes =~ ^[1-9]$ ]] || bad_usage "--nodes must be 1 to 9, not '$nodes'"
if ! [[ $base =~ ^[1-9][0-9]*$ ]] || [ "$base" -lt 1024 ] || [ "$base" -gt 65435 ]; then bad_usage "--base-port must be 1024 to 65435, not '$base'"; fi

front_http=$base front_tcp=$((base + 1)) stats=$((base + 2)) postgres_port=$((base + 3)) redis_port=$((base + 4))
node_http() { echo $((base + 10 * $1)); }
node_tcp() { echo $((base + 10 * $1 + 1)); }
ports=("$front_http" "$front_tcp" "$stats" "$postgres_port" "$redis_port")
for k in $(seq "$nodes"); do ports+=("$(node_http "$k")" "$(node_tcp "$k")"); done
for port in "${ports[@]}"; do
    # A connection accepted means a listener: another cluster, or anything else, would share or steal the port.
    if listening "$port"; then
        echo "cluster/up.sh: port $port on 127.0.0.1 is in use (ports $base-$((base + 10 * nodes + 1))); stop what holds it or choose another --base-port" >&2
        exit 1
    fi
done

# install.sh says in one line what failed and what to run by hand; only its time limit needs a line of its own.
timeout 900 "$here/engines/install.sh" || { [ $? -ne 124 ] || echo "cluster/up.sh: cluster/engines/install.sh took over 15 min; run it by hand" >&2; exit 2; }

if [ -z "$dir" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/testbed-cluster.XXXXXX")
elif [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    bad_usage "--dir $dir is not empty (down.sh removes a whole cluster directory, so it must be the cluster's own)"
fi
mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
# The engines run as nobody when started as root (docs/cluster.md): they must be able to reach their own directories.
chmod 711 "$dir"
touch "$dir/.testbed-cluster"
echo "cluster directory: $dir"

# fail LINE: stops whatever has been started (down.sh reads the pid files), keeps DIR, one line, exit 1.
fail() {
    "$here/down.sh" --keep "$dir" >/dev/null 2>&1 || true
    echo "cluster/up.sh: $1; stopped what was started, $dir kept for its logs" >&2
    exit 1
}
trap 'fail "interrupted"' INT TERM
# Each step's stderr goes to $errors, and last_error is the one line a failed step wrote there. A function is called in
# a subshell for it: a redirection on the call itself would hold for the trap too, and send fail's line into the file.
errors=$dir/up.err
last_error() { tail -1 "$errors"; }

if [ ! -f "$node_dll" ]; then
    echo "building the server (Release)"
    timeout 900 dotnet build "$here/../server/Testbed.Server.csproj" -c Release -nologo -v quiet >"$dir/build.log" 2>&1 \
        || fail "the server's Release build failed (log: $dir/build.log)"
fi

# To a file, not through $(…): a pipe would stay open as long as anything postgres.sh left running holds it.
timeout 120 "$here/engines/postgres.sh" start "$dir/postgres" "$postgres_port" >"$dir/postgres.conn" 2>"$errors" \
    || fail "PostgreSQL did not start: $(last_error)"
postgres=$(head -1 "$dir/postgres.conn")
[ -n "$postgres" ] || fail "cluster/engines/postgres.sh printed no connection string"
"$here/engines/redis.sh" start "$dir/redis" "$redis_port" 2>"$errors" || fail "Redis did not start: $(last_error)"

for k in $(seq "$nodes"); do
    mkdir -m 700 "$dir/node$k"
    printf '%s\0' "--Testbed:DataDirectory=$dir/node$k" "--Testbed:TcpEndpoint=127.0.0.1:$(node_tcp "$k")" \
        "--Testbed:HttpEndpoint=127.0.0.1:$(node_http "$k")" --Testbed:Storage=postgres "--Testbed:PostgresConnection=$postgres" \
        "--Testbed:Redis=127.0.0.1:$redis_port" "--Testbed:NodeName=node$k" "--Testbed:PublicTcpEndpoint=127.0.0.1:$front_tcp" \
        "${extra[@]}" >"$dir/node$k.args"
done
# Node 1 makes the RSA key and the salt secret; the others start with copies, so that all nodes are one server to a client.
node_start "$dir" 1
(node_wait "$dir" 1 "$(node_http 1)") 2>"$errors" || fail "$(last_error)"
for k in $(seq 2 "$nodes"); do
    cp -p "$dir"/node1/{server-key.pem,server-public.pem,salt-secret.bin} "$dir/node$k/"
    node_start "$dir" "$k"
done
for k in $(seq 2 "$nodes"); do (node_wait "$dir" "$k" "$(node_http "$k")") 2>"$errors" || fail "$(last_error)"; done

mkdir -p "$dir/haproxy"
backends=()
for k in $(seq "$nodes"); do backends+=("$(node_tcp "$k"):$(node_http "$k")"); done
"$here/engines/haproxy-config.sh" "$front_tcp" "$front_http" "$stats" "${backends[@]}" >"$dir/haproxy/haproxy.cfg"
"$here/engines/haproxy.sh" start "$dir/haproxy" "$dir/haproxy/haproxy.cfg" 2>"$errors" || fail "HAProxy did not start: $(last_error)"
# The fronts accept once a connection through each reaches a node: /server-info over HTTP, a TCP connect for MTProto.
for tries in $(seq 20 -1 0); do
    curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$front_http/server-info" \
        && listening "$front_tcp" && break
    [ "$tries" -gt 0 ] || fail "HAProxy's fronts 127.0.0.1:$front_http and :$front_tcp did not answer within 10 s"
    sleep 0.5
done
rm -f "$errors"

{
    printf '# Written by cluster/up.sh; source it. docs/cluster.md says what each is.\n'
    printf '%s=%q\n' DIR "$dir" NODES "$nodes" FRONT_TCP "$front_tcp" FRONT_HTTP "$front_http" HAPROXY_STATS "$stats" \
        POSTGRES "$postgres" REDIS "127.0.0.1:$redis_port"
    for k in $(seq "$nodes"); do
        printf '%s=%q\n' "NODE${k}_TCP" "$(node_tcp "$k")" "NODE${k}_HTTP" "$(node_http "$k")" "NODE${k}_PID" "$(<"$dir/node$k.pid")"
    done
} >"$dir/cluster.env"

cat <<SUMMARY
cluster up: $nodes nodes behind HAProxy (round robin, no stickiness)
  MTProto TCP  127.0.0.1:$front_tcp     HTTP/WebSocket  http://127.0.0.1:$front_http (/api, /apiws, /server-info)
  nodes        $(for k in $(seq "$nodes"); do printf 'node%s tcp %s http %s, ' "$k" "$(node_tcp "$k")" "$(node_http "$k")"; done | sed 's/, $//')
  PostgreSQL   127.0.0.1:$postgres_port     Redis 127.0.0.1:$redis_port     HAProxy status http://127.0.0.1:$stats/stats
  settings     $dir/cluster.env
  stop with    cluster/down.sh $dir
SUMMARY
