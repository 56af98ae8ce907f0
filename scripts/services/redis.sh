# shellcheck shell=bash
# Throwaway Redis servers for tests. Source this file, then:
#
#   redis_start "$(mktemp -d)"   # starts three servers on free ports, data under that folder
#   swift test ...
#   redis_stop                   # stops exactly the servers redis_start started
#
# redis_start exports:
#   EMPORIUM_TEST_REDIS_URL          redis://127.0.0.1:PORT            (main server, no auth)
#   EMPORIUM_TEST_REDIS_AUTH_URL     redis://:PASSWORD@127.0.0.1:PORT  (--requirepass server)
#   EMPORIUM_TEST_REDIS_ACL_URL      redis://USER:PASSWORD@127.0.0.1:PORT (ACL user on that server)
#   EMPORIUM_TEST_REDIS_RESTART_URL  redis://127.0.0.1:PORT            (server only restart tests use)
#   EMPORIUM_TEST_REDIS_RESTART      path of a script that stops that server, waits
#                                    ${1:-0} seconds, and starts it again on the same port
#
# The restartable server is separate so that restarting it does not disturb tests running in
# parallel against the main one. Installs redis-server with apt-get when it is missing.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# _emporium_redis_launch NAME PORT PASSWORD [extra redis-server arguments...]
# Writes NAME/start.sh and NAME/stop.sh under the data folder (the restart script reuses them)
# and runs start.sh. PASSWORD may be empty.
_emporium_redis_launch() {
    local name="$1" port="$2" password="$3"
    shift 3
    local dir="$EMPORIUM_TEST_REDIS_DIR/$name"
    mkdir -p "$dir"
    {
        echo '#!/usr/bin/env bash'
        echo 'set -euo pipefail'
        # A daemon keeps every descriptor it inherits: when a test process runs this script, its
        # client sockets would stay open in the server (and linger in CLOSE_WAIT after the test
        # closes them). Close everything but stdio and the script itself (bash reads it on 255).
        echo 'for fd_path in /proc/$$/fd/*; do'
        echo '    fd=${fd_path##*/}'
        echo '    if [ "$fd" -gt 2 ] 2>/dev/null && [ "$fd" -ne 255 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi'
        echo 'done'
        printf 'redis-server --port %q --bind 127.0.0.1 --daemonize yes --save %q --appendonly no' "$port" ""
        printf ' --dir %q --pidfile %q --logfile %q' "$dir" "$dir/redis.pid" "$dir/redis.log"
        local argument
        for argument in "$@"; do printf ' %q' "$argument"; done
        echo
        # Wait until it answers (NOAUTH counts as an answer on a password-protected server).
        echo 'for _ in $(seq 1 100); do'
        printf '    reply=$(redis-cli -p %q PING 2>/dev/null || true)\n' "$port"
        echo '    case "$reply" in PONG|NOAUTH*) exit 0 ;; esac'
        echo '    sleep 0.1'
        echo 'done'
        printf 'echo "redis server %s did not answer on port %s" >&2\n' "$name" "$port"
        echo 'exit 1'
    } >"$dir/start.sh"
    {
        echo '#!/usr/bin/env bash'
        echo 'set -euo pipefail'
        printf 'pidfile=%q\n' "$dir/redis.pid"
        echo 'if [ -f "$pidfile" ]; then'
        echo '    pid=$(cat "$pidfile")'
        # SHUTDOWN rather than SIGTERM: a server started from a process that blocks signals
        # (a test runner, say) inherits that mask and would never see the signal.
        if [ -n "$password" ]; then
            printf '    REDISCLI_AUTH=%q redis-cli -p %q SHUTDOWN NOSAVE >/dev/null 2>&1 || true\n' "$password" "$port"
        else
            printf '    redis-cli -p %q SHUTDOWN NOSAVE >/dev/null 2>&1 || true\n' "$port"
        fi
        echo '    kill "$pid" 2>/dev/null || true'
        # Running means present and not a zombie (a daemon whose reaper is gone stays one).
        echo '    running() { local state; state=$(awk '"'"'{print $3}'"'"' "/proc/$pid/stat" 2>/dev/null) || return 1; [ -n "$state" ] && [ "$state" != Z ]; }'
        echo '    for _ in $(seq 1 100); do running || break; sleep 0.1; done'
        echo '    if running; then kill -9 "$pid" 2>/dev/null || true; fi'
        echo '    rm -f "$pidfile"'
        echo 'fi'
    } >"$dir/stop.sh"
    chmod +x "$dir/start.sh" "$dir/stop.sh"
    "$dir/start.sh"
}

