#!/usr/bin/env python3
"""Checks the Grafana dashboards and their provisioning (scripts/check-ops runs it).

- Every ops/grafana/dashboards/*.json has what Grafana needs to load it from a file: a unique uid
  (at most 40 of [A-Za-z0-9_-]) and title, schemaVersion, time, templating, panels; every panel an
  id unique in its dashboard, a known type, a title, a gridPos inside the 24 columns that overlaps
  no other panel, a datasource that is the dashboard's variable; every query a unique refId and an
  expression whose variables ($name) the dashboard defines or Grafana provides.
- Every panel's PromQL parses: each expression (variables replaced by example values) becomes a
  recording rule of a temporary rules file that `promtool check rules` reads; an error names the
  dashboard and the panel.
- The JSON files are what generate_dashboards.py writes (no hand edits that the next run would lose).
- The provisioning files are YAML with apiVersion 1, the Prometheus data source's uid is the one the
  dashboards default to, and the dashboards provider is a file provider.

    ops/grafana/check_dashboards.py
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import generate_dashboards  # noqa: E402
import metric_names  # noqa: E402

PANEL_TYPES = {"row", "timeseries", "stat", "gauge", "table", "bargauge", "text", "heatmap", "logs", "piechart"}
BUILT_IN = {"__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms", "__dashboard", "__from", "__to"}
UID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def check_dashboard(path, dashboard, problems):
    name = os.path.basename(path)

    def problem(text):
        problems.append(f"{name}: {text}")

    before = len(problems)
    for key, kind in [("uid", str), ("title", str), ("schemaVersion", int), ("panels", list), ("templating", dict),
                      ("time", dict), ("version", int), ("tags", list)]:
        if not isinstance(dashboard.get(key), kind):
            problem(f"no {key} ({kind.__name__})")
    if len(problems) > before:
        return []
    if not UID.match(dashboard["uid"]):
        problem(f"uid {dashboard['uid']!r} is not 1-40 of [A-Za-z0-9_-]")
    if not dashboard["panels"]:
        problem("no panels")
    variables = {v.get("name") for v in dashboard["templating"].get("list", [])}
    if "datasource" not in variables:
        problem("no datasource variable")
    expressions = []
    ids, cells = set(), {}
    for panel in metric_names.panels(dashboard):
        title = panel.get("title")
        where = f"panel {panel.get('id')} ({title!r})"
        if not isinstance(panel.get("id"), int) or panel["id"] in ids:
            problem(f"{where}: id missing or not unique")
        ids.add(panel.get("id"))
        if panel.get("type") not in PANEL_TYPES:
            problem(f"{where}: unknown type {panel.get('type')!r}")
        if not title:
            problem(f"{where}: no title")
        grid = panel.get("gridPos", {})
        if not all(isinstance(grid.get(k), int) for k in "xywh"):
            problem(f"{where}: gridPos needs integer x, y, w, h")
            continue
        if grid["x"] < 0 or grid["w"] < 1 or grid["x"] + grid["w"] > 24 or grid["h"] < 1 or grid["y"] < 0:
            problem(f"{where}: gridPos {grid} is outside the 24 columns")
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                if (x, y) in cells:
                    problem(f"{where}: overlaps {cells[(x, y)]}")
                    break
                cells[(x, y)] = where
            else:
                continue
            break
        if panel.get("type") in ("row", "text"):
            continue
        if panel.get("datasource") != {"type": "prometheus", "uid": "${datasource}"}:
            problem(f"{where}: datasource is not the dashboard's ${{datasource}}")
        targets = panel.get("targets") or []
        if not targets:
            problem(f"{where}: no queries")
        refs = set()
        for target in targets:
            ref, expr = target.get("refId"), target.get("expr")
            if not ref or ref in refs:
                problem(f"{where}: refId missing or repeated")
            refs.add(ref)
            if not expr or not expr.strip():
                problem(f"{where} {ref}: no expr")
                continue
            for used in re.findall(r"\$\{?(\w+)", expr):
                if used not in variables and used not in BUILT_IN:
                    problem(f"{where} {ref}: ${used} is not a variable of the dashboard")
            expressions.append((f"{name} / {where} {ref}", expr))
    return expressions


def check_promql(expressions, variables_of, problems):
    """Every expression, as a recording rule, through `promtool check rules`."""
    groups = []
    for index, (where, expr, dashboard) in enumerate(expressions):
        readable = metric_names.substitute_grafana_variables(expr, variables_of[dashboard])
        groups.append({"name": where, "rules": [{"record": f"dashboard:check:{index}", "expr": readable}]})
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as file:
        yaml.safe_dump({"groups": groups}, file, sort_keys=False)
        rules = file.name
    try:
        result = subprocess.run(["promtool", "check", "rules", rules], capture_output=True, text=True)
    finally:
        os.unlink(rules)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        # promtool names the group (our dashboard and panel) or the rule's index.
        for line in output.splitlines():
            match = re.search(r"dashboard:check:(\d+)", line)
            if match:
                line += f"  <- {expressions[int(match.group(1))][0]}: {expressions[int(match.group(1))][1]}"
            problems.append(f"promtool: {line.strip()}")
    return len(groups)


def check_generated(problems):
    expected = generate_dashboards.all_dashboards()
    present = {os.path.basename(p) for p in glob.glob(os.path.join(HERE, "dashboards", "*.json"))}
    for name in sorted(present - set(expected)):
        problems.append(f"{name}: not written by generate_dashboards.py (add it there)")
    for name, dashboard in sorted(expected.items()):
        path = os.path.join(HERE, "dashboards", name)
        if not os.path.exists(path):
            problems.append(f"{name}: missing: run ops/grafana/generate_dashboards.py")
        elif open(path).read() != generate_dashboards.render(dashboard):
            problems.append(f"{name}: differs from what generate_dashboards.py writes: run it (edit the generator, not the JSON)")


def check_provisioning(problems):
    sources = yaml.safe_load(open(os.path.join(HERE, "provisioning", "datasources", "emporium.yml")))
    if sources.get("apiVersion") != 1:
        problems.append("provisioning/datasources/emporium.yml: apiVersion is not 1")
    uids = {s.get("type"): s.get("uid") for s in sources.get("datasources", [])}
    if uids.get("prometheus") != "prometheus":
        problems.append("provisioning/datasources/emporium.yml: no prometheus data source with uid prometheus")
    if "loki" not in uids:
        problems.append("provisioning/datasources/emporium.yml: no loki data source")
    providers = yaml.safe_load(open(os.path.join(HERE, "provisioning", "dashboards", "emporium.yml")))
    if providers.get("apiVersion") != 1 or not any(
            p.get("type") == "file" and p.get("options", {}).get("path") for p in providers.get("providers", [])):
        problems.append("provisioning/dashboards/emporium.yml: needs apiVersion 1 and a file provider with options.path")


def main():
    problems, expressions, variables_of, uids, titles = [], [], {}, {}, {}
    paths = sorted(glob.glob(os.path.join(HERE, "dashboards", "*.json")))
    if not paths:
        problems.append("no dashboards in ops/grafana/dashboards")
    for path in paths:
        try:
            dashboard = json.load(open(path))
        except ValueError as error:
            problems.append(f"{os.path.basename(path)}: not JSON: {error}")
            continue
        for key, seen in (("uid", uids), ("title", titles)):
            value = dashboard.get(key)
            if value in seen:
                problems.append(f"{os.path.basename(path)}: {key} {value!r} is also {seen[value]}'s")
            seen[value] = os.path.basename(path)
        variables_of[path] = metric_names.dashboard_variables(dashboard)
        expressions += [(where, expr, path) for where, expr in check_dashboard(path, dashboard, problems)]
    checked = check_promql(expressions, variables_of, problems) if expressions else 0
    check_generated(problems)
    check_provisioning(problems)
    if problems:
        print("dashboards:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"{len(paths)} dashboards, {checked} PromQL expressions parsed by promtool, provisioning files fine")
    return 0


if __name__ == "__main__":
    sys.exit(main())
