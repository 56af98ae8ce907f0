# shellcheck shell=bash
# scripts/cluster in the background, for scripts that test against it (sourced, not run).
#
#   cluster_start DIR [ARGUMENTS…]
#                    runs `scripts/cluster ARGUMENTS` with its folder at DIR and the gateway on a
#                    free port, waits until it prints that it is ready (5 minutes at most) and
#                    exports EMPORIUM_CLUSTER_DIR and EMPORIUM_CLUSTER_URL; its output goes to
#                    DIR.log. Any EMPORIUM_* setting in the environment goes to every process.
#                    Returns non-zero, with the end of that output, when it fails to start.
#   cluster_stop     stops it (scripts/cluster stop: every process and server it started).
#
# EMPORIUM_BIN, when set, is the binary it runs (default: scripts/cluster builds one).

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

_emporium_cluster_script="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/cluster"
_emporium_cluster_pid=""

cluster_start() {
    local dir="${1:?usage: cluster_start DIR [ARGUMENTS…]}"
    shift
    mkdir -p "$(dirname "$dir")" || return 1
    dir="$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")"
    local port
    port=$(free_port) || return 1
    EMPORIUM_CLUSTER_DIR="$dir" EMPORIUM_CLUSTER_PORT="$port" "$_emporium_cluster_script" "$@" </dev/null >"$dir.log" 2>&1 &
    _emporium_cluster_pid=$!
    for _ in $(seq 1 3000); do
        if [ -f "$dir/url" ]; then
            export EMPORIUM_CLUSTER_DIR="$dir"
            EMPORIUM_CLUSTER_URL="$(cat "$dir/url")"
            export EMPORIUM_CLUSTER_URL
            tail -n 1 "$dir.log"
            return 0
        fi
        if ! kill -0 "$_emporium_cluster_pid" 2>/dev/null; then
            echo "cluster.sh: scripts/cluster exited while starting; its output ($dir.log):" >&2
            tail -n 30 "$dir.log" >&2
            _emporium_cluster_pid=""
            return 1
        fi
        sleep 0.1
    done
    echo "cluster.sh: the cluster was not ready within 5 minutes; its output ($dir.log):" >&2
    tail -n 30 "$dir.log" >&2
    cluster_stop
    return 1
}

cluster_stop() {
    stop_started _emporium_cluster_pid 90 "cluster.sh: scripts/cluster"
    unset EMPORIUM_CLUSTER_URL
}
