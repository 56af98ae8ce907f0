#!/usr/bin/env python3
"""Checks ops/loki/promtail.yml, and with log files, its pipeline against real log lines.

No Promtail or Loki runs here (neither is in Debian or on PyPI), so this reads the config as
Promtail would and plays the parts of its pipeline that decide labels on Emporium's lines:

- the config: clients, positions, every scrape config's pipeline parses the JSON line, takes the
  timestamp from `time` (RFC3339Nano), labels only job, service, instance, level (and namespace
  on Kubernetes) and never a per-request field; request_id and trace_id go to structured metadata;
- the files job's filename pattern gives the right service and instance for every process name
  of scripts/cluster and the one-process mode;
- given log files (scripts/check-ops passes the ones of its real `emporium serve` and gateway):
  every line is a JSON object whose `time` parses as RFC3339 and whose `level` is one of
  swift-log's, every access line carries request_id (and trace_id, but for the health-check and
  scrape lines: those requests get no span, TraceContextMiddleware), and the drop stage's pattern
  drops exactly the health-check and scrape access lines.

    ops/loki/check_promtail.py [LOG_FILE...]
"""
import collections
import datetime
import json
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ALLOWED_LABELS = {"job", "service", "instance", "level", "namespace"}
PER_REQUEST = {"request_id", "trace_id", "span_id", "route", "status", "method", "duration_ms", "message", "user_id"}
LEVELS = {"trace", "debug", "info", "notice", "warning", "error", "critical"}
# scripts/cluster's instances and the one-process mode: file name -> (service, instance)
FILES = {f"{name}.log": (name.split("-")[0], name) for name in
         ["auth", "users", "catalog", "catalog-2", "cart", "cart-2", "inventory", "orders", "payments",
          "notifications", "recommendations", "gateway", "emporium"]}


def stage(stages, kind):
    return [s[kind] for s in stages if kind in s]


def check_config(config, problems):
    if not config.get("clients") or not all(c.get("url", "").endswith("/loki/api/v1/push") for c in config["clients"]):
        problems.append("clients: each needs a url ending in /loki/api/v1/push")
    if not config.get("positions", {}).get("filename"):
        problems.append("positions.filename is missing")
    jobs = {}
    for scrape in config.get("scrape_configs", []):
        name = scrape.get("job_name", "?")
        jobs[name] = scrape
        stages = scrape.get("pipeline_stages") or []
        labels = set()
        for labelled in stage(stages, "labels"):
            labels |= set(labelled)
        for static in scrape.get("static_configs", []):
            labels |= {k for k in static.get("labels", {}) if not k.startswith("__")}
        for relabel in scrape.get("relabel_configs", []):
            if relabel.get("target_label") and not relabel["target_label"].startswith("__"):
                labels.add(relabel["target_label"])
        if labels - ALLOWED_LABELS:
            problems.append(f"{name}: labels {sorted(labels - ALLOWED_LABELS)} (allowed: {sorted(ALLOWED_LABELS)})")
        if labels & PER_REQUEST:
            problems.append(f"{name}: per-request fields as labels: {sorted(labels & PER_REQUEST)}")
        for needed in ("service", "level", "job"):
            if needed not in labels:
                problems.append(f"{name}: no {needed} label")
        extracted = {}
        for parsed in stage(stages, "json"):
            extracted.update(parsed.get("expressions", {}))
        for key in ("time", "level", "request_id", "trace_id", "route"):
            if extracted.get(key) != key:
                problems.append(f"{name}: the json stage does not extract {key}")
        times = stage(stages, "timestamp")
        if not times or times[0].get("source") != "time" or times[0].get("format") != "RFC3339Nano":
            problems.append(f"{name}: no timestamp stage from time as RFC3339Nano")
        metadata = set()
        for meta in stage(stages, "structured_metadata"):
            metadata |= set(meta)
        if not {"request_id", "trace_id"} <= metadata:
            problems.append(f"{name}: request_id and trace_id are not structured metadata")
    return jobs


def check_filenames(jobs, problems):
    files = jobs.get("emporium-files")
    if not files:
        problems.append("no emporium-files job")
        return
    regexes = [r for r in stage(files["pipeline_stages"], "regex") if r.get("source") == "filename"]
    if not regexes:
        problems.append("emporium-files: no regex stage on filename")
        return
    pattern = re.compile(regexes[0]["expression"])
    mapping = {}
    for labelled in stage(files["pipeline_stages"], "labels"):
        mapping.update({label: source or label for label, source in labelled.items()})
    for filename, (service, instance) in FILES.items():
        match = pattern.search(f"/var/log/emporium/{filename}")
        got = match.groupdict() if match else {}
        if got.get(mapping.get("service")) != service or got.get(mapping.get("instance")) != instance:
            problems.append(f"emporium-files: {filename} gives service={got.get(mapping.get('service'))} "
                            f"instance={got.get(mapping.get('instance'))}, expected {service}, {instance}")


def check_lines(jobs, paths, problems):
    drop = stage(jobs["emporium-files"]["pipeline_stages"], "drop")
    dropping = re.compile(drop[0]["expression"]) if drop else None
    levels, dropped, access, total = collections.Counter(), 0, 0, 0
    for path in paths:
        for number, line in enumerate(open(path, errors="replace"), 1):
            if not line.strip():
                continue
            total += 1
            where = f"{os.path.basename(path)}:{number}"
            try:
                entry = json.loads(line)
            except ValueError:
                problems.append(f"{where}: not JSON: {line[:120]!r}")
                continue
            if not isinstance(entry, dict):
                problems.append(f"{where}: not a JSON object")
                continue
            try:
                datetime.datetime.fromisoformat(str(entry.get("time", "")).replace("Z", "+00:00"))
            except ValueError:
                problems.append(f"{where}: time {entry.get('time')!r} is not RFC3339")
            if entry.get("level") not in LEVELS:
                problems.append(f"{where}: level {entry.get('level')!r}")
            levels[entry.get("level")] += 1
            route = entry.get("route")
            probe = route in ("/health/live", "/health/ready", "/metrics")
            if entry.get("message") == "request":
                access += 1
                for key in ("request_id", "route", "status") + (() if probe else ("trace_id",)):
                    if not entry.get(key):
                        problems.append(f"{where}: an access line without {key}")
            if dropping and bool(route and dropping.search(route)) != probe:
                problems.append(f"{where}: the drop stage {'drops' if not probe else 'keeps'} route {route}")
            dropped += bool(route and dropping and dropping.search(route))
    print(f"  {total} log lines ({access} access lines) of {len(paths)} files: levels "
          + ", ".join(f"{level} {count}" for level, count in sorted(levels.items()))
          + f"; {dropped} health-check and scrape lines dropped")


def main():
    problems = []
    config = yaml.safe_load(open(os.path.join(HERE, "promtail.yml")))
    jobs = check_config(config, problems)
    check_filenames(jobs, problems)
    if len(sys.argv) > 1 and "emporium-files" in jobs:
        check_lines(jobs, sys.argv[1:], problems)
    if problems:
        print("promtail:", *problems[:40], sep="\n  ", file=sys.stderr)
        return 1
    print(f"promtail.yml: {len(jobs)} scrape configs; labels job, service, instance, level; "
          f"request_id and trace_id as structured metadata")
    return 0


if __name__ == "__main__":
    sys.exit(main())
