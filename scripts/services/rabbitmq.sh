# shellcheck shell=bash
# Private RabbitMQ broker for integration tests.
#
# Source this file, then:
#   rabbitmq_start DIR   start a broker on 127.0.0.1 on free ports, all data under DIR
#   rabbitmq_stop        stop the broker and the epmd that rabbitmq_start started
#
# rabbitmq_start exports:
#   EMPORIUM_TEST_AMQP_URL       amqp://guest:guest@127.0.0.1:PORT/
#   EMPORIUM_TEST_RABBITMQCTL    a wrapper that runs rabbitmqctl against this broker
#                                (e.g. "$EMPORIUM_TEST_RABBITMQCTL stop_app")
#
# Nothing outside DIR is written (besides installing rabbitmq-server with apt-get when
# it is missing) and rabbitmq_stop ends only the processes this broker started.

_emporium_rabbitmq_bin=/usr/lib/rabbitmq/bin

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

rabbitmq_start() {
    local dir="${1:-}"
    if [ -z "$dir" ]; then
        echo "usage: rabbitmq_start DIR" >&2
        return 2
    fi
    if [ -n "${_EMPORIUM_RABBITMQ_DIR:-}" ]; then
        echo "rabbitmq.sh: a broker is already running from ${_EMPORIUM_RABBITMQ_DIR}; call rabbitmq_stop first" >&2
        return 1
    fi
    if [ ! -x "$_emporium_rabbitmq_bin/rabbitmq-server" ]; then
        echo "rabbitmq.sh: installing rabbitmq-server" >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server) >&2 || return 1
    fi

    mkdir -p "$dir" || return 1
    dir="$(cd "$dir" && pwd)"
    mkdir -p "$dir/home" "$dir/mnesia" "$dir/log" || return 1

    local node_port dist_port epmd_port
    node_port="$(free_port)" || return 1
    dist_port="$(free_port "$node_port")" || return 1
    epmd_port="$(free_port "$node_port" "$dist_port")" || return 1

    # The Erlang cookie lives in HOME and must be shared by the server and rabbitmqctl.
    if [ ! -f "$dir/home/.erlang.cookie" ]; then
        head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/home/.erlang.cookie"
        chmod 600 "$dir/home/.erlang.cookie"
    fi
    echo "[]." >"$dir/enabled_plugins"
    : >"$dir/rabbitmq-env.conf"

    # Everything the broker and rabbitmqctl need, in one file both source.
    cat >"$dir/env.sh" <<EOF
export HOME='$dir/home'
export RABBITMQ_NODENAME='emporium-test-$node_port@localhost'
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$node_port
export RABBITMQ_DIST_PORT=$dist_port
export ERL_EPMD_PORT=$epmd_port
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_MNESIA_BASE='$dir/mnesia'
export RABBITMQ_LOG_BASE='$dir/log'
export RABBITMQ_PID_FILE='$dir/rabbitmq.pid'
export RABBITMQ_ENABLED_PLUGINS_FILE='$dir/enabled_plugins'
export RABBITMQ_CONF_ENV_FILE='$dir/rabbitmq-env.conf'
export RABBITMQ_CONFIG_FILE='$dir/rabbitmq'
export RABBITMQ_ADVANCED_CONFIG_FILE='$dir/advanced.config'
EOF
    cat >"$dir/rabbitmqctl" <<EOF
#!/usr/bin/env bash
# rabbitmqctl for the private test broker in $dir
. '$dir/env.sh'
exec '$_emporium_rabbitmq_bin/rabbitmqctl' "\$@"
EOF
    chmod +x "$dir/rabbitmqctl"

    (
        # shellcheck disable=SC1091
        . "$dir/env.sh"
        "$_emporium_rabbitmq_bin/rabbitmq-server" -detached >"$dir/log/start.out" 2>&1
    ) || {
        echo "rabbitmq.sh: rabbitmq-server failed to start; see $dir/log" >&2
        return 1
    }
    export _EMPORIUM_RABBITMQ_DIR="$dir"
    export _EMPORIUM_RABBITMQ_EPMD_PORT="$epmd_port"

    # await_startup fails at once while the node is not yet registered with epmd: retry.
    local started=0
    for _ in $(seq 1 60); do
        if timeout 60 "$dir/rabbitmqctl" await_startup --timeout 50 >"$dir/log/await_startup.out" 2>&1; then
            started=1
            break
        fi
        sleep 1
    done
    if [ "$started" != 1 ]; then
        echo "rabbitmq.sh: broker did not start; see $dir/log" >&2
        cat "$dir/log/await_startup.out" >&2
        rabbitmq_stop
        return 1
    fi

    export EMPORIUM_TEST_AMQP_URL="amqp://guest:guest@127.0.0.1:$node_port/"
    export EMPORIUM_TEST_RABBITMQCTL="$dir/rabbitmqctl"
    echo "rabbitmq.sh: broker up at $EMPORIUM_TEST_AMQP_URL (data in $dir)" >&2
}

rabbitmq_stop() {
    local dir="${_EMPORIUM_RABBITMQ_DIR:-}"
    if [ -z "$dir" ]; then
        echo "rabbitmq.sh: no broker started by rabbitmq_start" >&2
        return 0
    fi
    local pid=""
    [ -f "$dir/rabbitmq.pid" ] && pid="$(cat "$dir/rabbitmq.pid")"
    # `stop PIDFILE` returns once the node's OS process has exited.
    timeout 60 "$dir/rabbitmqctl" stop "$dir/rabbitmq.pid" >"$dir/log/stop.out" 2>&1 || true
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
    fi
    # Stop the epmd that belongs to this broker (it listens on its private port only).
    (
        # shellcheck disable=SC1091
        . "$dir/env.sh"
        epmd -port "$_EMPORIUM_RABBITMQ_EPMD_PORT" -kill >/dev/null 2>&1 || true
    )
    unset _EMPORIUM_RABBITMQ_DIR _EMPORIUM_RABBITMQ_EPMD_PORT EMPORIUM_TEST_AMQP_URL EMPORIUM_TEST_RABBITMQCTL
}
