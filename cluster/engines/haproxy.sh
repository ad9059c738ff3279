#!/usr/bin/env bash
# The cluster's front: HAProxy from Debian's package, run as a daemon with its pid file in DIR.
#   cluster/engines/haproxy.sh start DIR CONFIG   check CONFIG, start HAProxy, wait until it has written its pid
#   cluster/engines/haproxy.sh stop DIR           stop it (SIGTERM, then SIGKILL after 10 s)
# CONFIG is what cluster/engines/haproxy-config.sh prints; it says which ports to bind, and as root it makes HAProxy
# drop to nobody once they are bound. HAProxy logs nothing here (no syslog): its status page (the config's `listen
# stats`) shows each node's state, and `haproxy -c -f CONFIG` is run first so a bad config is one clear line.
set -euo pipefail
here=$(dirname "$0")
# shellcheck source=cluster/engines/process.sh
. "$here/process.sh"
usage="usage: cluster/engines/haproxy.sh start DIR CONFIG | stop DIR"
action=${1:-}
dir=${2:?$usage}
pidfile=$dir/haproxy.pid

case $action in
    start)
        config=${3:?$usage}
        mkdir -p "$dir"
        if ! check=$(haproxy -c -q -f "$config" 2>&1); then
            echo "cluster/engines/haproxy.sh: $config is not a valid HAProxy configuration: $(tr '\n' ' ' <<<"$check")" >&2
            exit 2
        fi
        # -D: daemon; the parent exits once the worker runs and the pid file is written, and a port it cannot bind
        # makes it exit non-zero with the reason on stderr, kept in DIR/haproxy.log.
        if ! haproxy -D -f "$config" -p "$pidfile" >"$dir/haproxy.log" 2>&1 || ! is_running "$pidfile" haproxy; then
            echo "cluster/engines/haproxy.sh: haproxy did not start: $(grep -m1 ALERT "$dir/haproxy.log" || tail -1 "$dir/haproxy.log")" >&2
            exit 1
        fi ;;
    stop) stop_process "$pidfile" haproxy ;;
    *) echo "$usage" >&2; exit 2 ;;
esac
