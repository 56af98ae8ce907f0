# shellcheck shell=bash
# Private Kafka-protocol test broker (noida-db from PyPI, a stand-in speaking Kafka's wire
# protocol: tests use it, production runs Apache Kafka).
#
# Source this file, then:
#   kafka_start DIR   install noida-db (pip, into a venv in a cache folder) when missing and start
#                     a broker on a free port of 127.0.0.1, its data under DIR
#   kafka_stop        stop the broker that kafka_start started
#
# kafka_start exports:
#   EMPORIUM_TEST_KAFKA_URL    kafka://127.0.0.1:PORT
#   EMPORIUM_TEST_KAFKA_CTL    a script: `stop` takes the broker's Kafka service away (the
#                              process and its data stay), `start` brings it back on the same
#                              port and waits until it answers, `restart SECONDS` does both
#   EMPORIUM_TEST_KAFKA_PYTHON the venv's python, with kafka-python (and confluent-kafka) when pip
#                              could install them
#
# The venv lives in ${EMPORIUM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/emporium}/noida-venv and
# is reused by later runs. Nothing else outside DIR is written, and kafka_stop ends only the
# process kafka_start started.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

_emporium_kafka_venv() {
    echo "${EMPORIUM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/emporium}/noida-venv"
}

# Installs noida-db (and, best effort, kafka-python and confluent-kafka for interop tests) into
# the cached venv.
_emporium_kafka_install() {
    local venv
    venv="$(_emporium_kafka_venv)"
    if [ -x "$venv/bin/noida-db" ]; then
        _emporium_kafka_install_confluent "$venv"
        return 0
    fi
    echo "kafka.sh: installing noida-db into $venv (pip)" >&2
    mkdir -p "$(dirname "$venv")" || return 1
    python3 -m venv "$venv" >&2 || return 1
    "$venv/bin/pip" install -q noida-db >&2 || return 1
    "$venv/bin/pip" install -q kafka-python >&2 || echo "kafka.sh: kafka-python not installed; interop tests will be skipped" >&2
    _emporium_kafka_install_confluent "$venv"
}

# Best effort: confluent-kafka (librdkafka) for the event transport's interop test; tried once
# per venv (a marker file remembers a failure), the tests fall back to kafka-python without it.
_emporium_kafka_install_confluent() {
    local venv="$1"
    "$venv/bin/python" -c "import confluent_kafka" 2>/dev/null && return 0
    [ -e "$venv/.confluent-kafka-failed" ] && return 0
    echo "kafka.sh: installing confluent-kafka into $venv (pip)" >&2
    "$venv/bin/pip" install -q confluent-kafka >&2 || {
        echo "kafka.sh: confluent-kafka not installed; interop tests use kafka-python only" >&2
        touch "$venv/.confluent-kafka-failed"
    }
    return 0
}

# Waits until PORT on 127.0.0.1 accepts connections (up to 30 s).
_emporium_kafka_wait_port() {
    local port="$1"
    for _ in $(seq 1 300); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

kafka_start() {
    local dir="${1:-}"
    if [ -z "$dir" ]; then
        echo "usage: kafka_start DIR" >&2
        return 2
    fi
    if [ -n "${_EMPORIUM_KAFKA_DIR:-}" ]; then
        echo "kafka.sh: a broker is already running from ${_EMPORIUM_KAFKA_DIR}; call kafka_stop first" >&2
        return 1
    fi
    _emporium_kafka_install || {
        echo "kafka.sh: could not install noida-db with pip" >&2
        return 1
    }
    local venv
    venv="$(_emporium_kafka_venv)"
    mkdir -p "$dir" || return 1
    dir="$(cd "$dir" && pwd)"
    mkdir -p "$dir/data" || return 1

    local port attempt pid=""
    for attempt in 1 2 3; do
        port="$(free_port)" || return 1
        # Foreground server, run in the background here; its own stdio goes to a log file.
        "$venv/bin/noida-db" start --only kafka --kafka-port "$port" --data-dir "$dir/data" \
            </dev/null >"$dir/noida.out" 2>&1 &
        pid=$!
        if _emporium_kafka_wait_port "$port" && kill -0 "$pid" 2>/dev/null; then
            break
        fi
        echo "kafka.sh: broker did not come up on port $port (attempt $attempt):" >&2
        grep -v GLIBC "$dir/noida.out" | tail -n 5 >&2
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        pid=""
    done
    if [ -z "$pid" ]; then
        return 1
    fi
    echo "$pid" >"$dir/noida.pid"

    cat >"$dir/kafka-ctl" <<CTL
#!/usr/bin/env bash
# Takes the test broker's Kafka service in $dir away and back (the process stays).
set -euo pipefail
noida='$venv/bin/noida-db'
data='$dir/data'
port=$port
wait_port() {
    for _ in \$(seq 1 300); do
        if (exec 3<>"/dev/tcp/127.0.0.1/\$port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "kafka-ctl: the broker did not answer on port \$port" >&2
    return 1
}
case "\${1:-}" in
    stop) "\$noida" stop kafka --data-dir "\$data" 2>&1 | grep -v GLIBC >&2 || true ;;
    start) "\$noida" start kafka --data-dir "\$data" 2>&1 | grep -v GLIBC >&2 || true; wait_port ;;
    restart) "\$0" stop; sleep "\${2:-0}"; "\$0" start ;;
    *) echo "usage: \$0 stop|start|restart [SECONDS]" >&2; exit 2 ;;
esac
CTL
    chmod +x "$dir/kafka-ctl"

    export _EMPORIUM_KAFKA_DIR="$dir"
    export EMPORIUM_TEST_KAFKA_URL="kafka://127.0.0.1:$port"
    export EMPORIUM_TEST_KAFKA_CTL="$dir/kafka-ctl"
    export EMPORIUM_TEST_KAFKA_PYTHON="$venv/bin/python"
    echo "kafka.sh: broker up at $EMPORIUM_TEST_KAFKA_URL (data in $dir)" >&2
}

kafka_stop() {
    local dir="${_EMPORIUM_KAFKA_DIR:-}"
    if [ -z "$dir" ]; then
        echo "kafka.sh: no broker started by kafka_start" >&2
        return 0
    fi
    local pid=""
    [ -f "$dir/noida.pid" ] && pid="$(cat "$dir/noida.pid")"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        # The wrapper runs the server binary as its child: `down` stops the server of this data
        # folder (and only it); then the wrapper exits.
        "$(_emporium_kafka_venv)/bin/noida-db" down --data-dir "$dir/data" >/dev/null 2>&1 || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    fi
    unset _EMPORIUM_KAFKA_DIR EMPORIUM_TEST_KAFKA_URL EMPORIUM_TEST_KAFKA_CTL EMPORIUM_TEST_KAFKA_PYTHON
}
