# Runs a test command under a time limit, so that a hang fails the run with evidence instead of
# using up CI's time. Source it, then:
#
#   run_with_watchdog SECONDS LOG command args...
#
# The command's output goes to stdout and to LOG, line by line (stdbuf, so that nothing is lost
# in a buffer when the command is killed). When the command is still running after SECONDS, the
# watchdog prints the tests that started and did not finish (swift-testing's "◇ Test … started."
# without a "✔"/"✘" line), the processes still running under the command and, where gdb is
# installed, the threads of each of them; then it kills them all. Returns the command's status,
# or 124 after a time-out.

_emporium_descendants() {
    local child
    for child in $(pgrep -P "$1" 2>/dev/null); do
        echo "$child"
        _emporium_descendants "$child"
    done
}

# Tests that LOG shows started and not finished.
_emporium_unfinished_tests() {
    python3 - "$1" <<'PY'
import re, sys
started, finished = {}, set()
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.search(r'◇ Test (.+?) started\.', line)
    if m:
        started.setdefault(m.group(1), line.strip())
        continue
    m = re.search(r'[✔✘] Test (.+?) (?:with \d+ test cases? )?(?:passed|failed) after', line)
    if m:
        finished.add(m.group(1))
for name in started:
    if name not in finished:
        print("    " + name)
PY
}

_emporium_dump_and_kill() {
    local root="$1" seconds="$2" log="$3" pid
    echo
    echo "==> watchdog: still running after ${seconds}s; a hang? Evidence follows, then everything is killed."
    echo "==> tests started and not finished:"
    _emporium_unfinished_tests "$log" || true
    local pids
    pids="$root $(_emporium_descendants "$root")"
    echo "==> processes still running:"
    # shellcheck disable=SC2086
    ps -o pid,ppid,etime,time,args -p "$(echo $pids | tr ' ' ',')" 2>/dev/null || true
    if command -v gdb >/dev/null 2>&1; then
        for pid in $pids; do
            case "$(ps -o comm= -p "$pid" 2>/dev/null)" in
                *xctest*|*-test-runner*|*PackageTests*|emporium*)
                    echo "==> threads of $pid ($(ps -o args= -p "$pid" | cut -c1-120)):"
                    timeout 60 gdb -p "$pid" -batch -ex "thread apply all bt 30" 2>/dev/null \
                        | grep -E '^(Thread|#)' | head -n 400 || true
                    ;;
            esac
        done
    fi
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
}

run_with_watchdog() {
    local seconds="$1" log="$2"
    shift 2
    : >"$log"
    ( set -o pipefail; stdbuf -oL -eL "$@" 2>&1 | tee -a "$log" ) &
    local pid=$! status=0 waited=0
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge "$seconds" ]; then
            _emporium_dump_and_kill "$pid" "$seconds" "$log"
            wait "$pid" 2>/dev/null || true
            return 124
        fi
        sleep 5
        waited=$((waited + 5))
    done
    wait "$pid" || status=$?
    return "$status"
}
