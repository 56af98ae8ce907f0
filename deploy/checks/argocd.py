"""The ArgoCD resources point at what exists and allow what the chart renders.

Usage: argocd.py DEPLOY-DIR RENDERED.yaml...

- each Application's source path is a folder of the repository (deploy/… is looked up in
  DEPLOY-DIR), its Helm value files exist in the chart, its project is an AppProject of ours;
- the chart's Application syncs automatically, with prune and self-heal;
- the project allows every kind the chart renders (RENDERED files) and no Secret.
"""

import os
import re
import sys

import yaml


def main():
    deploy, rendered = sys.argv[1], sys.argv[2:]
    folder = os.path.join(deploy, "argocd")
    docs = []
    for file in sorted(os.listdir(folder)):
        if file.endswith(".yaml"):
            for obj in yaml.safe_load_all(open(os.path.join(folder, file), encoding="utf-8")):
                if obj:
                    docs.append((os.path.join(folder, file), obj))
    projects = {o["metadata"]["name"]: (f, o) for f, o in docs if o["kind"] == "AppProject"}
    problems = []
    chart_apps = 0
    for file, app in (d for d in docs if d[1]["kind"] == "Application"):
        spec = app["spec"]
        if spec["project"] not in projects:
            problems.append(f"{file}: project {spec['project']!r} is not an AppProject of deploy/argocd")
        source = spec.get("source") or {}
        path = source.get("path", "")
        local = os.path.join(deploy, path[len("deploy/"):]) if path.startswith("deploy/") else None
        if not local or not os.path.isdir(local):
            problems.append(f"{file}: source path {path!r} is not a folder of deploy/")
            continue
        if "helm" in source:
            chart_apps += 1
            for values in source["helm"].get("valueFiles", []):
                if not os.path.isfile(os.path.join(local, values)):
                    problems.append(f"{file}: value file {values!r} is not in {path}")
            automated = (spec.get("syncPolicy") or {}).get("automated") or {}
            if not (automated.get("prune") and automated.get("selfHeal")):
                problems.append(f"{file}: the chart's sync must be automated with prune and selfHeal")
    if not chart_apps:
        problems.append(f"{folder}: no Application deploys the chart")

    kinds = set()
    for path in rendered:
        for obj in yaml.safe_load_all(open(path, encoding="utf-8")):
            if obj:
                group = obj["apiVersion"].rpartition("/")[0]
                kinds.add((group, obj["kind"]))
    for name, (file, project) in projects.items():
        allowed = {(k.get("group", ""), k["kind"]) for k in project["spec"].get("namespaceResourceWhitelist", [])}
        allowed |= {(k.get("group", ""), k["kind"]) for k in project["spec"].get("clusterResourceWhitelist", [])}
        for group, kind in sorted(kinds - allowed):
            problems.append(f"{file}: project {name} does not allow {kind} ({group or 'core'}), which the chart renders")
        if ("", "Secret") in allowed:
            problems.append(f"{file}: project {name} allows Secrets; the chart references its Secret, never deploys one")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"{len(docs)} ArgoCD resources: sources exist, sync automated, {len(kinds)} rendered kinds allowed")


if __name__ == "__main__":
    main()
