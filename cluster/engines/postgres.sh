#!/usr/bin/env bash
# A private PostgreSQL for the testbed's servers to share (docs/server.md, "Storage backends").
#
#   postgres.sh start DIR PORT   initialise a cluster in DIR (once), start it on 127.0.0.1:PORT only (its unix socket in
#                                DIR), make role and database `testbed`, and print ONE line: the Npgsql connection string
#                                Host=127.0.0.1;Port=PORT;Username=testbed;Database=testbed
#   postgres.sh stop DIR         stop it (pg_ctl -m fast); nothing to do if it is not running
#
# The binaries are Debian's (/usr/lib/postgresql/VERSION/bin, the newest present); without them it says that
# `apt-get install postgresql` is needed and exits 2. PostgreSQL refuses to run as root, so as root the cluster is
# owned and run by `nobody` (DIR is chowned to it; DIR's parents must let it through, as /tmp does). Authentication is
# `trust` on loopback and the socket: the cluster listens on nothing else. fsync stays on (the default), so a committed
# write survives a crash of the machine as the SQLite backend's does. Every wait is bounded: 30 s for start and stop.
# Its own output goes to DIR/postgres.log and DIR/init.log; a failure is one line on stderr naming the log, exit 1.
set -euo pipefail

readonly WAIT_SECONDS=30
readonly ROLE=testbed
# Where Debian installs PostgreSQL's versions; overridable only so that the "not installed" path can be tried.
readonly PG_LIB=${POSTGRES_LIB_DIR:-/usr/lib/postgresql}

fail() { echo "postgres.sh: $*" >&2; exit 1; }
usage() { echo "usage: postgres.sh start DIR PORT | postgres.sh stop DIR" >&2; exit 2; }

# The newest $PG_LIB/*/bin, by version number.
find_binaries() {
  local newest
  newest=$(find "$PG_LIB" -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -z "$newest" || ! -x "$newest/pg_ctl" || ! -x "$newest/initdb" ]]; then
    echo "postgres.sh: no PostgreSQL binaries in $PG_LIB/*/bin: apt-get install postgresql is needed" >&2
    exit 2
  fi
  BIN=$newest
}

# Runs a PostgreSQL program as the cluster's owner: ourselves, or `nobody` when we are root.
as_owner() {
  if [[ $EUID -eq 0 ]]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
  else
    "$@"
  fi
}

start() {
  local dir=$1 port=$2
  [[ "$port" =~ ^[0-9]+$ ]] && (( port > 0 && port < 65536 )) || fail "PORT '$port' is not a TCP port number"
  find_binaries
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [[ $EUID -eq 0 ]]; then
    chown -R nobody:nogroup "$dir"
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- test -w "$dir" \
      || fail "$dir is not reachable by the user nobody, who runs PostgreSQL for root: choose a DIR under /tmp"
  fi
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    as_owner "$BIN/initdb" -D "$dir/data" -U "$ROLE" --auth=trust -E UTF8 --locale=C >"$dir/init.log" 2>&1 \
      || fail "initdb failed; see $dir/init.log"
  fi
  # Already running (a second start): leave it be. max_connections: several server processes share the cluster,
  # each with its own connection pool.
  if ! as_owner "$BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t "$WAIT_SECONDS" \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' -c max_connections=300" \
      start >/dev/null 2>&1 || fail "PostgreSQL did not start on 127.0.0.1:$port within ${WAIT_SECONDS} s; see $dir/postgres.log"
  fi
  if ! as_owner "$BIN/psql" -h "$dir" -p "$port" -U "$ROLE" -d postgres -tAq -c "SELECT 1 FROM pg_database WHERE datname = '$ROLE'" | grep -q 1; then
    as_owner "$BIN/createdb" -h "$dir" -p "$port" -U "$ROLE" "$ROLE" >/dev/null 2>&1 || fail "could not create the database $ROLE"
  fi
  echo "Host=127.0.0.1;Port=$port;Username=$ROLE;Database=$ROLE"
}

stop() {
  local dir=$1
  find_binaries
  [[ -f "$dir/data/postmaster.pid" ]] || return 0
  as_owner "$BIN/pg_ctl" -D "$dir/data" -m fast -w -t "$WAIT_SECONDS" stop >/dev/null 2>&1 \
    || fail "PostgreSQL in $dir did not stop within ${WAIT_SECONDS} s; see $dir/postgres.log"
}

case "${1:-}" in
  start) [[ $# -eq 3 ]] || usage; start "$2" "$3" ;;
  stop) [[ $# -eq 2 ]] || usage; stop "$2" ;;
  *) usage ;;
esac
