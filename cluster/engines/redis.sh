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
        if is_running "$pidfile" redis-server; then echo "cluster/engines/redis.sh: Redis of $dir is running" >&2; exit 1; fi
        # Checked first: a daemon that cannot bind says so only in its log, and then its pid file is gone too.
        if listening "$port"; then echo "cluster/engines/redis.sh: 127.0.0.1:$port is in use" >&2; exit 1; fi
        mkdir -p "$dir"
        as=()
        if [ "$(id -u)" -eq 0 ]; then
            touch "$dir/redis.log"
            chown nobody "$dir" "$dir/redis.log"
            as=(runuser -u nobody --)
            "${as[@]}" test -x "$dir" || { echo "cluster/engines/redis.sh: nobody cannot reach $dir; let others search its parent directories (chmod o+x)" >&2; exit 1; }
        fi
        # A setting Redis refuses stops it before it forks: its reason is then the log's last line.
        # shellcheck disable=SC2094 # both append to the log: Redis its own lines, the shell what Redis says before it has one
        if ! "${as[@]}" redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes --save '' --appendonly no \
            --daemonize yes --dir "$dir" --pidfile "$pidfile" --logfile "$dir/redis.log" >>"$dir/redis.log" 2>&1; then
            echo "cluster/engines/redis.sh: redis-server did not start: $(grep -v '^$' "$dir/redis.log" | tail -1) (log: $dir/redis.log)" >&2
            exit 1
        fi
        # Ours and answering: the daemon writes its pid file before it binds, and a PONG alone could be another
        # Redis's. 300 tries of 0.1 s: 30 s at most.
        for _ in $(seq 300); do
            is_running "$pidfile" redis-server && [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && exit 0
            sleep 0.1
        done
        echo "cluster/engines/redis.sh: redis-server on 127.0.0.1:$port is not answering PING (30 s at most): $(tail -1 "$dir/redis.log") (log: $dir/redis.log)" >&2
        exit 1 ;;
    stop) stop_process "$pidfile" redis-server ;;
    kill) kill_process "$pidfile" redis-server ;;
    *) echo "$usage" >&2; exit 2 ;;
esac
