#!/usr/bin/env python3
"""Checks the provisioned Grafana files, run by .ci/deploy-checks from the repository root:

    python3 deploy/checks/grafana.py PROMQL_RULES_OUT.yml

* the dashboard JSON parses and is well formed: uid and title, unique panel ids, every panel
  placed (gridPos) inside 24 columns, every query on the provisioned Prometheus data source
  (by uid) with a non-empty expression, every template variable used by a query defined;
* the provisioning files parse; the dashboards provider reads the folder that the compose files
  mount the dashboards at, and the data source points at the compose Prometheus;
* every panel's PromQL expression is written to PROMQL_RULES_OUT.yml as a recording rule (with
  Grafana's variables replaced by values), so that `promtool check rules` parses them all.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy/grafana"
problems: list[str] = []

datasources = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
ds = datasources["datasources"]
uids = {d["uid"] for d in ds}
if not any(d["type"] == "prometheus" and d["url"] == "http://prometheus:9090" for d in ds):
    problems.append("no Prometheus data source at http://prometheus:9090 (the compose service)")

providers = yaml.safe_load((GRAFANA / "provisioning/dashboards/montecell.yml").read_text())["providers"]
paths = {p["options"]["path"] for p in providers}
for compose in ("docker-compose.staging.yml", "docker-compose.production.yml"):
    cfg = yaml.safe_load((ROOT / compose).read_text())
    mounts = cfg["services"]["grafana"]["volumes"]
    targets = {m.split(":")[1] for m in mounts if m.startswith("./deploy/grafana/dashboards:")}
    if not targets & paths:
        problems.append(f"{compose}: grafana mounts the dashboards at {sorted(targets)}, the provider reads {sorted(paths)}")

dashboards = sorted((GRAFANA / "dashboards").glob("*.json"))
if not dashboards:
    problems.append("no dashboard in deploy/grafana/dashboards")
rules = []
for path in dashboards:
    name = path.relative_to(ROOT)
    try:
        dash = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        problems.append(f"{name}: not JSON: {e}")
        continue
    for key in ("uid", "title", "panels", "schemaVersion"):
        if key not in dash:
            problems.append(f"{name}: no {key}")
    variables = {v["name"] for v in dash.get("templating", {}).get("list", [])}
    builtin = {"__rate_interval", "__interval", "__range"}
    ids = [p.get("id") for p in dash.get("panels", [])]
    if len(ids) != len(set(ids)) or None in ids:
        problems.append(f"{name}: panel ids missing or repeated")
    for p in dash.get("panels", []):
        where = f"{name}: panel {p.get('title')!r}"
        g = p.get("gridPos") or {}
        if not all(k in g for k in ("x", "y", "w", "h")) or g["x"] + g["w"] > 24:
            problems.append(f"{where}: gridPos missing or wider than 24 columns")
        if p.get("type") == "row":
            continue
        if p.get("datasource", {}).get("uid") not in uids:
            problems.append(f"{where}: data source {p.get('datasource')} is not a provisioned one {sorted(uids)}")
        if not p.get("targets"):
            problems.append(f"{where}: no query")
        for t in p.get("targets", []):
            expr = t.get("expr", "").strip()
            if not expr:
                problems.append(f"{where}: empty expression")
                continue
            if t.get("datasource", p.get("datasource", {})).get("uid") not in uids:
                problems.append(f"{where}: query data source is not a provisioned one")
            for var in re.findall(r"\$\{?(\w+)", expr):
                if var not in variables and var not in builtin:
                    problems.append(f"{where}: variable ${var} is not defined")
            concrete = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m").replace("$__range", "1h")
            concrete = re.sub(r"\$\{?\w+\}?", ".*", concrete)
            rules.append({"record": f"grafana:panel_{p['id']}_{t['refId']}", "expr": concrete})
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query", {})
        q = q.get("query", "") if isinstance(q, dict) else q
        m = re.fullmatch(r"label_values\((.*),\s*\w+\)", q)
        if m:
            rules.append({"record": f"grafana:variable_{v['name']}", "expr": m.group(1)})

Path(sys.argv[1]).write_text(yaml.safe_dump({"groups": [{"name": "grafana-panels", "rules": rules}]}, sort_keys=False))
if problems:
    for p in problems:
        print(f"grafana: {p}", file=sys.stderr)
    sys.exit(1)
print(f"grafana: ok — {len(dashboards)} dashboard(s), {len(rules)} queries written for promtool")
