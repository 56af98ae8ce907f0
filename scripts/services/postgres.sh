# A throwaway PostgreSQL cluster for tests (sourced, not run).
#   postgres_start DIR   starts a cluster with its data in DIR on a free port of 127.0.0.1 and
#                        exports EMPORIUM_TEST_POSTGRES_URL
#   postgres_stop        stops it
# As root the cluster runs as the `postgres` user (initdb refuses root).
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
  # max_connections: every test platform on PostgreSQL opens a pool per service (nine services),
  # and the tests run many platforms at once: 300 ran out (FATAL: too many clients), a run peaked near 970.
  "${run[@]}" "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 \
      -o \"-p $POSTGRES_TEST_PORT -c listen_addresses=127.0.0.1 -k '$dir' -c fsync=${EMPORIUM_POSTGRES_FSYNC:-off} -c max_connections=2000\" start >/dev/null" \
    || { cat "$dir/server.log" >&2; return 1; }
  export EMPORIUM_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$POSTGRES_TEST_PORT/postgres"
  export EMPORIUM_TEST_PGBIN=$bin
  echo "==> PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$POSTGRES_TEST_PORT (data in $dir)"
}

postgres_stop() {
  [ -n "${POSTGRES_TEST_DIR:-}" ] || return 0
  "${POSTGRES_TEST_RUN[@]}" "'$POSTGRES_TEST_BIN/pg_ctl' -D '$POSTGRES_TEST_DIR/data' -m fast -w stop >/dev/null 2>&1" || true
  POSTGRES_TEST_DIR=""
}
