"""The rules of our rendered Helm chart that no schema knows.

Usage: manifests.py RENDERED.yaml [BINARY]

- probes: liveness and start-up on /health/live, readiness on /health/ready, at the container's
  http port (the endpoints every process serves);
- pod security: non-root, read-only root, every capability dropped, no privilege escalation;
- settings: every EMPORIUM_* name (env and ConfigMaps) is documented in docs/configuration.md;
  the secret ones come from a Secret by reference, and the chart renders no Secret;
- every Deployment has a PodDisruptionBudget, and an HPA on CPU and memory unless it is a canary;
- the migrations: a Job running `emporium migrate` as a pre-install,pre-upgrade hook;
- every service of the service table runs: a Deployment each (mode services), or the monolith
  runs them all;
- NetworkPolicies (mode services): each service reaches exactly the services it calls
  (Sources/EmporiumRuntime/ServiceTable.swift's `calls:`, or `emporium --list-services`), plus
  auth's key set; the gateway reaches every service; a client of the public API (the storefront,
  facts.api_clients) reaches the gateway only; each is reached by exactly those callers;
- backing servers: a service that keeps no data gets no database or broker setting and no egress
  to PostgreSQL (the migration Job's rule); a client of the public API gets no Redis, broker,
  database or auth key set at all, and its NetworkPolicy lets it out to DNS and the gateway only;
- the gateway's ConfigMap names every other service's Service (services.<name>.url); a client of
  the public API has `EMPORIUM_<NAME>_API_URL` = the gateway's Service, and the gateway believes
  its X-Forwarded-For: its trusted proxies cover the pod network's range (what the services trust
  for the gateway); the monolith running the storefront trusts 127.0.0.1, where it calls itself;
- Istio's AuthorizationPolicies allow exactly the callers the NetworkPolicies allow;
- TLS: every Ingress names its TLS Secret, a Certificate (when rendered) makes that Secret, and
  the backend is a Service of the release;
- the ServiceMonitor scrapes /metrics at a named port of the release's Services.

Each problem is printed as `SOURCE-TEMPLATE (RENDERED-FILE:LINE, KIND/NAME): what`.
"""

import ipaddress
import json
import re
import sys
from urllib.parse import urlsplit

import yaml

import facts

SECRET_SETTINGS = re.compile(
    r"^EMPORIUM_(SERVICES_SECRET|SECURITY_DATA_KEYS|SECURITY_INDEX_KEY|REDIS_URL|BROKER_URL|([A-Z]+_)?DATABASE(_READ)?_URL)$")


def documents(path):
    """(source template, line in the rendered file, object) of each document."""
    text = open(path, encoding="utf-8").read()
    out = []
    line = 1
    for chunk in re.split(r"(?m)^---\s*$", text):
        source = re.search(r"^# Source: (.*)$", chunk, re.M)
        obj = yaml.safe_load(chunk)
        if isinstance(obj, dict):
            offset = next((i for i, l in enumerate(chunk.splitlines()) if l.startswith("kind:")), 0)
            out.append((source.group(1) if source else "?", line + offset, obj))
        line += chunk.count("\n") + 1
    return out


class Report:
    def __init__(self, path):
        self.path = path
        self.problems = []

    def add(self, where, message):
        source, line, obj = where
        self.problems.append(
            f"{source} ({self.path}:{line}, {obj.get('kind')}/{obj.get('metadata', {}).get('name')}): {message}")


def component(obj):
    return (obj.get("metadata", {}).get("labels") or {}).get("app.kubernetes.io/component")


def pod_spec(obj):
    if obj.get("kind") in ("Deployment", "Job"):
        return obj["spec"]["template"]["spec"]
    return None


def selected_component(peer):
    labels = (peer.get("podSelector") or {}).get("matchLabels") or {}
    if "namespaceSelector" in peer:
        return None
    return labels.get("app.kubernetes.io/component")


def networks(value):
    """The addresses and ranges of an EMPORIUM_HTTP_TRUSTED_PROXIES value."""
    out = []
    for item in (value or "").split(","):
        item = item.strip()
        if item:
            out.append(ipaddress.ip_network(item, strict=False))
    return out


