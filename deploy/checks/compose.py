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
- the migrations run `emporium migrate` for every service that keeps data.
"""

import sys

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