# _emporium_redis_launch_on_free_port NAME PASSWORD [arguments...]: launches on a free port,
# trying another port (up to three) when the server does not come up; sets _emporium_redis_port.
_emporium_redis_launch_on_free_port() {
    local name="$1" attempt port
    for attempt in 1 2 3; do
        port=$(free_port) || return 1
        if _emporium_redis_launch "$name" "$port" "${@:2}"; then
            _emporium_redis_port=$port
            return 0
        fi
        echo "redis.sh: server $name did not start on port $port (attempt $attempt); its log:" >&2
        tail -n 5 "$EMPORIUM_TEST_REDIS_DIR/$name/redis.log" >&2 2>/dev/null || true
        "$EMPORIUM_TEST_REDIS_DIR/$name/stop.sh" >/dev/null 2>&1 || true
    done
    return 1
}

redis_start() {
    local root="${1:?usage: redis_start TMPDIR}"
    if ! command -v redis-server >/dev/null 2>&1; then
        echo "redis.sh: installing redis-server" >&2
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null || return 1
    fi
    mkdir -p "$root" || return 1
    export EMPORIUM_TEST_REDIS_DIR
    EMPORIUM_TEST_REDIS_DIR="$(cd "$root" && pwd)"

    local main_port auth_port restart_port
    _emporium_redis_launch_on_free_port main "" || return 1
    main_port=$_emporium_redis_port
    local password="pw-$RANDOM$RANDOM" acl_user="emporium" acl_password="acl-$RANDOM$RANDOM"
    _emporium_redis_launch_on_free_port auth "$password" --requirepass "$password" || return 1
    auth_port=$_emporium_redis_port
    redis-cli -p "$auth_port" --no-auth-warning -a "$password" \
        ACL SETUSER "$acl_user" on ">$acl_password" '~*' '&*' '+@all' >/dev/null || return 1
    _emporium_redis_launch_on_free_port restart "" || return 1
    restart_port=$_emporium_redis_port

    local restart_script="$EMPORIUM_TEST_REDIS_DIR/restart-redis.sh"
    {
        echo '#!/usr/bin/env bash'
        echo '# Stops the restartable test Redis, waits ${1:-0} seconds, starts it again.'
        echo 'set -euo pipefail'
        printf '%q\n' "$EMPORIUM_TEST_REDIS_DIR/restart/stop.sh"
        echo 'sleep "${1:-0}"'
        printf '%q\n' "$EMPORIUM_TEST_REDIS_DIR/restart/start.sh"
    } >"$restart_script"
    chmod +x "$restart_script"

    export EMPORIUM_TEST_REDIS_URL="redis://127.0.0.1:$main_port"
    export EMPORIUM_TEST_REDIS_AUTH_URL="redis://:$password@127.0.0.1:$auth_port"
    export EMPORIUM_TEST_REDIS_ACL_URL="redis://$acl_user:$acl_password@127.0.0.1:$auth_port"
    export EMPORIUM_TEST_REDIS_RESTART_URL="redis://127.0.0.1:$restart_port"
    export EMPORIUM_TEST_REDIS_RESTART="$restart_script"
    echo "redis.sh: test servers on ports $main_port (main), $auth_port (auth), $restart_port (restartable)" >&2
}

redis_stop() {
    local dir="${EMPORIUM_TEST_REDIS_DIR:-}"
    if [ -n "$dir" ]; then
        local name
        for name in main auth restart; do
            if [ -x "$dir/$name/stop.sh" ]; then "$dir/$name/stop.sh" || true; fi
        done
    fi
    unset EMPORIUM_TEST_REDIS_URL EMPORIUM_TEST_REDIS_AUTH_URL EMPORIUM_TEST_REDIS_ACL_URL \
        EMPORIUM_TEST_REDIS_RESTART_URL EMPORIUM_TEST_REDIS_RESTART EMPORIUM_TEST_REDIS_DIR
}
