# shellcheck shell=bash
# A throwaway OTLP/HTTP traces receiver for tests (PyPI's opentelemetry-proto, run by
# scripts/services/otlp_receiver.py): it decodes what Emporium exports and writes each span as a
# JSON line.
#
# Source this file, then:
#   otlp_start DIR   install opentelemetry-proto (pip, into a venv in a cache folder) when missing
#                    and start the receiver on a free port of 127.0.0.1, its spans in DIR/spans.jsonl
#   otlp_stop        stop exactly the receiver process that otlp_start started
#
# otlp_start exports:
#   EMPORIUM_TEST_OTLP_URL     http://127.0.0.1:PORT (tracing.otlpEndpoint: /v1/traces is added)
#   EMPORIUM_TEST_OTLP_SPANS   the file of received spans, one JSON object a line (otlp_receiver.py)
#   EMPORIUM_TEST_OTLP_PYTHON  the venv's python, and EMPORIUM_TEST_OTLP_SCRIPT otlp_receiver.py, for
#                              a test that starts and stops a receiver of its own
#                              ($PYTHON $SCRIPT --port PORT --spans FILE --ready FILE [--refuse])
#
# The venv lives in ${EMPORIUM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/emporium}/otlp-venv and
# is reused by later runs.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

_emporium_otlp_script="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/otlp_receiver.py"

_emporium_otlp_venv() {
    cached_venv otlp-venv
}

# Installs opentelemetry-proto into the cached venv when it is not there yet.
otlp_install() {
    venv_install otlp-venv opentelemetry.proto.collector.trace.v1.trace_service_pb2 opentelemetry-proto
}

otlp_start() {
    local dir="${1:-}"
    if [ -z "$dir" ]; then
        echo "usage: otlp_start DIR" >&2
        return 2
    fi
    if [ -n "${_EMPORIUM_OTLP_DIR:-}" ]; then
        echo "otlp.sh: a receiver is already running from ${_EMPORIUM_OTLP_DIR}; call otlp_stop first" >&2
        return 1
    fi
    otlp_install || { echo "otlp.sh: could not install opentelemetry-proto with pip" >&2; return 1; }
    mkdir -p "$dir" || return 1
    dir="$(cd "$dir" && pwd)"
    local python port pid="" attempt
    python="$(_emporium_otlp_venv)/bin/python"
    for attempt in 1 2 3; do
        port="$(free_port)" || return 1
        rm -f "$dir/ready"
        "$python" "$_emporium_otlp_script" --port "$port" --spans "$dir/spans.jsonl" --ready "$dir/ready" \
            </dev/null >"$dir/receiver.log" 2>&1 &
        pid=$!
        for _ in $(seq 1 100); do
            [ -f "$dir/ready" ] && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        [ -f "$dir/ready" ] && kill -0 "$pid" 2>/dev/null && break
        echo "otlp.sh: the receiver did not come up (attempt $attempt):" >&2
        tail -n 5 "$dir/receiver.log" >&2
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        pid=""
    done
    [ -n "$pid" ] || return 1
    echo "$pid" >"$dir/receiver.pid"
    touch "$dir/spans.jsonl"
    export _EMPORIUM_OTLP_DIR="$dir"
    export EMPORIUM_TEST_OTLP_URL="http://127.0.0.1:$port"
    export EMPORIUM_TEST_OTLP_SPANS="$dir/spans.jsonl"
    export EMPORIUM_TEST_OTLP_PYTHON="$python"
    export EMPORIUM_TEST_OTLP_SCRIPT="$_emporium_otlp_script"
    echo "otlp.sh: OTLP receiver on $EMPORIUM_TEST_OTLP_URL; spans in $dir/spans.jsonl" >&2
}

otlp_stop() {
    local dir="${_EMPORIUM_OTLP_DIR:-}"
    if [ -z "$dir" ]; then
        echo "otlp.sh: no receiver started by otlp_start" >&2
        return 0
    fi
    local pid=""
    [ -f "$dir/receiver.pid" ] && pid="$(cat "$dir/receiver.pid")"
    # Only that process: its command line names this folder's spans file.
    if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--spans $dir/spans.jsonl"; then
        stop_process "$pid" 5 "the OTLP receiver"
    fi
    rm -f "$dir/receiver.pid"
    unset _EMPORIUM_OTLP_DIR EMPORIUM_TEST_OTLP_URL EMPORIUM_TEST_OTLP_SPANS EMPORIUM_TEST_OTLP_PYTHON EMPORIUM_TEST_OTLP_SCRIPT
}
