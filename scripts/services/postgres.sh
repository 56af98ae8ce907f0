# A throwaway PostgreSQL cluster for tests (sourced, not run).
#   postgres_start DIR   starts a cluster with its data in DIR on a free port of 127.0.0.1 and
#                        exports EMPORIUM_TEST_POSTGRES_URL
#   postgres_stop        stops it
#   postgres_start_replica DIR
#                        starts a streaming hot standby of that cluster (pg_basebackup -R) with
#                        its data in DIR on another free port and exports
#                        EMPORIUM_TEST_POSTGRES_REPLICA_URL (the read-replica tests)
#   postgres_stop_replica  stops the standby
# As root the clusters run as the `postgres` user (initdb refuses root).
# It runs with fsync=off (tests need no durability); set EMPORIUM_POSTGRES_FSYNC=on before
# postgres_start for a cluster that flushes its WAL like a production one (benchmarks).

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

postgres_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

# The server options of both clusters (given to pg_ctl, not written into postgresql.conf, so a
# base backup of the primary does not inherit them): sockets in DIR, fsync as configured.
# max_connections: every test platform on PostgreSQL opens a pool per service (nine services),
# and the tests run many platforms at once: 300 ran out (FATAL: too many clients), a run peaked
# near 970. A hot standby refuses to start with fewer than its primary, so both have 2000.
postgres_options() {
  echo "-c listen_addresses=127.0.0.1 -k '$1' -c fsync=${EMPORIUM_POSTGRES_FSYNC:-off} -c max_connections=2000"
}

# Runs a shell command as the user that owns the clusters: postgres_as 'COMMAND'.
postgres_as() {
  "${POSTGRES_TEST_RUN[@]}" "$1"
}

postgres_start() {
  local dir=$1
  apt_install_if_missing '/usr/lib/postgresql/*/bin/initdb' postgresql postgresql-contrib
  local bin
  bin=$(postgres_bin) || { echo "error: PostgreSQL binaries not found" >&2; return 1; }
  mkdir -p "$dir"
  local run=()
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres:postgres "$dir"
    chmod 700 "$dir"
    run=(su postgres -s /bin/bash -c)
  else
    run=(bash -c)
  fi
  POSTGRES_TEST_PORT=$(free_port)
  POSTGRES_TEST_DIR=$dir
  POSTGRES_TEST_BIN=$bin
  POSTGRES_TEST_RUN=("${run[@]}")
  "${run[@]}" "'$bin/initdb' -D '$dir/data' -A trust -U postgres --no-sync >'$dir/initdb.log' 2>&1" \
    || { cat "$dir/initdb.log" >&2; return 1; }
  "${run[@]}" "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 \
      -o \"-p $POSTGRES_TEST_PORT $(postgres_options "$dir")\" start >/dev/null" \
    || { cat "$dir/server.log" >&2; return 1; }
  export EMPORIUM_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$POSTGRES_TEST_PORT/postgres"
  export EMPORIUM_TEST_PGBIN=$bin
  echo "==> PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$POSTGRES_TEST_PORT (data in $dir)"
}

postgres_stop() {
  [ -n "${POSTGRES_TEST_DIR:-}" ] || return 0
  postgres_as "'$POSTGRES_TEST_BIN/pg_ctl' -D '$POSTGRES_TEST_DIR/data' -m fast -w stop >/dev/null 2>&1" || true
  POSTGRES_TEST_DIR=""
}

postgres_start_replica() {
  local dir=$1
  [ -n "${POSTGRES_TEST_DIR:-}" ] || { echo "error: postgres_start_replica needs the cluster of postgres_start" >&2; return 1; }
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres:postgres "$dir"
    chmod 700 "$dir"
  fi
  POSTGRES_REPLICA_PORT=$(free_port "$POSTGRES_TEST_PORT")
  POSTGRES_REPLICA_DIR=$dir
  # A copy of the running primary over its replication protocol (wal_level=replica and
  # initdb's pg_hba `host replication all 127.0.0.1/32 trust` are the defaults), with the WAL
  # written meanwhile (-X stream); -R writes standby.signal and primary_conninfo, so the copy
  # starts as a standby that streams from the primary. --checkpoint=fast: no wait for the
  # primary's next scheduled checkpoint.
  postgres_as "'$POSTGRES_TEST_BIN/pg_basebackup' -h 127.0.0.1 -p $POSTGRES_TEST_PORT -U postgres -D '$dir/data' \
      -R -X stream --checkpoint=fast --no-sync >'$dir/basebackup.log' 2>&1" \
    || { cat "$dir/basebackup.log" >&2; return 1; }
  postgres_as "'$POSTGRES_TEST_BIN/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 \
      -o \"-p $POSTGRES_REPLICA_PORT $(postgres_options "$dir") -c hot_standby=on\" start >/dev/null" \
    || { cat "$dir/server.log" >&2; return 1; }
  export EMPORIUM_TEST_POSTGRES_REPLICA_URL="postgres://postgres@127.0.0.1:$POSTGRES_REPLICA_PORT/postgres"
  echo "==> PostgreSQL hot standby of 127.0.0.1:$POSTGRES_TEST_PORT on 127.0.0.1:$POSTGRES_REPLICA_PORT (data in $dir)"
}

postgres_stop_replica() {
  [ -n "${POSTGRES_REPLICA_DIR:-}" ] || return 0
  postgres_as "'$POSTGRES_TEST_BIN/pg_ctl' -D '$POSTGRES_REPLICA_DIR/data' -m fast -w stop >/dev/null 2>&1" || true
  POSTGRES_REPLICA_DIR=""
}
