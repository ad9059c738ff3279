#!/usr/bin/env bash
# The cluster's Redis: one redis-server from Debian's package, bound to 127.0.0.1 only, with no persistence.
#   cluster/engines/redis.sh start DIR PORT   start it (pid and log files in DIR) and wait until it answers PING
#   cluster/engines/redis.sh stop DIR         stop it (SIGTERM, then SIGKILL after 10 s)
#   cluster/engines/redis.sh kill DIR         kill -9 it: everything it held is lost (the Redis-loss tests rely on
#                                             that); `start DIR PORT` again brings up an empty one
# No persistence (--save '' --appendonly no): nothing is written to disk, so a restart is always empty. Protected
# mode stays on. As root it runs as nobody: a root Redis lets any client that reaches it write files anywhere
# (CONFIG SET dir + SAVE), and the testbed is a place where clients misbehave on purpose.
set -euo pipefail
here=$(dirname "$0")
# shellcheck source=cluster/engines/process.sh
. "$here/process.sh"
usage="usage: cluster/engines/redis.sh start DIR PORT | stop DIR | kill DIR"
action=${1:-}
dir=${2:?$usage}
pidfile=$dir/redis.pid

case $action in
    start)
        port=${3:?$usage}
        mkdir -p "$dir"
        as=()
        if [ "$(id -u)" -eq 0 ]; then chown nobody "$dir"; as=(runuser -u nobody --); fi
        "${as[@]}" redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes --save '' --appendonly no \
            --daemonize yes --dir "$dir" --pidfile "$pidfile" --logfile "$dir/redis.log" >/dev/null
        # PING, not the pid file: Redis writes the file before it accepts. 300 tries of 0.1 s: 30 s at most.
        for _ in $(seq 300); do
            [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && exit 0
            sleep 0.1
        done
        echo "cluster/engines/redis.sh: redis-server on 127.0.0.1:$port did not answer PING within 30 s (log: $dir/redis.log)" >&2
        exit 1 ;;
    stop) stop_process "$pidfile" redis-server ;;
    kill) kill_process "$pidfile" redis-server ;;
    *) echo "$usage" >&2; exit 2 ;;
esac
