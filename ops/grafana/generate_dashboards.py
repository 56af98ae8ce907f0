#!/usr/bin/env python3
"""Writes the Grafana dashboards of ops/grafana/dashboards/ (JSON, provisioned from files by
ops/grafana/provisioning/dashboards/emporium.yml): the platform overview, one per service, and
the business dashboard. Edit this file and run it; ops/grafana/check_dashboards.py fails when the
JSON files differ from what it writes.

    ops/grafana/generate_dashboards.py [OUTPUT_DIR]

Every panel reads Prometheus through the dashboard's `datasource` variable (the provisioned
Prometheus, uid `prometheus`, by default). Heavy queries read the recording rules of
ops/prometheus/rules/emporium-recording.yml. Panels on metrics Emporium does not export yet
(ops/prometheus/missing-metrics.txt) say so in their description and stay empty until it does.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
MISSING = "Not exported by Emporium yet (docs/observability.md, \"Missing metrics\"): empty until it is."

# Each service's public and internal routes (route templates as /metrics labels them), so that its
# dashboard shows its traffic both when it runs alone (service="<name>") and inside the one process
# of `emporium serve` (service="emporium").
SERVICES = {
    "auth": ("accounts, tokens, signing keys", "/v1/auth/.*|/[.]well-known/jwks[.]json"),
    "users": ("profiles, addresses, roles, the audit log", r"/v1/users.*|/v1/audit.*|/internal/v1/users.*"),
    "catalog": ("products, categories, search", r"/v1/products.*|/v1/categories.*|/internal/v1/catalog.*"),
    "cart": ("carts of guests and users", r"/v1/cart.*|/internal/v1/cart.*"),
    "inventory": ("stock and reservations", r"/v1/inventory.*|/internal/v1/inventory.*"),
    "orders": ("checkout and orders", r"/v1/checkout|/v1/orders.*"),
    "payments": ("cards and payments", r"/v1/payment-methods.*|/v1/payments.*|/internal/v1/payments.*"),
    "notifications": ("email, webhooks, in-app notifications", r"/v1/notifications.*|/v1/webhooks.*"),
    "recommendations": ("bought together, popular", r"/v1/recommendations.*"),
}


class Dashboard:
    """Lays panels out left to right, 24 columns wide, a row at a time."""

    def __init__(self, uid, title, description, tags, variables=()):
        self.uid, self.title, self.description, self.tags = uid, title, description, tags
        self.variables = list(variables)
        self.panels = []
        self.x = self.y = self.row_height = 0

    def _place(self, width, height):
        if self.x + width > 24:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        position = {"x": self.x, "y": self.y, "w": width, "h": height}
        self.x += width
        self.row_height = max(self.row_height, height)
        return position

    def row(self, title):
        if self.x:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        self.panels.append({"id": len(self.panels) + 1, "type": "row", "title": title, "collapsed": False,
                            "gridPos": {"x": 0, "y": self.y, "w": 24, "h": 1}, "panels": []})
        self.y += 1

    def panel(self, kind, title, targets, unit="short", width=8, height=8, description="", missing=False,
              stacked=False, thresholds=None, min_value=None, max_value=None):
        defaults = {"unit": unit}
        if min_value is not None:
            defaults["min"] = min_value
        if max_value is not None:
            defaults["max"] = max_value
        if thresholds:
            defaults["thresholds"] = {"mode": "absolute", "steps": [
                {"color": color, "value": value} for value, color in thresholds]}
        if kind == "timeseries":
            defaults["custom"] = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10 if stacked else 0,
                                  "showPoints": "never", "spanNulls": False,
                                  "stacking": {"mode": "normal" if stacked else "none", "group": "A"}}
            options = {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"],
                                  "showLegend": True},
                       "tooltip": {"mode": "multi", "sort": "desc"}}
        elif kind == "stat":
            options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                       "colorMode": "value", "graphMode": "area", "justifyMode": "auto", "textMode": "auto",
                       "orientation": "auto"}
        else:
            options = {}
        if missing:
            description = (description + " " if description else "") + MISSING
        self.panels.append({
            "id": len(self.panels) + 1,
            "type": kind,
            "title": title,
            "description": description,
            "datasource": DATASOURCE,
            "gridPos": self._place(width, height),
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": options,
            "targets": [
                {"refId": chr(ord("A") + index), "datasource": DATASOURCE, "expr": expr, "legendFormat": legend,
                 "range": True, "instant": False}
                for index, (expr, legend) in enumerate(targets)
            ],
        })

    def json(self):
        templating = [{
            "name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus",
            "current": {"text": "Prometheus", "value": "prometheus"}, "hide": 0, "refresh": 1,
            "regex": "", "options": [],
        }] + self.variables
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["emporium"] + self.tags,
            "editable": True,
            "graphTooltip": 1,
            "schemaVersion": 39,
            "version": 1,
            "time": {"from": "now-6h", "to": "now"},
            "timepicker": {},
            "timezone": "browser",
            "refresh": "30s",
            "annotations": {"list": [{
                "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
                "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
            }]},
            "links": [{"title": "Emporium", "type": "dashboards", "tags": ["emporium"], "asDropdown": True,
                       "includeVars": False, "keepTime": True}],
            "templating": {"list": templating},
            "panels": self.panels,
        }


def query_variable(name, label, query, include_all=True):
    return {"name": name, "label": label, "type": "query", "datasource": DATASOURCE,
            "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "definition": query, "refresh": 2, "includeAll": include_all, "multi": True,
            "allValue": ".*", "current": {"text": "All", "value": "$__all"}, "options": [], "regex": "",
            "sort": 1, "hide": 0}


PERCENT = [(None, "green"), (0.01, "orange"), (0.05, "red")]


def overview():
    d = Dashboard("emporium-overview", "Emporium: platform overview",
                  "Every service of the shop at a glance: who is up, API traffic, errors and latency (the "
                  "RED of each service, from the recording rules), events, the gateway, caches and what "
                  "the processes depend on.", ["overview"],
                  [query_variable("service", "Service", 'label_values(up{job="emporium"}, service)')])
    d.row("Services")
    d.panel("stat", "Instances up", [('sum by (service) (up{job="emporium", service=~"$service"})', "{{service}}")],
            width=12, height=5, thresholds=[(None, "red"), (1, "green")],
            description="Processes answering their /metrics scrape, per service (EmporiumServiceDown at 0).")
    d.panel("stat", "API requests/s", [('sum(service:http_requests:rate5m{service=~"$service"})', "requests/s")],
            unit="reqps", width=4, height=5)
    d.panel("stat", "5xx ratio", [('sum(service:http_requests_5xx:rate5m{service=~"$service"}) / sum(service:http_requests:rate5m{service=~"$service"})', "5xx")],
            unit="percentunit", width=4, height=5, thresholds=PERCENT)
    d.panel("stat", "Worst p99", [('max(service:http_request_duration_seconds:p99_5m{service=~"$service"})', "p99")],
            unit="s", width=4, height=5, thresholds=[(None, "green"), (0.5, "orange"), (1, "red")])
    d.row("API traffic (without /health and /metrics)")
    d.panel("timeseries", "Requests/s by service", [('service:http_requests:rate5m{service=~"$service"}', "{{service}}")],
            unit="reqps", stacked=True)
    d.panel("timeseries", "5xx ratio by service", [('service:http_requests_5xx:ratio_rate5m{service=~"$service"}', "{{service}}")],
            unit="percentunit", min_value=0, description="EmporiumHighErrorRatio fires over 5% for 5 minutes.")
    d.panel("timeseries", "p99 latency by service", [('service:http_request_duration_seconds:p99_5m{service=~"$service"}', "{{service}}")],
            unit="s", description="EmporiumHighLatencyP99 fires over 1 s for 10 minutes.")
    d.panel("timeseries", "Answers by status", [('sum by (status) (service_status:http_requests:rate5m{service=~"$service"})', "{{status}}")],
            unit="reqps", stacked=True)
    d.panel("timeseries", "p50 / p95 / p99 (all services)", [
        ('histogram_quantile(0.50, sum by (le) (service_le:http_request_duration_seconds_bucket:rate5m{service=~"$service"}))', "p50"),
        ('histogram_quantile(0.95, sum by (le) (service_le:http_request_duration_seconds_bucket:rate5m{service=~"$service"}))', "p95"),
        ('histogram_quantile(0.99, sum by (le) (service_le:http_request_duration_seconds_bucket:rate5m{service=~"$service"}))', "p99"),
    ], unit="s")
    d.panel("timeseries", "Slowest routes (p99)", [('topk(10, service_route:http_request_duration_seconds:p99_5m{service=~"$service", route!~"/health/.*|/metrics"})', "{{service}} {{route}}")],
            unit="s")
    d.row("Events")
    d.panel("timeseries", "Outbox: unsent events", [("outbox:emporium_outbox_pending:max", "{{outbox}}")],
            description="EmporiumOutboxStuck fires over 100 for 10 minutes.")
    d.panel("timeseries", "Outbox: published/s", [("outbox:emporium_outbox_published:rate5m", "{{outbox}}")], unit="ops", stacked=True)
    d.panel("timeseries", "Outbox: publish failures/s", [("outbox:emporium_outbox_publish_failures:rate5m", "{{outbox}}")], unit="ops")
    d.panel("timeseries", "Outbox lag (oldest unsent event)", [("max by (outbox) (emporium_outbox_oldest_pending_age_seconds)", "{{outbox}}")],
            unit="s", description="EmporiumOutboxLag fires over 60 s for 5 minutes.")
    d.panel("timeseries", "Events consumed/s", [("consumer:emporium_events_consumed:rate5m", "{{consumer}}")], unit="ops", stacked=True)
    d.panel("timeseries", "Events per consumer transaction", [("consumer:emporium_events_consumed_batch_size:mean5m", "{{consumer}}")],
            description="Near 1 under load: the consumer keeps up; at the maximum (256): it is behind.")
    d.panel("timeseries", "Dead letters waiting", [
        ("max by (consumer) (emporium_dlq_messages)", "{{consumer}}"),
        ('max by (queue) (rabbitmq_detailed_queue_messages{queue=~"emporium[.].+[.]dlq"})', "{{queue}} (RabbitMQ)"),
    ], description="EmporiumDeadLetters fires while any wait. The RabbitMQ series (the same queues, as the broker counts them) "
                   "come from its rabbitmq_prometheus plugin.")
    d.panel("timeseries", "Events dead-lettered/s", [("sum by (consumer) (rate(emporium_events_dead_lettered_total[$__rate_interval]))", "{{consumer}}")],
            unit="ops")
    d.panel("timeseries", "Kafka consumer lag", [("sum by (consumer) (emporium_kafka_consumer_lag)", "{{consumer}}")],
            description="Records behind the partitions' end offsets; with Kafka only (empty with RabbitMQ or the in-process bus).")
    d.row("Gateway, caches, dependencies")
    d.panel("timeseries", "Gateway: upstream requests/s by outcome", [("sum by (outcome) (upstream_outcome:emporium_gateway_upstream_requests:rate5m)", "{{outcome}}")],
            unit="reqps", stacked=True, description="answered, unwell (502-504), failed (no answer), retried.")
    d.panel("timeseries", "Gateway: open breakers", [("sum by (upstream) (emporium_gateway_breaker_state == 1)", "{{upstream}}")],
            description="Instances whose circuit breaker is open (EmporiumGatewayBreakerOpen).")
    d.panel("timeseries", "Cache hit ratio", [("cache:cache_lookups:hit_ratio_rate5m", "{{cache}}")], unit="percentunit", min_value=0, max_value=1)
    d.panel("timeseries", "Readiness checks failing", [('count by (check) (emporium_readiness_check_up == 0)', "{{check}}")],
            description="Instances whose /health/ready check fails, by check (run at each scrape).")
    d.panel("timeseries", "Redis and RabbitMQ up", [("min(redis_up)", "redis"), ('min(up{job="rabbitmq"})', "rabbitmq")],
            min_value=0, max_value=1, description="From redis_exporter and RabbitMQ's plugin (empty when they are not scraped).")
    d.panel("timeseries", "Database pools", [
        ('sum by (database) (emporium_db_pool_connections{state="in_use"})', "{{database}} in use"),
        ("sum by (database) (emporium_db_pool_waiting)", "{{database}} waiting"),
    ])
    return d


def service_dashboard(name, summary, routes):
    selector = f'service=~"{name}|emporium", route=~"{routes}"'
    d = Dashboard(f"emporium-{name}", f"Emporium: {name}",
                  f"The {name} service ({summary}): its instances, its routes' traffic, errors and "
                  f"latency, and what it alone exports. Its routes are counted wherever they run: in "
                  f"its own processes (service=\"{name}\") or in the one process of `emporium serve` "
                  f"(service=\"emporium\").", ["service"])
    d.row("Instances and traffic")
    d.panel("stat", "Instances up", [(f'sum(up{{job="emporium", service="{name}"}}) or vector(0)', "up")],
            width=6, height=5, thresholds=[(None, "red"), (1, "green")],
            description="Its own processes (none in the one-process mode).")
    d.panel("stat", "Requests/s", [(f"sum(service_route_method:http_requests:rate5m{{{selector}}})", "requests/s")],
            unit="reqps", width=6, height=5)
    d.panel("stat", "5xx ratio", [(f"(sum(service_route_method:http_requests_5xx:rate5m{{{selector}}}) or vector(0)) / sum(service_route_method:http_requests:rate5m{{{selector}}})", "5xx")],
            unit="percentunit", width=6, height=5, thresholds=PERCENT)
    d.panel("stat", "p99", [(f"histogram_quantile(0.99, sum by (le) (service_route_le:http_request_duration_seconds_bucket:rate5m{{{selector}}}))", "p99")],
            unit="s", width=6, height=5, thresholds=[(None, "green"), (0.5, "orange"), (1, "red")])
    d.panel("timeseries", "Requests/s by route", [(f"sum by (method, route) (service_route_method:http_requests:rate5m{{{selector}}})", "{{method}} {{route}}")],
            unit="reqps", stacked=True)
    d.panel("timeseries", "5xx/s by route", [(f"sum by (method, route) (service_route_method:http_requests_5xx:rate5m{{{selector}}})", "{{method}} {{route}}")],
            unit="reqps")
    d.panel("timeseries", "p99 by route", [(f"max by (route) (service_route:http_request_duration_seconds:p99_5m{{{selector}}})", "{{route}}")],
            unit="s")
    d.panel("timeseries", "Answers by status", [(f'sum by (status) (rate(http_requests_total{{job="emporium", {selector}}}[$__rate_interval]))', "{{status}}")],
            unit="reqps", stacked=True, width=12)
    d.panel("timeseries", "Events: outbox and consumer", [
        (f'outbox:emporium_outbox_pending:max{{outbox="{name}"}}', "unsent"),
        (f'outbox:emporium_outbox_published:rate5m{{outbox="{name}"}}', "published/s"),
        (f'consumer:emporium_events_consumed:rate5m{{consumer="{name}"}}', "consumed/s"),
    ], width=12)
    specific = SPECIFIC.get(name)
    if specific:
        d.row(f"{name}")
        specific(d)
    return d


def catalog(d):
    d.panel("timeseries", "Product cache hit ratio", [('cache:cache_lookups:hit_ratio_rate5m{cache="emporium:catalog:product"}', "hit ratio")],
            unit="percentunit", min_value=0, max_value=1)
    d.panel("timeseries", "Product cache lookups/s", [('sum by (result) (rate(cache_lookups_total{cache="emporium:catalog:product"}[$__rate_interval]))', "{{result}}")],
            unit="ops", stacked=True, description="l1_hit, l2_hit (Redis), load (the database), l2_error (Redis failed).")


def cart(d):
    d.panel("timeseries", "Carts created/s", [("sum(rate(emporium_carts_created_total[$__rate_interval]))", "carts")], unit="ops")
    d.panel("timeseries", "Lines added/s", [('sum(rate(http_requests_total{job="emporium", route="/v1/cart/items", method="POST", status=~"2.."}[$__rate_interval]))', "added")],
            unit="ops")


def inventory(d):
    d.panel("timeseries", "Reservations/s by outcome", [("sum by (outcome) (rate(inventory_reservations_total[$__rate_interval]))", "{{outcome}}")],
            unit="ops", stacked=True)
    d.panel("timeseries", "Reservations expired/s", [("sum(rate(emporium_inventory_reservations_expired_total[$__rate_interval]))", "expired")],
            unit="ops")


def orders(d):
    d.panel("timeseries", "Checkouts/s by outcome", [("outcome:orders_checkouts:rate5m", "{{outcome}}")], unit="ops", stacked=True)
    d.panel("timeseries", "Checkout step p95", [('histogram_quantile(0.95, sum by (step, le) (rate(orders_checkout_step_duration_seconds_bucket[$__rate_interval])))', "{{step}}")],
            unit="s")
    d.panel("timeseries", "Orders awaiting recovery", [("max(orders_awaiting_recovery)", "awaiting")],
            description="EmporiumOrdersAwaitingRecovery fires above 0 for 15 minutes.")


def payments(d):
    d.panel("timeseries", "Payment failures/s by reason", [("reason:emporium_payment_failures:rate10m", "{{reason}}")], unit="ops")
    d.panel("timeseries", "Checkouts cancelled by payment, by reason (1h)", [
        ('sum by (reason) (outcome_reason:orders_checkouts:increase1h{outcome="cancelled", reason=~"card_declined|insufficient_funds|capture_failed|processor_error|payment_failed"})', "{{reason}}")])


def notifications(d):
    d.panel("timeseries", "Deliveries/s by channel and outcome", [("sum by (channel, outcome) (rate(notifications_deliveries_total[$__rate_interval]))", "{{channel}} {{outcome}}")],
            unit="ops", stacked=True, description="sent, retried, failed (will retry), dead (given up: EmporiumNotificationsDead).")
    d.panel("timeseries", "Delivery p95 by channel", [("histogram_quantile(0.95, sum by (channel, le) (rate(notifications_delivery_duration_seconds_bucket[$__rate_interval])))", "{{channel}}")],
            unit="s")


def recommendations(d):
    d.panel("timeseries", "Lists cache hit ratio", [('cache:cache_lookups:hit_ratio_rate5m{cache="emporium:recommendations:lists"}', "hit ratio")],
            unit="percentunit", min_value=0, max_value=1)
    d.panel("timeseries", "Served without the stock check/s", [("sum(rate(recommendations_stock_check_failures_total[$__rate_interval]))", "unchecked")],
            unit="ops", description="The inventory could not be asked: lists served as they were.")


def auth(d):
    d.panel("timeseries", "Password checks/s", [("sum(rate(auth_password_checks_total[$__rate_interval]))", "checks")], unit="ops")
    d.panel("timeseries", "Logins by status", [('sum by (status) (rate(http_requests_total{job="emporium", route="/v1/auth/login"}[$__rate_interval]))', "{{status}}")],
            unit="ops", stacked=True, description="401: wrong credentials; 429: throttled.")


SPECIFIC = {"catalog": catalog, "cart": cart, "inventory": inventory, "orders": orders, "payments": payments,
            "notifications": notifications, "recommendations": recommendations, "auth": auth}


def gateway():
    d = Dashboard("emporium-gateway", "Emporium: gateway",
                  "The gateway (`serve --services gateway`): what clients get from it, and what it gets "
                  "from the services behind it. Its proxied requests are counted under the route template "
                  "of their operation in the services' documents; a path none describes under route "
                  "\"unmatched\" (docs/observability.md).", ["service"])
    selector = 'job="emporium", service="gateway", route!~"/health/.*|/metrics"'
    d.row("Clients")
    d.panel("stat", "Instances up", [('sum(up{job="emporium", service="gateway"}) or vector(0)', "up")],
            width=6, height=5, thresholds=[(None, "red"), (1, "green")])
    d.panel("stat", "Requests/s", [('service:http_requests:rate5m{service="gateway"}', "requests/s")], unit="reqps", width=6, height=5)
    d.panel("stat", "5xx ratio", [('service:http_requests_5xx:ratio_rate5m{service="gateway"}', "5xx")],
            unit="percentunit", width=6, height=5, thresholds=PERCENT)
    d.panel("stat", "p99", [('service:http_request_duration_seconds:p99_5m{service="gateway"}', "p99")],
            unit="s", width=6, height=5, thresholds=[(None, "green"), (0.5, "orange"), (1, "red")])
    d.panel("timeseries", "Answers by status", [(f"sum by (status) (rate(http_requests_total{{{selector}}}[$__rate_interval]))", "{{status}}")],
            unit="reqps", stacked=True)
    d.panel("timeseries", "Rate-limited (429)/s", [
        (f'sum(rate(http_requests_total{{{selector}, status="429"}}[$__rate_interval]))', "429 answers"),
        ("sum by (limit) (rate(emporium_gateway_rate_limited_total[$__rate_interval]))", "{{limit}}"),
    ], unit="reqps", description="All 429 answers, and the gateway's refusals by limit (address: anonymous, user: signed in).")
    d.panel("timeseries", "p50 / p99", [
        ('service:http_request_duration_seconds:p50_5m{service="gateway"}', "p50"),
        ('service:http_request_duration_seconds:p99_5m{service="gateway"}', "p99"),
    ], unit="s")
    d.row("Upstreams")
    d.panel("timeseries", "Upstream requests/s by service and outcome", [("upstream_outcome:emporium_gateway_upstream_requests:rate5m", "{{upstream}} {{outcome}}")],
            unit="reqps", stacked=True, width=12)
    d.panel("timeseries", "Breaker state by instance", [("max by (upstream, upstream_instance) (emporium_gateway_breaker_state)", "{{upstream}} {{upstream_instance}}")],
            width=12, min_value=0, max_value=2, description="0 closed, 1 open, 2 half-open.")
    return d


def business():
    d = Dashboard("emporium-business", "Emporium: business",
                  "Orders, revenue and the conversion from cart to order (docs/observability.md).", ["business"])
    d.row("Today's shop")
    d.panel("stat", "Orders confirmed (range)", [('sum(increase(orders_checkouts_total{outcome="confirmed"}[$__range]))', "orders")],
            width=6, height=5)
    d.panel("stat", "Checkouts cancelled (range)", [('sum(increase(orders_checkouts_total{outcome="cancelled"}[$__range]))', "cancelled")],
            width=6, height=5)
    d.panel("stat", "Revenue (range)", [("sum by (currency) (increase(emporium_orders_confirmed_amount_total[$__range]))", "{{currency}}")],
            width=6, height=5)
    d.panel("stat", "Cart to order (1 day)", [("emporium:cart_to_order_conversion:ratio_1d", "conversion")],
            unit="percentunit", width=6, height=5,
            description="Confirmed orders over carts that got their first line, over the last day.")
    d.row("Orders")
    d.panel("timeseries", "Orders confirmed per hour", [("emporium:orders_confirmed:increase1h", "orders/h")])
    d.panel("timeseries", "Checkouts/s by outcome", [("outcome:orders_checkouts:rate5m", "{{outcome}}")], unit="ops", stacked=True)
    d.panel("timeseries", "Share of checkouts cancelled (15 min)", [("emporium:orders_checkouts_cancelled:ratio_rate15m", "cancelled")],
            unit="percentunit", min_value=0, max_value=1, description="EmporiumCheckoutFailureRatio fires over 25% for 10 minutes.")
    d.panel("timeseries", "Cancellations by reason (per hour)", [('outcome_reason:orders_checkouts:increase1h{outcome="cancelled"}', "{{reason}}")],
            stacked=True, width=12)
    d.panel("timeseries", "Payment failures/s by reason", [("reason:emporium_payment_failures:rate10m", "{{reason}}")], unit="ops", width=12)
    d.row("Revenue and conversion")
    d.panel("timeseries", "Revenue per hour", [("currency:emporium_orders_confirmed_amount:increase1h", "{{currency}}")], width=12)
    d.panel("timeseries", "Cart to order conversion (1 day)", [("emporium:cart_to_order_conversion:ratio_1d", "conversion")],
            unit="percentunit", min_value=0, width=12)
    return d


def all_dashboards():
    dashboards = [overview(), business(), gateway()]
    dashboards += [service_dashboard(name, summary, routes) for name, (summary, routes) in SERVICES.items()]
    return {f"{d.uid}.json": d.json() for d in dashboards}


def render(dashboard):
    return json.dumps(dashboard, indent=2, sort_keys=False) + "\n"


def main():
    output = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "dashboards")
    os.makedirs(output, exist_ok=True)
    for name, dashboard in all_dashboards().items():
        with open(os.path.join(output, name), "w") as file:
            file.write(render(dashboard))
    print(f"{len(all_dashboards())} dashboards written to {output}")


if __name__ == "__main__":
    main()