def covers(trusted, wanted):
    """Whether every network of `wanted` lies inside one of `trusted`."""
    return all(any(w.version == t.version and w.subnet_of(t) for t in trusted) for w in wanted)


def is_dns_rule(rule):
    ports = rule.get("ports") or []
    return bool(ports) and all(p.get("port") == 53 for p in ports)


def peer_ports(rule):
    """(peer, port) pairs of an egress rule, the peer as canonical JSON."""
    peers = [json.dumps(p, sort_keys=True) for p in rule.get("to", [])]
    ports = [p.get("port") for p in rule.get("ports") or []] or [None]
    return {(peer, port) for peer in peers for port in ports}


def main():
    path = sys.argv[1]
    binary = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    table = facts.services(binary)
    names = [s.name for s in table]
    api_clients = set(facts.api_clients(names=names))
    documented = facts.documented_variables(names=names)
    docs = documents(path)
    report = Report(path)
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d[2]["kind"], []).append(d)

    for d in by_kind.get("Secret", []):
        report.add(d, "the chart renders a Secret: secrets are referenced (secret.name), never embedded")

    # ConfigMaps: documented, and no secret in them.
    for d in by_kind.get("ConfigMap", []):
        for key in (d[2].get("data") or {}):
            if key.startswith("EMPORIUM_") and key not in documented:
                report.add(d, f"{key} is not a setting of docs/configuration.md")
            if SECRET_SETTINGS.match(key):
                report.add(d, f"{key} is a secret: reference it from the Secret instead")

    mode_monolith = any(component(d[2]) == "monolith" for d in by_kind.get("Deployment", []))
    hpa_targets = {}
    for d in by_kind.get("HorizontalPodAutoscaler", []):
        spec = d[2]["spec"]
        metrics = {m["resource"]["name"] for m in spec.get("metrics", []) if m.get("type") == "Resource"}
        hpa_targets[spec["scaleTargetRef"]["name"]] = metrics
    pdb_components = {tuple(sorted(d[2]["spec"]["selector"]["matchLabels"].items())) for d in by_kind.get("PodDisruptionBudget", [])}
    service_names = {d[2]["metadata"]["name"] for d in by_kind.get("Service", [])}

    for kind in ("Deployment", "Job"):
        for d in by_kind.get(kind, []):
            obj = d[2]
            spec = pod_spec(obj)
            psc = spec.get("securityContext") or {}
            if not psc.get("runAsNonRoot"):
                report.add(d, "the pod does not set runAsNonRoot")
            if spec.get("automountServiceAccountToken") is not False:
                report.add(d, "the pod mounts a service account token it does not need")
            for c in spec.get("containers", []):
                sc = c.get("securityContext") or {}
                if not sc.get("readOnlyRootFilesystem"):
                    report.add(d, f"container {c['name']}: the root filesystem is not read-only")
                if sc.get("allowPrivilegeEscalation") is not False:
                    report.add(d, f"container {c['name']}: allowPrivilegeEscalation is not false")
                if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                    report.add(d, f"container {c['name']}: capabilities are not all dropped")
                if not (c.get("resources") or {}).get("limits") or not (c.get("resources") or {}).get("requests"):
                    report.add(d, f"container {c['name']}: no resource requests and limits")
                for env in c.get("env", []):
                    name = env["name"]
                    if name.startswith("EMPORIUM_") and name not in documented:
                        report.add(d, f"{name} is not a setting of docs/configuration.md")
                    if SECRET_SETTINGS.match(name) and "secretKeyRef" not in (env.get("valueFrom") or {}):
                        report.add(d, f"{name} is a secret: it must come from secretKeyRef")
                if kind == "Deployment":
                    ports = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
                    wanted = {"livenessProbe": "/health/live", "startupProbe": "/health/live", "readinessProbe": "/health/ready"}
                    for probe, route in wanted.items():
                        get = (c.get(probe) or {}).get("httpGet")
                        if not get:
                            report.add(d, f"container {c['name']}: no {probe} on {route}")
                            continue
                        if get.get("path") != route:
                            report.add(d, f"container {c['name']}: {probe} asks {get.get('path')!r}; the process serves {route}")
                        if get.get("port") not in ports and get.get("port") not in ports.values():
                            report.add(d, f"container {c['name']}: {probe} port {get.get('port')!r} is not a port of the container")
            if kind == "Deployment":
                labels = obj["spec"]["selector"]["matchLabels"]
                comp = {k: v for k, v in labels.items() if k != "track"}
                if tuple(sorted(comp.items())) not in pdb_components:
                    report.add(d, "no PodDisruptionBudget selects its pods")
                if labels.get("track") != "canary":
                    metrics = hpa_targets.get(obj["metadata"]["name"])
                    if metrics is None and "replicas" not in obj["spec"]:
                        report.add(d, "neither replicas nor a HorizontalPodAutoscaler")
                    if metrics is not None and metrics != {"cpu", "memory"}:
                        report.add(d, f"its HorizontalPodAutoscaler scales on {sorted(metrics)}, not CPU and memory")
            if kind == "Job":
                hooks = set((obj["metadata"].get("annotations") or {}).get("helm.sh/hook", "").split(","))
                args = spec["containers"][0].get("args") or []
                if args[:1] == ["migrate"] and not {"pre-install", "pre-upgrade"} <= hooks:
                    report.add(d, f"the migration Job is not a pre-install,pre-upgrade hook (hooks: {sorted(hooks)})")
    if not any((pod_spec(d[2])["containers"][0].get("args") or [])[:1] == ["migrate"] for d in by_kind.get("Job", [])):
        if by_kind.get("Deployment"):
            report.problems.append(f"{path}: no Job runs `emporium migrate`")

    # Every service of the table runs: a Deployment each, or in the monolith.
    deployments = by_kind.get("Deployment", [])
    deployed = {component(d[2]) for d in deployments}
    if mode_monolith:
        for d in deployments:
            args = pod_spec(d[2])["containers"][0].get("args") or []
            selection = args[2] if args[:2] == ["serve", "--services"] and len(args) > 2 else ""
            running = set(names) if selection == "all" else set(selection.split(","))
            for name in names:
                if name not in running:
                    report.add(d, f"the monolith does not run {name} (serve --services {selection}), a service of the service table")
    elif deployments:
        for name in names:
            if name not in deployed:
                report.problems.append(f"{path}: the service table's {name} has no Deployment (services.{name} in values.yaml)")

    # Settings and backing servers per component, from its Deployment's env and its ConfigMap.
    config_maps = {d[2]["metadata"]["name"]: d for d in by_kind.get("ConfigMap", [])}
    services_by_component = {}
    for d in by_kind.get("Service", []):
        services_by_component.setdefault(component(d[2]), d[2])
    settings = {}
    for d in deployments:
        comp = component(d[2])
        container = pod_spec(d[2])["containers"][0]
        env = {e["name"] for e in container.get("env", [])}
        data = {}
        for source in container.get("envFrom", []):
            ref = (source.get("configMapRef") or {}).get("name")
            if ref in config_maps:
                data.update(config_maps[ref][2].get("data") or {})
        settings.setdefault(comp, (d, env, data))

    def service_url(name):
        """The URL of the release's Service of component `name`, and the port it serves."""
        svc = services_by_component.get(name)
        if not svc:
            return None
        port = svc["spec"]["ports"][0]["port"]
        return f"http://{svc['metadata']['name']}.{svc['metadata']['namespace']}.svc.cluster.local:{port}"

    def same_service(url, name):
        wanted = service_url(name)
        if not url or not wanted:
            return False
        a, b = urlsplit(url), urlsplit(wanted)
        host = (a.hostname or "").split(".")[0]
        return host == (b.hostname or "").split(".")[0] and a.port == b.port

    for comp, (d, env, data) in settings.items():
        module = next((s for s in table if s.name == comp), None)
        if module and not module.keeps_data:
            for name in sorted(env | set(data)):
                if re.match(r"^EMPORIUM_(([A-Z]+_)?DATABASE(_READ)?_URL|BROKER_URL)$", name):
                    report.add(d, f"{name}: {comp} keeps no data (service table), it needs no database or broker")
        if comp in api_clients:
            setting = f"EMPORIUM_{facts.env_name(comp)}_API_URL"
            for name in sorted(env | set(data)):
                if name in ("EMPORIUM_REDIS_URL", "EMPORIUM_AUTH_JWKS_URL") or re.match(r"^EMPORIUM_SERVICES_[A-Z_]+_URL$", name):
                    report.add(d, f"{name}: {comp} is a client of the public API (it calls the gateway only, uses no Redis, verifies no token)")
            if "gateway" in deployed and not same_service(data.get(setting), "gateway"):
                report.add(d, f"{setting} is {data.get(setting)!r}; {comp} calls the public API at the gateway's Service, {service_url('gateway')}")
    if "gateway" in settings and not mode_monolith:
        d, env, data = settings["gateway"]
        for name in sorted(deployed - {"gateway"}):
            key = f"EMPORIUM_SERVICES_{facts.env_name(name)}_URL"
            if not same_service(data.get(key), name):
                report.add(d, f"{key} is {data.get(key)!r}: the gateway routes to {name} at its Service, {service_url(name)}")
        clients = sorted(api_clients & deployed)
        if clients:
            gateway_trusts = networks(data.get("EMPORIUM_HTTP_TRUSTED_PROXIES"))
            for name in sorted(deployed - {"gateway"} - api_clients):
                pod_network = networks(settings[name][2].get("EMPORIUM_HTTP_TRUSTED_PROXIES"))
                if not covers(gateway_trusts, pod_network):
                    report.add(d, f"EMPORIUM_HTTP_TRUSTED_PROXIES {data.get('EMPORIUM_HTTP_TRUSTED_PROXIES')!r} does not cover the pod network "
                               f"({settings[name][2].get('EMPORIUM_HTTP_TRUSTED_PROXIES')!r}, what {name} trusts for the gateway), "
                               f"from which the pods of {', '.join(clients)} pass on the shopper's address in X-Forwarded-For")
                    break
    if mode_monolith:
        for comp, (d, env, data) in settings.items():
            args = pod_spec(d[2])["containers"][0].get("args") or []
            selection = args[2] if len(args) > 2 else ""
            running = set(names) if selection == "all" else set(selection.split(","))
            if running & api_clients and not covers(networks(data.get("EMPORIUM_HTTP_TRUSTED_PROXIES")), networks("127.0.0.1")):
                report.add(d, f"EMPORIUM_HTTP_TRUSTED_PROXIES {data.get('EMPORIUM_HTTP_TRUSTED_PROXIES')!r} lacks 127.0.0.1: "
                           f"{', '.join(sorted(running & api_clients))} calls this process over loopback with the shopper's address")

    # NetworkPolicies against the service table.
    policies = {component(d[2]): d for d in by_kind.get("NetworkPolicy", [])}
    allowed_in = {}
    # The migration Job's way to PostgreSQL: no service that keeps no data may have it.
    postgres = set()
    for d in by_kind.get("NetworkPolicy", []):
        if component(d[2]) == "migrate":
            for rule in d[2]["spec"].get("egress", []):
                if not is_dns_rule(rule):
                    postgres |= peer_ports(rule)
    if policies and not mode_monolith:
        for s in table:
            if s.name not in deployed:
                continue
            d = policies.get(s.name)
            if not d:
                report.problems.append(f"{path}: no NetworkPolicy for {s.name}")
                continue
            spec = d[2]["spec"]
            if set(spec.get("policyTypes", [])) != {"Ingress", "Egress"}:
                report.add(d, "the policy must govern both Ingress and Egress")
            egress = {selected_component(p) for rule in spec.get("egress", []) for p in rule.get("to", [])} - {None}
            ingress = {selected_component(p) for rule in spec.get("ingress", []) for p in rule.get("from", [])} - {None}
            if s.name == "gateway":
                expected_out = deployed - {"gateway"}
            elif s.name in api_clients:
                expected_out = {"gateway"} & deployed
            else:
                expected_out = (set(s.calls) | ({"auth"} if s.name != "auth" else set())) & deployed
            if egress != expected_out:
                why = "the public API at the gateway" if s.name in api_clients else "service table, auth's key set"
                report.add(d, f"egress to {sorted(egress)}; {s.name} calls {sorted(expected_out)} ({why})")
            callers = {o.name for o in table if o.name != s.name and o.name in deployed and
                       (s.name in o.calls or o.name == "gateway" or
                        (s.name == "auth" and o.name not in api_clients) or
                        (s.name == "gateway" and o.name in api_clients))}
            if ingress != callers:
                report.add(d, f"ingress from {sorted(ingress)}; its callers are {sorted(callers)}")
            allowed_in[s.name] = ingress
            # Backing servers: none but DNS for a client of the public API, no PostgreSQL without data.
            for rule in spec.get("egress", []):
                peers = rule.get("to", [])
                if is_dns_rule(rule) or (peers and all(selected_component(p) in deployed for p in peers)):
                    continue
                if s.name in api_clients:
                    report.add(d, f"egress to {json.dumps(peers)} on ports {[p.get('port') for p in rule.get('ports') or []]}: "
                               f"{s.name} is a client of the public API, it reaches DNS and the gateway only (no database, Redis or broker)")
                elif not s.keeps_data and peer_ports(rule) & postgres:
                    report.add(d, f"egress to PostgreSQL ({json.dumps(peers)}): {s.name} keeps no data")

    # Istio's AuthorizationPolicies mirror the NetworkPolicies.
    for d in by_kind.get("AuthorizationPolicy", []):
        comp = component(d[2])
        if comp not in allowed_in:
            continue
        principals = set()
        for rule in d[2]["spec"].get("rules", []):
            for f in rule.get("from", []):
                principals.update(f.get("source", {}).get("principals", []))
        callers = set()
        for p in principals:
            m = re.match(r"cluster\.local/ns/[^/]+/sa/(.+)$", p)
            sa = m.group(1) if m else p
            hit = next((name for name in allowed_in if sa.endswith("-" + name)), None)
            if hit:
                callers.add(hit)
        if callers != allowed_in[comp]:
            report.add(d, f"allows the identities of {sorted(callers)}; the NetworkPolicy allows {sorted(allowed_in[comp])}")

    # TLS.
    certificates = {d[2]["spec"].get("secretName"): d for d in by_kind.get("Certificate", [])}
    for d in by_kind.get("Ingress", []):
        spec = d[2]["spec"]
        if not spec.get("tls"):
            report.add(d, "no TLS")
        for tls in spec.get("tls", []):
            if not tls.get("secretName"):
                report.add(d, f"the TLS of {tls.get('hosts')} names no Secret")
            elif by_kind.get("Certificate") and tls["secretName"] not in certificates:
                report.add(d, f"no Certificate makes the TLS Secret {tls['secretName']!r} (Certificates make {sorted(k for k in certificates if k)})")
            for host in tls.get("hosts", []):
                cert = certificates.get(tls.get("secretName"))
                if cert and host not in cert[2]["spec"].get("dnsNames", []):
                    report.add(d, f"the Certificate for {tls.get('secretName')} does not cover {host}")
        for rule in spec.get("rules", []):
            for p in rule.get("http", {}).get("paths", []):
                backend = p["backend"]["service"]["name"]
                if backend not in service_names:
                    report.add(d, f"the backend {backend} is not a Service of the release")

    # The ServiceMonitor scrapes /metrics at a named port of the release's Services.
    service_ports = {p.get("name") for d in by_kind.get("Service", []) for p in d[2]["spec"].get("ports", [])}
    for d in by_kind.get("ServiceMonitor", []):
        for endpoint in d[2]["spec"].get("endpoints", []):
            if endpoint.get("port") not in service_ports:
                report.add(d, f"scrapes port {endpoint.get('port')!r}, which no Service of the release names")
            if endpoint.get("path") != "/metrics":
                report.add(d, f"scrapes {endpoint.get('path')!r}; the processes serve /metrics")

    if report.problems:
        print("\n".join(report.problems))
        sys.exit(1)
    kinds = ", ".join(f"{len(v)} {k}" for k, v in sorted(by_kind.items()))
    print(f"{path}: {kinds}: the rules hold")


if __name__ == "__main__":
    main()
