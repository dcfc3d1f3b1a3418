#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The repository's documentation stands on its own and says what the code does.

- README.md and docs/ link only inside the repository, and every link (and #anchor) there
  resolves; nothing points at a file a clone does not have (../shared, DESIGN.md).
- The reference tables list exactly what the code has: the canonical metrics with their
  units (daemon/base/metric.hpp), the rejection reasons (daemon/normalize/normalizer.hpp),
  the shipped device types (devices/) and rules (rules/), the registry columns
  (daemon/registry/registry.cpp) and every config key (schemas/config.schema.json).
- The shipped config, device types and rules validate against the JSON Schemas in schemas/.
- docs/openapi.yaml is a well-formed OpenAPI 3.1 document: every $ref resolves, every
  operation names its roles and responses, and its vocabularies (metrics, rejection reasons,
  outcomes, roles) are the code's.
- The README's worked example is exactly the shipped devices/nbiot.water-meter.yaml.

Pure: reads files, runs nothing.
"""
import glob
import json
import os
import re
import sys

import jsonschema
import yaml

ROOT = os.path.realpath(os.environ.get("HEARTH_SOURCE_DIR") or os.path.join(
    os.path.dirname(__file__), "..", ".."))
failures = []
checks = 0


def check(ok, message):
    global checks
    checks += 1
    if not ok:
        failures.append(message)


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def table_rows(text, heading_cell):
    """The first column of every row of the markdown table whose header starts with
    `| heading_cell |`, as written (backticks stripped)."""
    rows, in_table = [], False
    for line in text.splitlines():
        if line.startswith(f"| {heading_cell} |"):
            in_table = True
            continue
        if in_table:
            if not line.startswith("|"):
                break
            if set(line.replace("|", "").strip()) <= set("-: "):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows.append([c.strip("`") for c in cells])
    return rows


def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


# --- links ---------------------------------------------------------------------------------
docs = ["README.md"] + sorted(os.path.relpath(p, ROOT) for p in glob.glob(f"{ROOT}/docs/*.md"))
for doc in docs:
    text = read(doc)
    check("../shared" not in text, f"{doc} points at ../shared")
    check("DESIGN.md" not in text, f"{doc} names DESIGN.md, which a clone does not have")
    anchors = {slug(h) for h in re.findall(r"^#+ (.*)$", text, re.M)}
    # Links outside code blocks.
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", prose):
        if re.match(r"[a-z]+://", target) or target.startswith("mailto:"):
            failures.append(f"{doc} links outside the repository: {target}")
            continue
        path, _, anchor = target.partition("#")
        if path:
            full = os.path.normpath(os.path.join(ROOT, os.path.dirname(doc), path))
            check(full.startswith(ROOT + os.sep) and os.path.exists(full),
                  f"{doc} links to {target}, which is not in the repository")
            if anchor and full.endswith(".md") and os.path.exists(full):
                with open(full, encoding="utf-8") as f:
                    there = {slug(h) for h in re.findall(r"^#+ (.*)$", f.read(), re.M)}
                check(anchor in there, f"{doc} links to {target}: no such heading")
        else:
            check(anchor in anchors, f"{doc} links to #{anchor}: no such heading")

# --- metrics --------------------------------------------------------------------------------
metric_hpp = read("daemon/base/metric.hpp")
metrics = dict(re.findall(r'\{metric::\w+, "([a-z_.]+)", "([^"]*)"', metric_hpp))
check(len(metrics) >= 15, "could not read the canonical metrics from metric.hpp")
rows = table_rows(read("docs/metrics.md"), "metric")
documented = {r[0]: r[1] for r in rows}
check(set(documented) == set(metrics),
      f"docs/metrics.md lists {sorted(set(documented) ^ set(metrics))} differently from metric.hpp")
for name, unit in metrics.items():
    if name in documented:
        check(documented[name] == unit,
              f"docs/metrics.md gives {name} the unit '{documented[name]}', the code '{unit}'")
for r in rows:
    check(len(r) >= 6 and r[4] and r[5], f"docs/metrics.md: {r[0]} has no human name in en and zh-CN")

# --- rejection reasons ----------------------------------------------------------------------
reasons = set(re.findall(r'inline constexpr const char\* \w+ = "([a-z-]+)";',
                         read("daemon/normalize/normalizer.hpp")))
documented = {r[0] for r in table_rows(read("docs/transports.md"), "reason")}
check(reasons and documented == reasons,
      f"docs/transports.md rejection reasons differ from the code: {sorted(documented ^ reasons)}")

# --- shipped device types and rules ---------------------------------------------------------
types = {}
for f in glob.glob(f"{ROOT}/devices/*.yaml"):
    with open(f, encoding="utf-8") as fh:
        d = yaml.safe_load(fh)
    types[d["type"]] = d["transport"]
rows = table_rows(read("docs/device-types.md"), "type")
documented = {r[0]: r[1] for r in rows}
check(set(documented) == set(types),
      f"docs/device-types.md shipped types differ from devices/: {sorted(set(documented) ^ set(types))}")
for t, transport in types.items():
    if t in documented:
        check(documented[t].split(" ")[0] == transport,
              f"docs/device-types.md gives {t} the transport {documented[t]}, devices/ {transport}")

rules = {}
for f in glob.glob(f"{ROOT}/rules/*.yaml"):
    with open(f, encoding="utf-8") as fh:
        r = yaml.safe_load(fh)
    rules[r["id"]] = r["priority"]
rows = table_rows(read("docs/rules.md"), "id")
documented = {r[0]: r[1] for r in rows if len(r) > 1 and r[1].isdigit()}
check(set(documented) == set(rules),
      f"docs/rules.md shipped rules differ from rules/: {sorted(set(documented) ^ set(rules))}")
for rid, prio in rules.items():
    if rid in documented:
        check(int(documented[rid]) == prio, f"docs/rules.md gives {rid} priority {documented[rid]}")

# --- registry columns -----------------------------------------------------------------------
registry_cpp = read("daemon/registry/registry.cpp")
registry_doc = read("docs/registry.md")
for table in ("households", "residents", "devices", "buildings"):
    m = re.search(r"const std::vector<std::string> k_" + table + r"\{(.*?)\};", registry_cpp, re.S)
    check(m is not None, f"could not read the {table} columns from registry.cpp")
    if not m:
        continue
    columns = re.findall(r'"([a-z_]+)"', m.group(1))
    check(",".join(columns) in registry_doc,
          f"docs/registry.md does not show the {table}.csv header {','.join(columns)}")
    section = registry_doc.split(f"## {table}.csv", 1)[-1].split("\n## ", 1)[0]
    documented = [r[0] for r in table_rows(section, "column")]
    check(documented == columns,
          f"docs/registry.md {table}.csv columns {documented} are not the code's {columns}")

# --- config keys ----------------------------------------------------------------------------
config_schema = json.loads(read("schemas/config.schema.json"))
config_doc = read("docs/configuration.md")


def keys(schema):
    for k, v in schema.get("properties", {}).items():
        yield k
        yield from keys(v)
        if isinstance(v.get("items"), dict):
            yield from keys(v["items"])


for key in sorted(set(keys(config_schema))):
    check(f"`{key}`" in config_doc or re.search(rf"\b{re.escape(key)}\b", config_doc),
          f"docs/configuration.md does not describe the config key {key}")

# --- shipped files against the JSON Schemas -------------------------------------------------
class Loader(yaml.SafeLoader):
    """YAML as hearthd reads it: a time such as 2026-11-20T06:50:00Z stays a string."""


Loader.yaml_implicit_resolvers = {
    k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def validate(schema_path, files):
    schema = json.loads(read(schema_path))
    validator = jsonschema.Draft202012Validator(schema)
    for f in files:
        with open(f, encoding="utf-8") as fh:
            doc = yaml.load(fh, Loader=Loader)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        check(not errors, f"{os.path.relpath(f, ROOT)} does not match {schema_path}: "
                          + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:3]))


validate("schemas/config.schema.json", [f"{ROOT}/config/hearth.yaml"])
validate("schemas/device-type.schema.json", sorted(glob.glob(f"{ROOT}/devices/*.yaml")))
validate("schemas/rule.schema.json", sorted(glob.glob(f"{ROOT}/rules/*.yaml")))

# --- docs/openapi.yaml ----------------------------------------------------------------------
with open(f"{ROOT}/docs/openapi.yaml", encoding="utf-8") as f:
    spec = yaml.load(f, Loader=Loader)
check(spec.get("openapi", "").startswith("3.1"), "docs/openapi.yaml is not OpenAPI 3.1")


def resolve(ref):
    node = spec
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


for ref in set(refs(spec)):
    try:
        resolve(ref)
        resolved = True
    except (KeyError, TypeError):
        resolved = False
    check(resolved, f"docs/openapi.yaml: $ref {ref} does not resolve")
roles = {"admin", "supervisor", "operator", "social_worker", "integrator"}
for path, item in spec["paths"].items():
    for method, op in item.items():
        if method == "parameters":
            continue
        where = f"{method.upper()} {path}"
        check("operationId" in op, f"docs/openapi.yaml: {where} has no operationId")
        xr = op.get("x-roles")
        check(isinstance(xr, list) and xr and (set(xr) <= roles or xr == ["anyone"]),
              f"docs/openapi.yaml: {where} has no x-roles of {sorted(roles)} (or [anyone])")
        check(op.get("responses"), f"docs/openapi.yaml: {where} documents no responses")
        for m in re.findall(r"\{(\w+)\}", path):
            params = item.get("parameters", []) + op.get("parameters", [])
            names = {(resolve(p["$ref"]) if "$ref" in p else p)["name"] for p in params}
            check(m in names, f"docs/openapi.yaml: {where} does not declare its parameter {m}")
schemas = spec["components"]["schemas"]
check(set(schemas["Metric"]["enum"]) == set(metrics),
      "docs/openapi.yaml Metric enum is not the canonical metrics")
check(set(schemas["QuarantineRow"]["properties"]["reason"]["enum"]) == reasons,
      "docs/openapi.yaml quarantine reasons are not the code's")
outcomes = set(re.findall(r'"([a-z-]+)"', re.search(r"k_outcomes\[\] = \{(.*?)\};",
                                                     read("daemon/alerts/alert.hpp"), re.S).group(1)))
check(set(schemas["Outcome"]["enum"]) == outcomes, "docs/openapi.yaml outcomes are not the code's")
check(set(schemas["Role"]["enum"]) == roles, "docs/openapi.yaml roles are not the five roles")
units = {u for u in metrics.values()}
check(set(schemas["Reading"]["properties"]["unit"]["enum"]) == units,
      "docs/openapi.yaml reading units are not the metrics' units")

# --- the README's worked example ------------------------------------------------------------
readme = read("README.md")
m = re.search(r"```yaml\n(# An NB-IoT water meter.*?)```", readme, re.S)
check(m is not None, "README.md has no worked example starting '# An NB-IoT water meter'")
if m:
    check(m.group(1) == read("devices/nbiot.water-meter.yaml"),
          "README.md's worked example is not devices/nbiot.water-meter.yaml")

for f in failures:
    print(f"FAIL: {f}")
print(f"docs: {checks - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
