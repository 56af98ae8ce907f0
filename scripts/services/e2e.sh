# shellcheck shell=bash
# The end-to-end suite (Tests/EndToEndTests): a shopper's and a support agent's journey through
# one base URL, as a black-box HTTP client (see docs/testing.md).
#
# Source this file, then:
#   e2e_run NAME URL SUPPORT_EMAIL SUPPORT_PASSWORD MAIL_DIR TRANSCRIPT
#                    runs `swift test --skip-build --filter EndToEndTests` against the shop at URL,
#                    with a support account (role support) and the folder where the shop's emails
#                    arrive (the SMTP test server's $EMPORIUM_TEST_SMTP_MESSAGES/plain); writes the
#                    transcript to TRANSCRIPT (none when empty); returns the suite's status. NAME
#                    names the run in its output.
#   e2e_one_process WORKDIR
#                    runs the suite against the one-process mode: the built `emporium serve` on a
#                    free port of 127.0.0.1 with its data in WORKDIR/data, default settings (the
#                    gateway's rate limits on) except that mail goes to the SMTP test server
#                    ($EMPORIUM_TEST_SMTP_URL: run smtp_start first), and a support account made
#                    with `emporium admin create-user`; stops the server (SIGTERM) whatever
#                    happened and returns the suite's status. The transcript is
#                    WORKDIR/one-process.transcript, the server's log WORKDIR/server.log.
#   e2e_cluster WORKDIR
#                    runs the suite against a running scripts/cluster (cluster_start in
#                    scripts/services/cluster.sh; EMPORIUM_CLUSTER_DIR and EMPORIUM_CLUSTER_URL),
#                    through its gateway, with a support account made with `emporium admin
#                    create-user` on the cluster's data (its admin.env); the transcript is
#                    WORKDIR/cluster.transcript. Start the cluster with
#                    EMPORIUM_NOTIFICATIONS_SMTP_URL=$EMPORIUM_TEST_SMTP_URL so mail reaches the
#                    SMTP test server.
#
# None builds: run `swift build --build-tests` first. SCRATCH_PATH, as for the other scripts,
# names the build's scratch path (relative to the repository) when it is not .build.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

