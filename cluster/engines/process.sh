# shellcheck shell=bash
# Processes of the cluster, sourced by the engine and node scripts: whether a port is taken, and stopping a process by
# its pid file. Each stop checks that the pid still names the program it should (a pid is reused once its process is
# gone), and every wait is bounded.

# listening PORT: something accepts connections on 127.0.0.1:PORT.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# is_running PIDFILE PROGRAM: the pid file names a live process whose command line holds PROGRAM.
is_running() {
    local pid
    [ -s "$1" ] || return 1
    pid=$(<"$1")
    [[ $pid =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2"
}

# alive PIDFILE: the pid file names a process that has not exited, whatever it runs (yet).
alive() {
    local pid
    [ -s "$1" ] || return 1
    pid=$(<"$1")
    [[ $pid =~ ^[0-9]+$ ]] && [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# wait_gone PID SECONDS: true once PID has exited (or is a zombie), false after SECONDS.
wait_gone() {
    local tries=$(($2 * 10))
    while [ "$tries" -gt 0 ]; do
        [ -d "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ] || return 0
        sleep 0.1
        tries=$((tries - 1))
    done
    return 1
}

# stop_process PIDFILE PROGRAM: SIGTERM, then SIGKILL after 10 s; removes the pid file. Nothing to do if not running.
stop_process() {
    if is_running "$1" "$2"; then
        local pid
        pid=$(<"$1")
        kill -TERM "$pid" 2>/dev/null || true
        wait_gone "$pid" 10 || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" 5 || true; }
    fi
    rm -f "$1"
}

# kill_process PIDFILE PROGRAM: kill -9 at once, as a crash would; removes the pid file.
kill_process() {
    if is_running "$1" "$2"; then
        local pid
        pid=$(<"$1")
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 5 || true
    fi
    rm -f "$1"
}
