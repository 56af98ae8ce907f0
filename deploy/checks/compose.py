"""deploy/compose.yaml says what scripts/cluster does.

Reads the Compose file as `docker-compose config` resolved it (argument 1) and checks that:
- its Emporium containers (those whose command is `serve --services NAME`) are exactly the
  services of `emporium --list-services` (argument 2, the binary, when there is one) and of
  Sources/EmporiumRuntime/ServiceTable.swift, each named after the one service it runs;
- each gets every variable scripts/cluster gives a process (the gateway less the services'
  trusted proxies), and only variables that docs/configuration.md documents;
- every container has a healthcheck, every service starts after PostgreSQL, Redis and the broker
  are healthy, after the migrations completed, after auth (its key set) and after the services it
  calls, and the gateway after every service;
- the migrations run `emporium migrate` for every service that keeps data;
- addresses: the gateway reaches every service at its container (`EMPORIUM_SERVICES_<NAME>_URL`);
  a client of the public API (the storefront, facts.api_clients) calls the gateway's container
  (`EMPORIUM_<NAME>_API_URL`); the services believe X-Forwarded-For from the gateway's fixed
  address, and the gateway from each API client's fixed address (the shopper's, passed on).
"""

import ipaddress
import sys
from urllib.parse import urlsplit

import yaml

import facts


def main():
    resolved, binary = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None)
    compose = yaml.safe_load(open(resolved, encoding="utf-8"))
    table = facts.services(binary)
    names = [s.name for s in table]
    documented = facts.documented_variables(names=names)
    expected_env = facts.cluster_variables(names=[s.name for s in table if s.keeps_data])
    problems = []

    containers = compose.get("services", {})
    running = {}
    for cname, c in containers.items():
        command = c.get("command") or []
        if len(command) >= 3 and command[0] == "serve" and command[1] == "--services":
            running[cname] = command[2]
        if "healthcheck" not in c and cname != "migrate":
            problems.append(f"container {cname} has no healthcheck")
    if sorted(running.values()) != sorted(names):
        problems.append(f"the containers run {sorted(running.values())}; emporium --list-services has {sorted(names)}")
    for cname, service in running.items():
        if cname != service:
            problems.append(f"container {cname} runs the service {service}: name it after it")

    for cname, service in running.items():
        c = containers[cname]
        env = set((c.get("environment") or {}).keys())
        wanted = set(expected_env)
        if service == "gateway":
            wanted.discard("EMPORIUM_HTTP_TRUSTED_PROXIES")
        for missing in sorted(wanted - env):
            problems.append(f"{cname}: {missing} is missing (scripts/cluster gives it to every process)")
        for name in sorted(v for v in env if v.startswith("EMPORIUM_") and v not in documented):
            problems.append(f"{cname}: {name} is not a setting of docs/configuration.md")
        depends = c.get("depends_on") or {}
        if isinstance(depends, list):
            problems.append(f"{cname}: depends_on without conditions")
            continue
        module = next(s for s in table if s.name == service)
        needs = {"postgres": "service_healthy", "redis": "service_healthy", "rabbitmq": "service_healthy",
                 "migrate": "service_completed_successfully"}
        if service != "auth":
            needs["auth"] = "service_healthy"
        for callee in module.calls:
            needs[callee] = "service_healthy"
        if service == "gateway":
            for other in names:
                if other != "gateway":
                    needs[other] = "service_healthy"
        for dependency, condition in needs.items():
            got = (depends.get(dependency) or {}).get("condition")
            if got != condition:
                problems.append(f"{cname}: depends_on {dependency} should be condition {condition}, is {got}")

    # Addresses: who calls whom at which container, and whose X-Forwarded-For is believed.
    api_clients = set(facts.api_clients(names=names))
    by_service = {service: cname for cname, service in running.items()}
    gateway = by_service.get("gateway")

    def fixed_address(cname):
        for network in (containers[cname].get("networks") or {}).values():
            if network and network.get("ipv4_address"):
                return ipaddress.ip_address(network["ipv4_address"])
        return None

    def trusts(cname, address):
        value = str((containers[cname].get("environment") or {}).get("EMPORIUM_HTTP_TRUSTED_PROXIES") or "")
        nets = [ipaddress.ip_network(v.strip(), strict=False) for v in value.split(",") if v.strip()]
        return any(address in n for n in nets), value

    def host_of(cname, key):
        url = str((containers[cname].get("environment") or {}).get(key) or "")
        return urlsplit(url).hostname, url

    if gateway:
        gateway_address = fixed_address(gateway)
        if not gateway_address:
            problems.append(f"{gateway}: no fixed address (ipv4_address), which the services would believe in X-Forwarded-For")
        for service, cname in sorted(by_service.items()):
            if service == "gateway":
                continue
            key = f"EMPORIUM_SERVICES_{facts.env_name(service)}_URL"
            host, url = host_of(gateway, key)
            if host != cname:
                problems.append(f"{gateway}: {key} is {url!r}; the gateway reaches {service} at its container {cname}")
            if gateway_address:
                ok, value = trusts(cname, gateway_address)
                if not ok:
                    problems.append(f"{cname}: EMPORIUM_HTTP_TRUSTED_PROXIES {value!r} lacks the gateway's address {gateway_address}")
        for service in sorted(api_clients & set(by_service)):
            cname = by_service[service]
            key = f"EMPORIUM_{facts.env_name(service)}_API_URL"
            host, url = host_of(cname, key)
            if host != gateway:
                problems.append(f"{cname}: {key} is {url!r}; {service} calls the public API at the gateway's container {gateway}")
            address = fixed_address(cname)
            if not address:
                problems.append(f"{cname}: no fixed address (ipv4_address): the gateway cannot believe its X-Forwarded-For")
                continue
            ok, value = trusts(gateway, address)
            if not ok:
                problems.append(f"{gateway}: EMPORIUM_HTTP_TRUSTED_PROXIES {value!r} lacks {service}'s address {address} "
                                "(it passes on the shopper's address in X-Forwarded-For)")

    migrate = containers.get("migrate")
    if not migrate:
        problems.append("no migrate container (emporium migrate before the services start)")
    else:
        command = migrate.get("command") or []
        keeping = sorted(s.name for s in table if s.keeps_data)
        if command[:2] != ["migrate", "--services"] or sorted(command[2].split(",")) != keeping:
            problems.append(f"migrate should run `migrate --services {','.join(keeping)}`, runs {command}")

    if problems:
        print(f"{resolved} (deploy/compose.yaml resolved by docker-compose config):")
        for p in problems:
            print(f"  {p}")
        sys.exit(1)
    print(f"{len(running)} service containers = emporium --list-services; environment = scripts/cluster's, all documented")


if __name__ == "__main__":
    main()
