#!/usr/bin/env python3
"""Every metric name that ops/ reads, and where each is explained.

Reads the PromQL of the alerting and recording rules (ops/prometheus/rules/*.yml) and of every
panel of the Grafana dashboards (ops/grafana/dashboards/*.json), and sorts each metric name it
reads into one of:

  recorded   made by a recording rule of ours
  exporter   a third-party exporter's (ops/prometheus/exporter-metrics.txt)
  missing    one Emporium should export and does not yet (ops/prometheus/missing-metrics.txt)
  emporium   anything else: must be on a running Emporium's /metrics

    ops/metric_names.py            # prints "CLASS NAME WHERE..." per name
    ops/metric_names.py --json     # the same as a JSON object {name: {"class": ..., "where": [...]}}

scripts/check-ops checks the `emporium` ones against a real Prometheus scraping `emporium serve`.
"""
import glob
import json
import os
import re
import sys

import yaml

OPS = os.path.dirname(os.path.abspath(__file__))

# Words of PromQL that look like names but are not series.
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
            "offset", "bool", "inf", "nan", "start", "end"}
# Grafana's variables, replaced before PromQL is read (the checker in ops/grafana does the same).
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1d",
                     "${__range}": "1d", "$__range_s": "86400"}


def substitute_grafana_variables(expr, variables):
    """The expression with Grafana's built-in and the dashboard's own variables replaced."""
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    for name, value in variables.items():
        expr = expr.replace("${%s:regex}" % name, value).replace("${%s}" % name, value).replace("$" + name, value)
    return expr


def metric_names(expr):
    """The series names an expression reads (a lexical reading, enough for our rules)."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    s = re.sub(r"#[^\n]*", "", s)
    s = re.sub(r"\{[^}]*\}", " ", s)
    s = re.sub(r"\[[^\]]*\]", " ", s)
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", s):
        token = match.group(0)
        before = s[match.start() - 1] if match.start() > 0 else " "
        if before.isdigit() or before == ".":
            continue  # a duration's unit or an exponent: 5m, 1e3
        if s[match.end():].lstrip().startswith("("):
            continue  # a function or an aggregation
        if token.lower() in KEYWORDS:
            continue
        names.add(token)
    return names


def listed(path):
    """The first word of each line of a list file, without comments and blank lines."""
    names = set()
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(line.split()[0])
    return names


def rule_expressions():
    for path in sorted(glob.glob(os.path.join(OPS, "prometheus", "rules", "*.yml"))):
        for group in (yaml.safe_load(open(path)) or {}).get("groups", []):
            for rule in group.get("rules", []):
                yield os.path.relpath(path, OPS), rule.get("alert") or rule.get("record"), rule["expr"], rule.get("record")


def dashboard_expressions():
    for path in sorted(glob.glob(os.path.join(OPS, "grafana", "dashboards", "*.json"))):
        dashboard = json.load(open(path))
        variables = dashboard_variables(dashboard)
        for panel in panels(dashboard):
            for target in panel.get("targets", []):
                if "expr" in target:
                    yield (os.path.relpath(path, OPS), panel.get("title", "?"),
                           substitute_grafana_variables(target["expr"], variables))


def dashboard_variables(dashboard):
    """The dashboard's own variables, each with an example value (substitute_grafana_variables)."""
    return {v["name"]: example_value(v) for v in dashboard.get("templating", {}).get("list", []) if "name" in v}


def example_value(variable):
    """A value a dashboard variable may take, to read the PromQL that uses it."""
    current = variable.get("current", {}).get("value")
    if isinstance(current, list):
        current = current[0] if current else None
    if current and current != "$__all":
        return str(current)
    options = variable.get("options") or []
    if options:
        return str(options[0].get("value"))
    return ".*" if variable.get("includeAll") else "x"


def panels(dashboard):
    for panel in dashboard.get("panels", []):
        yield panel
        for inner in panel.get("panels", []):  # collapsed rows keep their panels inside
            yield inner


def classify():
    recorded = {record for _, _, _, record in rule_expressions() if record}
    exporter = listed(os.path.join(OPS, "prometheus", "exporter-metrics.txt"))
    missing = listed(os.path.join(OPS, "prometheus", "missing-metrics.txt"))
    found = {}
    sources = [(f"{path}: {name}", expr) for path, name, expr, _ in rule_expressions()]
    sources += [(f"{path}: {title}", expr) for path, title, expr in dashboard_expressions()]
    for where, expr in sources:
        for name in metric_names(expr):
            found.setdefault(name, []).append(where)

    def base(name):  # a histogram's series are read through its family's name
        return re.sub(r"_(bucket|sum|count)$", "", name)

    result = {}
    for name, where in sorted(found.items()):
        if name in recorded:
            kind = "recorded"
        elif name in exporter or base(name) in exporter:
            kind = "exporter"
        elif name in missing or base(name) in missing:
            kind = "missing"
        else:
            kind = "emporium"
        result[name] = {"class": kind, "where": where}
    return result


if __name__ == "__main__":
    names = classify()
    if "--json" in sys.argv[1:]:
        json.dump(names, sys.stdout, indent=1)
        print()
    else:
        for name, info in names.items():
            print(info["class"], name, "; ".join(sorted(set(info["where"]))))