_emporium_e2e_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# The built emporium binary (of SCRATCH_PATH, when set), or a message and a failure.
_emporium_e2e_binary() {
    local scratch=(${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"})
    local binary
    binary="$(cd "$_emporium_e2e_root" && swift build "${scratch[@]}" --show-bin-path)/emporium" || return 1
    if [ ! -x "$binary" ]; then
        echo "e2e.sh: no emporium binary at $binary (swift build --build-tests first)" >&2
        return 1
    fi
    echo "$binary"
}

# Shows the first error and critical lines of the logs FILE… of WHAT, if any (they do not fail
# the run: the journey's answers do): _emporium_e2e_logged_errors WHAT FILE…
_emporium_e2e_logged_errors() {
    local what=$1
    shift
    if grep -q "$EMPORIUM_LOG_PROBLEMS" "$@"; then
        echo "e2e.sh: $what logged errors during the journey:" >&2
        grep "$EMPORIUM_LOG_PROBLEMS" "$@" | head -n 20 >&2
    fi
}

e2e_run() {
    if [ $# -ne 6 ]; then
        echo "usage: e2e_run NAME URL SUPPORT_EMAIL SUPPORT_PASSWORD MAIL_DIR TRANSCRIPT" >&2
        return 2
    fi
    local name="$1" url="$2" email="$3" password="$4" mail="$5" transcript="$6"
    local scratch=(${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"})
    local started status=0
    started=$(date +%s)
    echo "==> end-to-end suite ($name) against $url"
    local output
    output=$(mktemp)
    (
        cd "$_emporium_e2e_root" &&
            EMPORIUM_E2E_URL="$url" EMPORIUM_E2E_SUPPORT_EMAIL="$email" EMPORIUM_E2E_SUPPORT_PASSWORD="$password" \
                EMPORIUM_E2E_MAIL_DIR="$mail" EMPORIUM_E2E_TRANSCRIPT="$transcript" \
                swift test --skip-build "${scratch[@]}" --filter EndToEndTests
    ) >"$output" 2>&1 || status=$?
    cat "$output"
    # A build without the suite runs no test and passes: that is a failure here.
    if [ "$status" -eq 0 ] && ! grep -q 'Test run with [1-9][0-9]* tests\{0,1\} .*passed' "$output"; then
        echo "e2e.sh: the end-to-end suite did not run (is Tests/EndToEndTests in the build?)" >&2
        status=1
    fi
    rm -f "$output"
    echo "==> end-to-end suite ($name): $([ "$status" -eq 0 ] && echo passed || echo "FAILED ($status)") in $(($(date +%s) - started))s"
    return "$status"
}

# The body runs in a subshell, so that its traps (stopping the server on any exit, an interrupt
# included) are its own and not the caller's.
e2e_one_process() (
    local work="${1:-}"
    if [ -z "$work" ]; then
        echo "usage: e2e_one_process WORKDIR" >&2
        exit 2
    fi
    if [ -z "${EMPORIUM_TEST_SMTP_URL:-}" ] || [ -z "${EMPORIUM_TEST_SMTP_MESSAGES:-}" ]; then
        echo "e2e.sh: the SMTP test servers are not running (source scripts/services/smtp.sh; smtp_start DIR)" >&2
        exit 2
    fi
    mkdir -p "$work/data" || exit 1
    work="$(cd "$work" && pwd)"
    local binary
    binary=$(_emporium_e2e_binary) || exit 2

    local server_pid=""
    stop_server() {
        [ -n "$server_pid" ] || return 0
        # It finishes requests in flight and exits; 30 s, then it is killed.
        stop_process "$server_pid" 30 "e2e.sh: the server"
        server_pid=""
    }
    trap stop_server EXIT
    trap 'exit 130' INT TERM

    # The support account first, on the new data folder (its auth database is migrated for it;
    # `serve` migrates the rest and relays the account's event to the users service).
    local email="e2e-support@example.com" password="e2e support passphrase $RANDOM$RANDOM"
    local data=(--data-dir "$work/data")
    "$binary" admin create-user "${data[@]}" --email "$email" --password "$password" --role support >"$work/admin.log" 2>&1 || {
        echo "e2e.sh: emporium admin create-user failed:" >&2
        tail -n 20 "$work/admin.log" >&2
        exit 1
    }

    local port base
    port="$(free_port)" || exit 1
    base="http://127.0.0.1:$port"
    EMPORIUM_NOTIFICATIONS_SMTP_URL="$EMPORIUM_TEST_SMTP_URL" \
        "$binary" serve "${data[@]}" --host 127.0.0.1 --port "$port" </dev/null >"$work/server.log" 2>&1 &
    server_pid=$!
    local ready=""
    for _ in $(seq 1 600); do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health/ready" 2>/dev/null)" = 200 ]; then
            ready=1
            break
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$ready" ]; then
        echo "e2e.sh: emporium serve was not ready within 60 s at $base; its log:" >&2
        tail -n 30 "$work/server.log" >&2
        exit 1
    fi

    local status=0
    e2e_run one-process "$base" "$email" "$password" "$EMPORIUM_TEST_SMTP_MESSAGES/plain" "$work/one-process.transcript" || status=$?
    stop_server
    _emporium_e2e_logged_errors "the server ($work/server.log)" "$work/server.log"
    if [ "$status" -ne 0 ]; then
        echo "e2e.sh: the server's last lines ($work/server.log):" >&2
        tail -n 30 "$work/server.log" >&2
    fi
    exit "$status"
)

e2e_cluster() (
    local work="${1:?usage: e2e_cluster WORKDIR}"
    if [ -z "${EMPORIUM_CLUSTER_DIR:-}" ] || [ -z "${EMPORIUM_CLUSTER_URL:-}" ]; then
        echo "e2e.sh: no cluster is running (cluster_start in scripts/services/cluster.sh)" >&2
        exit 2
    fi
    mkdir -p "$work" || exit 1
    work="$(cd "$work" && pwd)"
    local binary
    binary=$(_emporium_e2e_binary) || exit 2
    local email="e2e-support@example.com" password="e2e support passphrase $RANDOM$RANDOM"
    (source "$EMPORIUM_CLUSTER_DIR/admin.env" &&
        "$binary" admin create-user --email "$email" --password "$password" --role support) >"$work/admin.log" 2>&1 || {
        echo "e2e.sh: emporium admin create-user on the cluster failed:" >&2
        tail -n 20 "$work/admin.log" >&2
        exit 1
    }
    local status=0
    e2e_run cluster "$EMPORIUM_CLUSTER_URL" "$email" "$password" "$EMPORIUM_TEST_SMTP_MESSAGES/plain" "$work/cluster.transcript" || status=$?
    _emporium_e2e_logged_errors "the cluster" "$EMPORIUM_CLUSTER_DIR"/logs/*.log
    exit "$status"
)
