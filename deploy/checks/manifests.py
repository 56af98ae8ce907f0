"""The rules of our rendered Helm chart that no schema knows.

Usage: manifests.py RENDERED.yaml [BINARY]

- probes: liveness and start-up on /health/live, readiness on /health/ready, at the container's
  http port (the endpoints every process serves);
- pod security: non-root, read-only root, every capability dropped, no privilege escalation;
- settings: every EMPORIUM_* name (env and ConfigMaps) is documented in docs/configuration.md;
  the secret ones come from a Secret by reference, and the chart renders no Secret;
- every Deployment has a PodDisruptionBudget, and an HPA on CPU and memory unless it is a canary;
- the migrations: a Job running `emporium migrate` as a pre-install,pre-upgrade hook;
- NetworkPolicies (mode services): each service reaches exactly the services it calls
  (Sources/EmporiumRuntime/ServiceTable.swift's `calls:`, or `emporium --list-services`), plus
  auth's key set; the gateway reaches every service; each is reached by exactly those callers;
- Istio's AuthorizationPolicies allow exactly the callers the NetworkPolicies allow;
- TLS: every Ingress names its TLS Secret, a Certificate (when rendered) makes that Secret, and
  the backend is a Service of the release;
- the ServiceMonitor scrapes /metrics at a named port of the release's Services.

Each problem is printed as `SOURCE-TEMPLATE (RENDERED-FILE:LINE, KIND/NAME): what`.
"""

import re
import sys

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


def main():
    path = sys.argv[1]
    binary = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    table = facts.services(binary)
    names = [s.name for s in table]
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

    # NetworkPolicies against the service table.
    policies = {component(d[2]): d for d in by_kind.get("NetworkPolicy", [])}
    allowed_in = {}
    if policies and not mode_monolith:
        deployed = {component(d[2]) for d in by_kind.get("Deployment", [])}
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
            else:
                expected_out = (set(s.calls) | ({"auth"} if s.name != "auth" else set())) & deployed
            if egress != expected_out:
                report.add(d, f"egress to {sorted(egress)}; {s.name} calls {sorted(expected_out)} (service table, auth's key set)")
            callers = {o.name for o in table if o.name != s.name and o.name in deployed and
                       (s.name in o.calls or o.name == "gateway" or (s.name == "auth"))}
            if ingress != callers:
                report.add(d, f"ingress from {sorted(ingress)}; its callers are {sorted(callers)}")
            allowed_in[s.name] = ingress

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
