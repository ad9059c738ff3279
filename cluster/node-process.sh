# shellcheck shell=bash
# One node of the cluster as a process, sourced by up.sh, node.sh and down.sh. A node K of the cluster in DIR has:
#   DIR/nodeK/       its data directory (the server's own files), also its working directory
#   DIR/nodeK.args   its command line, one argument per NUL-terminated entry, so that node.sh starts it again the same
#   DIR/nodeK.pid    its pid while up.sh or node.sh has it running
#   DIR/nodeK.log    its stdout and stderr, appended to across restarts
# shellcheck source=cluster/engines/process.sh
. "$(dirname "${BASH_SOURCE[0]}")/engines/process.sh"

node_dll=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/server/bin/Release/net10.0/testbed-server.dll

# node_start DIR K: starts node K from DIR/nodeK.args, in a session of its own (setsid) so that it outlives the
# script and the terminal that started it; its working directory is its data directory, so that no appsettings.json
# of the caller's directory is read.
node_start() {
    local args=()
    mapfile -d '' args <"$1/node$2.args"
    (cd "$1/node$2" && exec setsid dotnet "$node_dll" "${args[@]}" </dev/null >>"$1/node$2.log" 2>&1) &
    echo $! >"$1/node$2.pid"
}

# node_wait DIR K HTTP_PORT: waits until node K answers GET /server-info with 200, 60 s at most (a node starts in a
# few seconds; the machine may be busy). Prints one line and fails if it exits or does not answer in time.
node_wait() {
    local tries=120
    while [ "$tries" -gt 0 ]; do
        curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$3/server-info" && return 0
        # Alive, not is_running: the pid is the subshell's, which becomes dotnet only a moment later.
        if ! alive "$1/node$2.pid"; then
            echo "node$2 exited: $(grep -m1 '^error:' "$1/node$2.log" || tail -1 "$1/node$2.log") (log: $1/node$2.log)" >&2
            return 1
        fi
        sleep 0.5
        tries=$((tries - 1))
    done
    echo "node$2 did not answer http://127.0.0.1:$3/server-info within 60 s (log: $1/node$2.log)" >&2
    return 1
}

# node_stop DIR K / node_kill DIR K: SIGTERM (SIGKILL after 10 s), or kill -9 at once as a crash would.
node_stop() { stop_process "$1/node$2.pid" "$node_dll"; }
node_kill() { kill_process "$1/node$2.pid" "$node_dll"; }
