#!/usr/bin/env python3
"""Runs every panel query of the dashboards against a real Prometheus (scripts/check-ops).

promtool parses PromQL; only evaluating it shows errors such as many-to-many matching or
duplicate label sets. Each query (Grafana's variables replaced as the checker does) is evaluated
at the current time; an error fails. Prints per dashboard how many queries returned series, and
with --verbose each panel's queries with their first results: the dashboards "rendered" as PromQL
results, since no Grafana runs here.

    ops/grafana/query_dashboards.py PROMETHEUS_URL [--verbose]
"""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import metric_names  # noqa: E402


def api(url, endpoint, params):
    """The result of Prometheus' HTTP API `/api/v1/ENDPOINT` for PARAMS (POSTed); ValueError with
    Prometheus' error when it fails."""
    data = urllib.parse.urlencode(params).encode()
    try:
        with urllib.request.urlopen(f"{url}/api/v1/{endpoint}", data=data, timeout=10) as response:
            body = json.load(response)
    except urllib.error.HTTPError as error:
        body = json.load(error)
    if body.get("status") != "success":
        raise ValueError(body.get("error", body))
    return body["data"]["result"]


def query(url, expr):
    """EXPR evaluated now (an instant query): its series, each with one value."""
    return api(url, "query", {"query": expr})


def show(result):
    shown = []
    for sample in result[:3]:
        labels = ",".join(f"{k}={v}" for k, v in sorted(sample.get("metric", {}).items()) if k != "__name__")
        value = sample.get("value", [None, "?"])[1]
        shown.append(f"{{{labels}}} {float(value):.4g}" if value not in ("NaN", "?") else f"{{{labels}}} {value}")
    return "; ".join(shown) + (f"; … {len(result)} series" if len(result) > 3 else "")


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    url, verbose = sys.argv[1].rstrip("/"), "--verbose" in sys.argv[2:]
    classes = metric_names.classify()
    recorded = {record: expr for _, _, expr, record in metric_names.rule_expressions() if record}

    def not_here(name, depth=0):
        """A metric not exported yet or an exporter's (through recording rules too)."""
        if name in recorded and depth < 5:
            return any(not_here(inner, depth + 1) for inner in metric_names.metric_names(recorded[name]))
        return classes.get(name, {}).get("class") in ("missing", "exporter") and name != "up"

    problems, dashboards = [], {}
    for path, title, expr in metric_names.dashboard_expressions():
        missing = any(not_here(name) for name in metric_names.metric_names(expr))
        try:
            result = query(url, expr)
        except ValueError as error:
            problems.append(f"{path} / {title}: {error}\n      {expr}")
            continue
        counts = dashboards.setdefault(os.path.basename(path), {"queries": 0, "data": 0, "empty_missing": 0, "empty": 0})
        counts["queries"] += 1
        if result:
            counts["data"] += 1
        elif missing:
            counts["empty_missing"] += 1
        else:
            counts["empty"] += 1
        if verbose:
            print(f"  {os.path.basename(path)} / {title}: {show(result) if result else '(empty)'}")
    for name, c in sorted(dashboards.items()):
        print(f"  {name}: {c['queries']} queries, {c['data']} with series, {c['empty_missing']} empty on a metric "
              f"not exported (or an exporter not running here), {c['empty']} empty for now")
    for problem in problems:
        print(f"query_dashboards: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
