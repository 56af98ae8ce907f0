# shellcheck shell=bash
# A throwaway Prometheus (Debian's) running the shipped ops/prometheus config and rules, for
# scripts/check-ops and scripts/render-dashboards (sourced, not run).
#
#   prometheus_install   installs Debian's prometheus (promtool), jq and python3-yaml with apt-get
#                        when missing, and sets EMPORIUM_TEST_PROMETHEUS_PYTHON to a python3 that
#                        imports yaml
#   prometheus_start DIR TARGETS_FILE INTERVAL [ALERT_FOR]
#                        a test copy of ops/prometheus/prometheus.yml and rules/ in DIR, scraping
#                        and evaluating every INTERVAL (1s, 2s), each alert's `for:` cut to
#                        ALERT_FOR when given, with TARGETS_FILE as its only Emporium target file
#                        (file_sd: `- labels: {service: …}` / `targets: [host:port, …]`); starts it
#                        on a free port of 127.0.0.1 (log: DIR/prometheus.log), waits until it is
#                        ready and exports EMPORIUM_TEST_PROMETHEUS_URL
#   prometheus_wait_up COUNT SECONDS
#                        until COUNT targets of the job emporium are up (service discovery hands
#                        them over after a few seconds; a rate sees only what came after its first
#                        scrape); non-zero when they are not within SECONDS
#   prometheus_query EXPR
#                        the first value of an instant query (0 when it has none)
#   prometheus_stop      stops exactly the Prometheus that prometheus_start started
#   dashboards_python    installs matplotlib and PyYAML (pip, into a cached venv) when missing for
#                        ops/grafana/render_dashboards.py, and prints that venv's python; non-zero
#                        when pip cannot install them
#
# Paths in the config are relative to it, so it runs from DIR; the exporters' jobs have no target.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

_emporium_prometheus_ops="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../ops/prometheus" && pwd)"
_emporium_prometheus_pid=""

prometheus_install() {
    if ! command -v promtool >/dev/null 2>&1; then
        apt_install_if_missing promtool prometheus || return 1
        # Where an init system runs, the package starts a system Prometheus on :9090: not the one we run.
        (service prometheus stop || /etc/init.d/prometheus stop) >/dev/null 2>&1 || true
    fi
    apt_install_if_missing jq jq || return 1
    EMPORIUM_TEST_PROMETHEUS_PYTHON=python3
    if ! "$EMPORIUM_TEST_PROMETHEUS_PYTHON" -c 'import yaml' 2>/dev/null; then
        EMPORIUM_TEST_PROMETHEUS_PYTHON=/usr/bin/python3
        "$EMPORIUM_TEST_PROMETHEUS_PYTHON" -c 'import yaml' 2>/dev/null ||
            apt_install_if_missing /usr/lib/python3/dist-packages/yaml python3-yaml || return 1
    fi
    export EMPORIUM_TEST_PROMETHEUS_PYTHON
}

prometheus_start() {
    local dir=$1 targets=$2 interval=$3 alert_for=${4:-}
    if [ -n "$_emporium_prometheus_pid" ]; then
        echo "prometheus.sh: a Prometheus is already running (pid $_emporium_prometheus_pid); prometheus_stop first" >&2
        return 1
    fi
    prometheus_install || return 1
    mkdir -p "$dir/rules" "$dir/targets/emporium" "$dir/targets/redis" "$dir/targets/rabbitmq" \
        "$dir/targets/ingress-nginx" "$dir/targets/cert-manager" || return 1
    cp "$targets" "$dir/targets/emporium/test.yml" || return 1
    "$EMPORIUM_TEST_PROMETHEUS_PYTHON" - "$_emporium_prometheus_ops" "$dir" "$interval" "$alert_for" <<'EOF' || return 1
import glob, os, sys, yaml
source, target, interval, alert_for = sys.argv[1:5]
config = yaml.safe_load(open(os.path.join(source, "prometheus.yml")))
config["global"].update(scrape_interval=interval, scrape_timeout=interval, evaluation_interval=interval)
yaml.safe_dump(config, open(os.path.join(target, "prometheus.yml"), "w"), sort_keys=False)
for path in glob.glob(os.path.join(source, "rules", "*.yml")):
    rules = yaml.safe_load(open(path))
    for group in rules["groups"]:
        for rule in group["rules"]:
            if alert_for and "alert" in rule and "for" in rule:
                rule["for"] = alert_for
    yaml.safe_dump(rules, open(os.path.join(target, "rules", os.path.basename(path)), "w"), sort_keys=False)
EOF
    promtool check config "$dir/prometheus.yml" >/dev/null || { echo "prometheus.sh: the test copy of prometheus.yml" >&2; return 1; }
    local port
    port=$(free_port) || return 1
    (cd "$dir" && exec prometheus --config.file=prometheus.yml --storage.tsdb.path="$dir/data" \
        --web.listen-address="127.0.0.1:$port") </dev/null >"$dir/prometheus.log" 2>&1 &
    _emporium_prometheus_pid=$!
    export EMPORIUM_TEST_PROMETHEUS_URL="http://127.0.0.1:$port"
    for _ in $(seq 1 300); do
        curl -sf -o /dev/null "$EMPORIUM_TEST_PROMETHEUS_URL/-/ready" && return 0
        kill -0 "$_emporium_prometheus_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "prometheus.sh: Prometheus was not ready within 30 s; the end of $dir/prometheus.log:" >&2
    tail -n 15 "$dir/prometheus.log" >&2
    prometheus_stop
    return 1
}

prometheus_query() {
    curl -s "$EMPORIUM_TEST_PROMETHEUS_URL/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // 0'
}

prometheus_wait_up() {
    local count=$1 seconds=$2
    for _ in $(seq 1 $((seconds * 10))); do
        [ "$(prometheus_query 'count(up{job="emporium"} == 1)')" = "$count" ] && return 0
        sleep 0.1
    done
    return 1
}

prometheus_stop() {
    stop_started _emporium_prometheus_pid 20 "prometheus.sh: Prometheus"
    unset EMPORIUM_TEST_PROMETHEUS_URL
}

dashboards_python() {
    # `import matplotlib, yaml`: both, so that a venv left half-made by a failed pip is made again.
    venv_install dashboards-venv "matplotlib, yaml" matplotlib PyYAML || return 1
    echo "$(cached_venv dashboards-venv)/bin/python"
}
