"""deploy/kong/kong.yaml routes what the gateway routes, with the plugins each path needs.

Usage: kong.py KONG.YAML

The schema (deploy/schemas) checks the file's shape; this checks its meaning against the
gateway's routing table (Sources/Gateway/Domain/GatewayRoutes.swift, read by facts.py):
- every public path of the gateway has a Kong route that names it: the prefix itself, or for an
  exact route (the storefront's `/`) a regex path (`~…`) that matches the path and nothing below
  it; no prefix path `/`, which would take every path;
- every route is rate-limited (rate-limiting plugin on the route);
- the storefront's pages and assets pass no jwt plugin: guests browse without a token, and a
  shopper's token lives in the storefront's cookies, never in a bearer header Kong could check.
"""

import re
import sys

import yaml

import facts


def matches(kong_path, path):
    """Whether a Kong route path takes `path`: a prefix, or a regex (`~`) anchored at the start."""
    if kong_path.startswith("~"):
        return re.match(kong_path[1:], path) is not None
    return path.startswith(kong_path)


def main():
    file = sys.argv[1]
    config = yaml.safe_load(open(file, encoding="utf-8"))
    routes = []
    for service in config.get("services") or []:
        for route in service.get("routes") or []:
            routes.append((service, route))
    problems = []

    for service, route in routes:
        name = route.get("name")
        plugins = {p.get("name") for p in route.get("plugins") or []}
        if "rate-limiting" not in plugins:
            problems.append(f"route {name}: no rate-limiting plugin (every route of the edge is limited per client address)")
        for path in route.get("paths") or []:
            if path == "/":
                problems.append(f"route {name}: the prefix / takes every path; route the home page with a regex (~^/$)")

    for path, target, exact in facts.gateway_routes():
        what = f"{path} ({target}{', exactly' if exact else ''})"
        listed = []
        for service, route in routes:
            for kong_path in route.get("paths") or []:
                if exact:
                    if kong_path.startswith("~") and matches(kong_path, path) and not matches(kong_path, path.rstrip("/") + "/x"):
                        listed.append(route)
                elif kong_path == path:
                    listed.append(route)
        if not listed:
            problems.append(f"{what}: the gateway routes it, no Kong route names it"
                            + (" (a regex path matching it alone)" if exact else ""))
            continue
        for route in listed:
            plugins = {p.get("name") for p in route.get("plugins") or []}
            if target == "storefront" and "jwt" in plugins:
                problems.append(f"{what}: route {route.get('name')} requires a token (jwt): the storefront's pages are for guests too, "
                                "and carry the shopper's token in cookies, not a bearer header")

    if problems:
        print(f"{file}:")
        for p in problems:
            print(f"  {p}")
        sys.exit(1)
    print(f"{len(routes)} Kong routes: every path of the gateway's table routed, rate-limited, the storefront's without jwt")


if __name__ == "__main__":
    main()
