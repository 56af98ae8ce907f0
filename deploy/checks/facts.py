"""What the deployment files must agree with, read from the project itself.

- the services and whom each calls: `emporium --list-services` when a binary is given, and always
  Sources/EmporiumRuntime/ServiceTable.swift (the one place that lists them; both must agree);
- the clients of the public API among them (a `<name>.apiURL` setting: the storefront);
- the gateway's public routes (Sources/Gateway/Domain/GatewayRoutes.swift);
- the settings' environment variables: docs/configuration.md;
- the variables every process of scripts/cluster gets.

Used by the other checks of this folder; no third-party module.
"""

import os
import re
import subprocess

REPO = os.environ.get("EMPORIUM_REPO") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Service:
    def __init__(self, name, calls, keeps_data, personal_data):
        self.name = name
        self.calls = calls
        self.keeps_data = keeps_data
        self.personal_data = personal_data

    def __repr__(self):
        return f"Service({self.name}, calls={self.calls})"


def service_table(repo=REPO):
    """The services of Sources/EmporiumRuntime/ServiceTable.swift, in its order."""
    path = os.path.join(repo, "Sources/EmporiumRuntime/ServiceTable.swift")
    text = open(path, encoding="utf-8").read()
    blocks = text.split("ServiceModule(")[1:]
    services = []
    for block in blocks:
        name = re.search(r'name:\s*"([a-z-]+)"', block)
        if not name:
            continue
        calls = re.search(r"calls:\s*\[([^\]]*)\]", block)
        services.append(Service(
            name.group(1),
            re.findall(r'"([a-z-]+)"', calls.group(1)) if calls else [],
            not re.search(r"keepsData:\s*false", block),
            bool(re.search(r"storesPersonalData:\s*true", block)),
        ))
    if not services:
        raise SystemExit(f"{path}: no ServiceModule(name: …) found")
    return services


def list_services(binary):
    """(name, calls) from `emporium --list-services` (tab-separated; `all` first)."""
    out = subprocess.run([binary, "--list-services"], check=True, capture_output=True, text=True).stdout
    listed = []
    for line in out.splitlines():
        name, _, summary = line.partition("\t")
        if name == "all":
            continue
        calls = re.search(r"\(calls ([a-z, -]+)\)\s*$", summary)
        listed.append((name, [c.strip() for c in calls.group(1).split(",")] if calls else []))
    return listed


def services(binary=None):
    """The service table, checked against the binary's listing when there is a binary."""
    table = service_table()
    if binary:
        listed = list_services(binary)
        mine = [(s.name, s.calls) for s in table]
        if listed != mine:
            raise SystemExit(
                "emporium --list-services and Sources/EmporiumRuntime/ServiceTable.swift disagree:\n"
                f"  binary: {listed}\n  source: {mine}")
    return table


def gateway_routes(repo=REPO):
    """The gateway's public routes, Sources/Gateway/Domain/GatewayRoutes.swift's `standard`
    table: (path, service, exact) — `Route(prefix: "/v1/auth", service: "auth")`,
    `Route(exactly: "/", service: "storefront")`, and the storefront's
    `["/search", …].map { Route(prefix: $0, service: "storefront") }`."""
    path = os.path.join(repo, "Sources/Gateway/Domain/GatewayRoutes.swift")
    text = open(path, encoding="utf-8").read()
    routes = [(p, s, kind == "exactly")
              for kind, p, s in re.findall(r'Route\((prefix|exactly):\s*"([^"]+)",\s*service:\s*"([a-z-]+)"\)', text)]
    for paths, service in re.findall(r'\[([^\]]*)\]\s*\.map\s*\{\s*Route\(prefix:\s*\$0,\s*service:\s*"([a-z-]+)"\)\s*\}', text):
        routes += [(p, service, False) for p in re.findall(r'"([^"]+)"', paths)]
    if not routes:
        raise SystemExit(f"{path}: no Route(prefix: …, service: …) found")
    return routes


def env_name(name):
    return name.upper().replace("-", "_")


def api_clients(repo=REPO, names=None):
    """The services that are clients of the public API (they call it through the gateway, never a
    service directly): those with a `<name>.apiURL` setting (`EMPORIUM_<NAME>_API_URL`) in
    docs/configuration.md. Today the storefront."""
    names = names or [s.name for s in service_table(repo)]
    text = open(os.path.join(repo, "docs/configuration.md"), encoding="utf-8").read()
    return [name for name in names if re.search(rf"\bEMPORIUM_{env_name(name)}_API_URL\b", text)]


def documented_variables(repo=REPO, names=None):
    """Every EMPORIUM_* variable docs/configuration.md documents, the per-service patterns
    (`EMPORIUM_SERVICES_<NAME>_URL`, `e.g. EMPORIUM_CATALOG_DATABASE_URL`) spelt out for each
    service, and the shortened second names of a row (`…_SHOP_URL` after
    `EMPORIUM_NOTIFICATIONS_SHOP_NAME`) completed."""
    names = names or [s.name for s in service_table(repo)]
    text = open(os.path.join(repo, "docs/configuration.md"), encoding="utf-8").read()
    found = set()
    for line in text.splitlines():
        full = re.findall(r"\bEMPORIUM_[A-Z0-9_]*[A-Z0-9]", line)
        found.update(full)
        for short in re.findall(r"…(_[A-Z0-9_]*[A-Z0-9])", line):
            first_word = short.strip("_").split("_")[0]
            for name in full:
                parts = name.split("_")
                if first_word in parts[1:]:
                    at = len(parts) - 1 - parts[::-1].index(first_word)
                    found.add("_".join(parts[:at]) + short)
                    break
    # Per-service keys: `<service>.database.url` (e.g. EMPORIUM_CATALOG_DATABASE_URL),
    # `<service>.database.readURL`, `services.<name>.url`.
    for name in names:
        upper = env_name(name)
        if "EMPORIUM_CATALOG_DATABASE_URL" in found:
            found.add(f"EMPORIUM_{upper}_DATABASE_URL")
        if "EMPORIUM_CATALOG_DATABASE_READ_URL" in found:
            found.add(f"EMPORIUM_{upper}_DATABASE_READ_URL")
        if "EMPORIUM_SERVICES_CATALOG_URL" in found:
            found.add(f"EMPORIUM_SERVICES_{upper}_URL")
    found.discard("EMPORIUM_")
    return found


def cluster_variables(repo=REPO, names=None):
    """The variables scripts/cluster gives every service process (its `common` settings, with
    `$(upper "$service")` spelt out for each service, and the per-instance ones), less the
    optional read replica. The gateway gets the same less EMPORIUM_HTTP_TRUSTED_PROXIES."""
    names = names or [s.name for s in service_table(repo) if s.keeps_data]
    text = open(os.path.join(repo, "scripts/cluster"), encoding="utf-8").read()
    found = set()
    for raw in re.findall(r'"(EMPORIUM_[A-Za-z0-9_$()" ]*?)=', text):
        if "$(upper" in raw:
            for name in names:
                found.add(re.sub(r'\$\(upper "\$service"\)', env_name(name), raw))
        elif re.fullmatch(r"EMPORIUM_[A-Z0-9_]+", raw):
            found.add(raw)
    found.discard("EMPORIUM_CATALOG_DATABASE_READ_URL")
    return found
