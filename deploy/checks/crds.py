"""Istio and cert-manager resources against their APIs' models (PyPI cloudcoil-models-istio and
cloudcoil-models-cert-manager: pydantic models generated from the CRDs' schemas).

Usage: crds.py FILE... (rendered chart output or plain manifests)

Each document of an Istio or cert-manager API group is loaded into its model: a wrong type or a
missing required field fails there. The models ignore unknown fields, so the document is then
dumped again and compared with what was written: a field the API does not have (a typo, a field
of another version) is missing from the dump, and is reported with its path. A kind of those
groups without a model fails too. Other documents are left to kubernetes-validate.
"""

import importlib
import re
import sys

import pydantic
import yaml

MODULES = {
    "networking.istio.io": "cloudcoil.models.istio.networking",
    "security.istio.io": "cloudcoil.models.istio.security",
    "telemetry.istio.io": "cloudcoil.models.istio.telemetry",
    "cert-manager.io": "cloudcoil.models.cert_manager",
    "acme.cert-manager.io": "cloudcoil.models.cert_manager.acme",
}


def documents(path):
    text = open(path, encoding="utf-8").read()
    line = 1
    for chunk in re.split(r"(?m)^---\s*$", text):
        obj = yaml.safe_load(chunk)
        if isinstance(obj, dict):
            source = re.search(r"^# Source: (.*)$", chunk, re.M)
            offset = next((i for i, l in enumerate(chunk.splitlines()) if l.startswith("kind:")), 0)
            yield (source.group(1) + f" ({path}:{line + offset})" if source else f"{path}:{line + offset}"), obj
        line += chunk.count("\n") + 1


def model_for(api_version, kind):
    group, _, version = api_version.rpartition("/")
    base = MODULES.get(group)
    if not base:
        return None, False
    module_name = base if base.endswith(".acme") else f"{base}.{version}"
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None, True
    return getattr(module, kind, None), True


def unknown_fields(written, dumped, path=""):
    """Paths of what `written` has and `dumped` (the model's view) does not."""
    if isinstance(written, dict):
        if not isinstance(dumped, dict):
            return [path or "."]
        out = []
        for key, value in written.items():
            if key not in dumped:
                out.append(f"{path}.{key}" if path else key)
            else:
                out += unknown_fields(value, dumped[key], f"{path}.{key}" if path else key)
        return out
    if isinstance(written, list):
        if not isinstance(dumped, list) or len(dumped) != len(written):
            return [path]
        out = []
        for i, (w, d) in enumerate(zip(written, dumped)):
            out += unknown_fields(w, d, f"{path}[{i}]")
        return out
    return []


def main():
    problems = []
    checked = 0
    for path in sys.argv[1:]:
        for where, obj in documents(path):
            model, ours = model_for(obj.get("apiVersion", ""), obj.get("kind", ""))
            if not ours:
                continue
            name = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
            if model is None:
                problems.append(f"{where} {name}: no {obj.get('apiVersion')} {obj.get('kind')} in the API")
                continue
            try:
                loaded = model.model_validate(obj)
            except pydantic.ValidationError as error:
                first = error.errors()[0]
                problems.append(f"{where} {name}: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
                continue
            dumped = loaded.model_dump(by_alias=True, exclude_none=True, mode="json")
            for field in unknown_fields(obj, dumped):
                problems.append(f"{where} {name}: {field} is not a field of {obj.get('apiVersion')} {obj.get('kind')}")
            checked += 1
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"{checked} Istio and cert-manager resources match their APIs")


if __name__ == "__main__":
    main()
