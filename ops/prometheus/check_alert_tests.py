#!/usr/bin/env python3
"""Checks that promtool's unit tests cover every alert both ways.

Every alert of ops/prometheus/rules/*.yml must appear in ops/prometheus/tests/*.yml at least once
with an expected alert (firing) and at least once with none (not firing), and every alert a test
names must exist (promtool passes a test of a misspelt alert that never fires). Exits 1 naming
what is missing.

    ops/prometheus/check_alert_tests.py [RULES_DIR TESTS_DIR]
"""
import glob
import os
import sys

import yaml

here = os.path.dirname(os.path.abspath(__file__))
rules_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "rules")
tests_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "tests")

alerts = {}
for path in sorted(glob.glob(os.path.join(rules_dir, "*.yml"))):
    for group in (yaml.safe_load(open(path)) or {}).get("groups", []):
        for rule in group.get("rules", []):
            if "alert" in rule:
                alerts[rule["alert"]] = os.path.basename(path)

firing, quiet, problems = set(), set(), []
for path in sorted(glob.glob(os.path.join(tests_dir, "*.yml"))):
    for test in (yaml.safe_load(open(path)) or {}).get("tests", []):
        for case in test.get("alert_rule_test", []):
            name = case["alertname"]
            if name not in alerts:
                problems.append(f"{os.path.basename(path)} ({test.get('name', '?')}): no alert named {name}")
            (firing if case.get("exp_alerts") else quiet).add(name)

for name, source in sorted(alerts.items()):
    if name not in firing:
        problems.append(f"{name} ({source}): no test where it fires")
    if name not in quiet:
        problems.append(f"{name} ({source}): no test where it does not fire")

if problems:
    print("alert tests incomplete:", *problems, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"{len(alerts)} alerts, each tested firing and not firing")
