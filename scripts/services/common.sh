# Shared helpers for the scripts/services/*.sh files (sourced, not run).

# The lines of an Emporium process's log that tell of a problem (grep's basic regex): errors and
# critical messages in the JSON lines, an error the server did not handle, and the message and
# backtrace header of a crash (a Swift runtime trap prints to stderr, not as JSON).
EMPORIUM_LOG_PROBLEMS='"level":"error"\|"level":"critical"\|unhandled error\|Fatal error:\|Program crashed'

# Prints the folder of the cached Python venv NAME, reused by later runs: cached_venv NAME
cached_venv() {
  echo "${EMPORIUM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/emporium}/$1"
}

# Makes the cached venv NAME and installs the PyPI PACKAGEs into it with pip, unless its python
# already imports MODULE: venv_install NAME MODULE PACKAGE...
venv_install() {
  local venv module=$2
  venv="$(cached_venv "$1")"
  shift 2
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import $module" 2>/dev/null; then
    return 0
  fi
  echo "installing $* into $venv (pip)" >&2
  mkdir -p "$(dirname "$venv")" || return 1
  python3 -m venv "$venv" >&2 || return 1
  "$venv/bin/pip" install -q "$@" >&2 || return 1
}

# Prints a free TCP port on 127.0.0.1, not one of the ports given as arguments.
# Ports come from below the kernel's ephemeral range (ip_local_port_range), so an outgoing
# connection cannot be holding the port when the server binds it; a port that any socket of
# the machine uses (listening or connected, from /proc/net/tcp) is skipped.
free_port() {
  local low=20000 high=32767 ephemeral_start candidate port taken used
  if read -r ephemeral_start _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null && [ "$ephemeral_start" -gt 21000 ]; then
    high=$((ephemeral_start - 1))
  fi
  for _ in $(seq 1 200); do
    candidate=$((low + RANDOM % (high - low + 1)))
    taken=0
    for port in "$@"; do [ "$port" = "$candidate" ] && taken=1; done
    [ "$taken" = 1 ] && continue
    used=$(printf ':%04X ' "$candidate")
    if [ -r /proc/net/tcp ] && cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '{print $2}' | grep -q "${used% }\$"; then
      continue
    fi
    (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null && continue
    echo "$candidate"
    return 0
  done
  echo "no free port found" >&2
  return 1
}

# Installs Debian packages when a command is missing: apt_install_if_missing COMMAND PACKAGE...
apt_install_if_missing() {
  local command=$1
  shift
  if command -v "$command" >/dev/null 2>&1 || compgen -G "$command" >/dev/null 2>&1; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $command is missing and apt-get is not available; install: $*" >&2
    return 1
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "==> installing $* (apt-get)"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# Stops a process of this shell: stop_process PID SECONDS WHAT. SIGTERM, then up to SECONDS for it
# to end (it finishes what it was doing), then SIGKILL with a line on standard error naming WHAT;
# reaps it.
stop_process() {
  local pid=$1 seconds=$2 what=$3
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((seconds * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$what did not stop within $seconds s of SIGTERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# stop_process for the process whose pid the variable NAME holds, when it holds one, then empties
# NAME: stop_started NAME SECONDS WHAT.
stop_started() {
  local name=$1
  [ -n "${!name}" ] || return 0
  stop_process "${!name}" "$2" "$3"
  printf -v "$name" '%s' ""
}
