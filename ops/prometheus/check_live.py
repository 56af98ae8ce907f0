#!/usr/bin/env python3
"""Asks a running Prometheus (scraping Emporium with ops/prometheus/prometheus.yml) what
scripts/check-ops needs to see. Standard library only, besides ops/metric_names.py.

    check_live.py URL metrics
        Every metric the rules and dashboards read that Emporium exports today is stored, with the
        labels they use; the scrape config's renamed labels are there and the clashing ones are not;
        the recording rules produce series. Prints what it saw.
    check_live.py URL alert NAME [LABEL=VALUE...] [--state firing|none] [--within SECONDS]
        Waits until alert NAME with those labels is in that state (firing, or absent: none).
"""
import json
import os
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import metric_names  # noqa: E402

# The labels the rules and dashboards use, per metric Emporium exports today (beside job, service
# and instance, which every series of the job `emporium` has).
LABELS = {
    "up": [],
    "http_requests_total": ["route", "method", "status"],
    "http_request_duration_seconds_bucket": ["route", "method", "status", "le"],
    "emporium_outbox_pending": ["outbox"],
    "emporium_outbox_published_total": ["outbox"],
    "emporium_outbox_publish_failures_total": ["outbox"],
    "emporium_events_consumed_total": ["consumer"],
    "emporium_events_consumed_batch_size_bucket": ["consumer", "le"],
    "cache_lookups_total": ["cache", "result"],
    "orders_checkouts_total": ["outcome", "reason"],
    "orders_checkout_step_duration_seconds_bucket": ["step", "le"],
    "orders_awaiting_recovery": [],
    "inventory_reservations_total": ["outcome"],
    "notifications_deliveries_total": ["channel", "outcome"],
    "emporium_gateway_upstream_requests_total": ["upstream", "outcome"],
    "emporium_gateway_breaker_state": ["upstream", "upstream_instance"],
    "emporium_gateway_rate_limited_total": ["limit"],
    "emporium_outbox_oldest_pending_age_seconds": ["outbox"],
    "emporium_dlq_messages": ["consumer"],
    "emporium_events_dead_lettered_total": ["consumer"],
    "emporium_kafka_consumer_lag": ["consumer", "partition"],
    "emporium_db_pool_connections": ["database", "state"],
    "emporium_db_pool_waiting": ["database"],
    "emporium_readiness_check_up": ["check"],
    "emporium_payment_failures_total": ["operation", "reason"],
    "emporium_inventory_reservations_expired_total": [],
    "emporium_orders_confirmed_amount_total": ["currency"],
    "emporium_carts_created_total": [],
}
# Metrics only some deployments have, and what they need: the check's one process runs the
# in-process event bus, so these are checked (labels) only when they are there.
ONLY_WITH = {
    "emporium_kafka_consumer_lag": "the Kafka transport (broker.url kafka://...)",
}
# Labels the scrape config renames on these families: never stored under the clashing name.
NEVER = ["exported_service", "exported_instance"]
RECORDED = ["service:http_requests:rate5m", "service_status:http_requests:rate5m",
            "outbox:emporium_outbox_published:rate5m", "consumer:emporium_events_consumed:rate5m",
            "outcome:orders_checkouts:rate5m"]


def get(url, path, **params):
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{url}{path}?{query}", timeout=10) as response:
        body = json.load(response)
    if body.get("status") != "success":
        raise RuntimeError(f"{path} {params}: {body}")
    return body["data"]


def series(url, selector):
    return get(url, "/api/v1/series", **{"match[]": selector})


def check_metrics(url, within=20.0):
    """Retries for a while: a target's first scrape, a rule's first evaluation may be a second away."""
    deadline = time.monotonic() + within
    while True:
        lines, problems = check_metrics_once(url)
        if not problems or time.monotonic() > deadline:
            print(*lines, sep="\n")
            return problems
        time.sleep(1)


def check_metrics_once(url):
    problems, lines = [], []
    names = metric_names.classify()
    wanted = sorted(name for name, info in names.items() if info["class"] == "emporium")
    wanted = sorted(set(wanted) | set(LABELS))
    stored = set(get(url, "/api/v1/label/__name__/values"))
    for name in wanted:
        found = series(url, f'{name}{{job="emporium"}}')
        if not found and name in ONLY_WITH:
            lines.append(f"  {name}: no series (exported with {ONLY_WITH[name]} only)")
            continue
        if not found:
            problems.append(f"{name}: no series (read by {'; '.join(sorted(set(names.get(name, {}).get('where', ['the label table']))))})")
            continue
        need = ["job", "service", "instance"] + LABELS.get(name, [])
        lacking = [label for label in need if not any(label in s for s in found)]
        clashing = [label for label in NEVER if any(label in s for s in found)]
        services = sorted({s.get("service", "?") for s in found})
        lines.append(f"  {name}: {len(found)} series, services {','.join(services)}, labels {' '.join(need)}")
        if lacking:
            problems.append(f"{name}: no series with the label(s) {', '.join(lacking)}")
        if clashing:
            problems.append(f"{name}: stored with {', '.join(clashing)} (the scrape config should rename it)")
    for name, info in sorted(names.items()):
        if info["class"] == "missing" and name in stored:
            lines.append(f"  note: {name} is exported now: take it off ops/prometheus/missing-metrics.txt and docs/observability.md")
    for record in RECORDED:
        found = get(url, "/api/v1/query", query=record)["result"]
        lines.append(f"  recording rule {record}: {len(found)} series")
        if not found:
            problems.append(f"recording rule {record}: no series")
    return lines, problems


def alert_state(url, name, labels):
    for alert in get(url, "/api/v1/alerts")["alerts"]:
        if alert["labels"].get("alertname") == name and all(alert["labels"].get(k) == v for k, v in labels.items()):
            return alert["state"], alert
    return "none", None


def check_alert(url, args):
    name, state, within, labels = args[0], "firing", 30.0, {}
    rest = args[1:]
    while rest:
        word = rest.pop(0)
        if word == "--state":
            state = rest.pop(0)
        elif word == "--within":
            within = float(rest.pop(0))
        else:
            key, _, value = word.partition("=")
            labels[key] = value
    deadline = time.monotonic() + within
    seen = []
    while True:
        current, alert = alert_state(url, name, labels)
        if not seen or seen[-1] != current:
            seen.append(current)
        if current == state:
            detail = f": {alert['annotations'].get('summary', '')}" if alert else ""
            print(f"  {name}{labels} is {state} ({' -> '.join(seen)}){detail}")
            return []
        if time.monotonic() > deadline:
            return [f"{name}{labels}: not {state} within {within:.0f}s (states seen: {' -> '.join(seen)})"]
        time.sleep(0.5)


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("metrics", "alert"):
        print(__doc__, file=sys.stderr)
        return 2
    url = sys.argv[1].rstrip("/")
    problems = check_metrics(url) if sys.argv[2] == "metrics" else check_alert(url, sys.argv[3:])
    for problem in problems:
        print(f"check_live: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
