#!/usr/bin/env python3
"""Drift check of the deployment files against the code and docs/configuration.md.

Run by .ci/deploy-checks (from the repository root) with the resolved compose configurations
(`docker-compose config` output) as arguments:

    python3 deploy/checks/drift.py RESOLVED.yml...

Fails (exit 1, one line per problem) when:
  * a MONTECELL_* variable used by a compose file (as written or resolved with its environment
    files), an environment template, the Dockerfile, a script or docs/operations.md is not a
    setting documented in docs/configuration.md and present in config/default.toml (the binary
    rejects unknown MONTECELL_* variables at start);
  * a montecell service runs something other than `montecell api` / `montecell worker` with
    their documented flags, or builds a Dockerfile target that does not exist;
  * nginx's upload limit differs from MONTECELL_MAX_UPLOAD_BYTES, or its general body limit is
    below MONTECELL_MAX_REQUEST_JSON_BYTES;
  * the ports of nginx's upstream, Prometheus' targets and the compose binds disagree;
  * an alert rule or a dashboard panel uses a montecell metric the code does not export.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
problems: list[str] = []


def problem(msg: str) -> None:
    problems.append(msg)


def rel(p: Path) -> str:
    return str(p.relative_to(ROOT))


# --- settings: documented and known -----------------------------------------------------------
doc = (ROOT / "docs/configuration.md").read_text()
documented = set(re.findall(r"`(MONTECELL_[A-Z0-9_]+)`", doc))
defaults = tomllib.loads((ROOT / "config/default.toml").read_text())
known = {f"MONTECELL_{k.upper()}" for k in defaults} | {"MONTECELL_CONFIG"}
VAR = re.compile(r"\bMONTECELL_[A-Z0-9_]*[A-Z0-9]\b")


def check_var(name: str, where: str) -> None:
    if name not in documented:
        problem(f"{where}: {name} is not documented in docs/configuration.md")
    elif name not in known:
        problem(f"{where}: {name} is documented but is not a setting of config/default.toml")


COMPOSE = sorted(ROOT.glob("docker-compose*.yml"))
TEMPLATES = sorted((ROOT / "deploy/env").glob("*.env.example"))
SCANNED = (
    COMPOSE
    + TEMPLATES
    + sorted((ROOT / "deploy").rglob("*"))
    + sorted((ROOT / "scripts").glob("*.sh"))
    + [ROOT / ".ci/deploy-checks", ROOT / "docs/operations.md"]
)
for path in SCANNED:
    if not path.is_file() or path.suffix in {".pem", ".pyc"}:
        continue
    text = path.read_text(errors="replace")
    for lineno, line in enumerate(text.splitlines(), 1):
        for name in VAR.findall(line):
            check_var(name, f"{rel(path)}:{lineno}")

# Environment templates: montecell's hold only MONTECELL_* settings; each line is KEY=VALUE.
env_values: dict[str, dict[str, str]] = {}
for path in TEMPLATES:
    values: dict[str, str] = {}
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", line)
        if not m:
            problem(f"{rel(path)}:{lineno}: not KEY=VALUE")
            continue
        key, value = m.groups()
        if key in values:
            problem(f"{rel(path)}:{lineno}: {key} set twice")
        values[key] = value
        if ".montecell." in path.name and not key.startswith("MONTECELL_"):
            problem(f"{rel(path)}:{lineno}: {key} in a montecell environment file")
        if " #" in value:
            problem(f"{rel(path)}:{lineno}: a comment after a value becomes part of the value")
    env_values[path.name] = values

# --- compose: resolved environments, commands, build targets ----------------------------------
dockerfile = (ROOT / "deploy/docker/Dockerfile").read_text()
stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile, re.M | re.I))
readme = (ROOT / "README.md").read_text()
SUBCOMMANDS = {"api": {"--bind"}, "worker": {"--gpu", "--concurrency"}}
for sub in SUBCOMMANDS:
    if f"-- {sub}" not in readme:
        problem(f"README.md no longer documents `montecell {sub}` (compose files start it)")

api_binds: set[str] = set()
worker_binds: set[str] = set()
for resolved in sys.argv[1:]:
    cfg = yaml.safe_load(Path(resolved).read_text())
    for name, svc in (cfg.get("services") or {}).items():
        where = f"{Path(resolved).name}: service {name}"
        env = svc.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
        image = str(svc.get("image", ""))
        build = svc.get("build") or {}
        target = build.get("target") if isinstance(build, dict) else None
        montecell = "montecell-api" in image or "montecell-worker" in image or target is not None
        for key in env:
            if key.startswith("MONTECELL_"):
                check_var(key, where)
                if not montecell:
                    problem(f"{where}: {key} given to a service that is not montecell")
        if not montecell:
            continue
        if target is not None:
            if build.get("dockerfile", "").endswith("deploy/docker/Dockerfile") is False:
                problem(f"{where}: builds {build.get('dockerfile')}, not deploy/docker/Dockerfile")
            if target not in stages:
                problem(f"{where}: build target {target!r} is not a stage of deploy/docker/Dockerfile {sorted(stages)}")
        command = svc.get("command")
        if isinstance(command, str):
            command = command.split()
        if not command or command[0] not in SUBCOMMANDS:
            problem(f"{where}: command {command!r} is not `api` or `worker`")
            continue
        args = command[1:]
        while args:
            flag = args.pop(0)
            if flag not in SUBCOMMANDS[command[0]]:
                problem(f"{where}: `montecell {command[0]}` has no flag {flag}")
            elif not args:
                problem(f"{where}: {flag} needs a value")
            else:
                args.pop(0)
        if command[0] == "api":
            api_binds.add(env.get("MONTECELL_BIND", ""))
            if not env.get("MONTECELL_BIND", "").startswith("0.0.0.0:"):
                problem(f"{where}: the API must listen on 0.0.0.0 in a container (MONTECELL_BIND)")
        else:
            worker_binds.add(env.get("MONTECELL_METRICS_BIND", ""))
            if not env.get("MONTECELL_METRICS_BIND"):
                problem(f"{where}: a worker without MONTECELL_METRICS_BIND has no health check or metrics")
        if "MONTECELL_DATABASE_URL" in env and not env["MONTECELL_DATABASE_URL"].startswith("postgres"):
            problem(f"{where}: MONTECELL_DATABASE_URL is not Postgres")
        if "MONTECELL_QUEUE_URL" in env and not env["MONTECELL_QUEUE_URL"].startswith("redis"):
            problem(f"{where}: MONTECELL_QUEUE_URL is not Redis")
if not sys.argv[1:]:
    problem("no resolved compose configuration given")

# --- nginx limits and ports -------------------------------------------------------------------
def size(v: str) -> int:
    m = re.fullmatch(r"(\d+)([kKmMgG]?)", v)
    if not m:
        raise ValueError(v)
    return int(m.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2).lower()]


site = (ROOT / "deploy/nginx/conf.d/montecell.conf").read_text()
upload = re.search(r"location = /v1/models \{(.*?)\n    \}", site, re.S)
general = re.search(r"^    client_max_body_size (\S+);", site, re.M)
if not upload or "client_max_body_size" not in upload.group(1):
    problem("deploy/nginx/conf.d/montecell.conf: no client_max_body_size in `location = /v1/models`")
else:
    limit = size(re.search(r"client_max_body_size (\S+);", upload.group(1)).group(1))
    expected = {("config/default.toml", int(defaults["max_upload_bytes"]))}
    expected |= {(n, int(v["MONTECELL_MAX_UPLOAD_BYTES"])) for n, v in env_values.items() if "MONTECELL_MAX_UPLOAD_BYTES" in v}
    for where, value in sorted(expected):
        if value != limit:
            problem(f"nginx lets uploads of {limit} bytes through, {where} sets MONTECELL_MAX_UPLOAD_BYTES={value}")
if not general:
    problem("deploy/nginx/conf.d/montecell.conf: no server-wide client_max_body_size")
else:
    limit = size(general.group(1))
    expected = {("config/default.toml", int(defaults["max_request_json_bytes"]))}
    expected |= {(n, int(v["MONTECELL_MAX_REQUEST_JSON_BYTES"])) for n, v in env_values.items() if "MONTECELL_MAX_REQUEST_JSON_BYTES" in v}
    for where, value in sorted(expected):
        if value > limit:
            problem(f"nginx refuses bodies over {limit} bytes, below MONTECELL_MAX_REQUEST_JSON_BYTES={value} of {where}")

upstream_ports = set(re.findall(r"^\s*server api:(\d+)", site, re.M))
prom = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
api_sd_ports = {str(sd["port"]) for sd in jobs["montecell-api"].get("dns_sd_configs", [])}
bind_ports = {b.rsplit(":", 1)[-1] for b in api_binds if b}
for what, ports in (("nginx upstream", upstream_ports), ("Prometheus montecell-api", api_sd_ports)):
    if ports != bind_ports:
        problem(f"{what} uses port(s) {sorted(ports)}, the compose API binds {sorted(bind_ports)}")
metrics_ports = {b.rsplit(":", 1)[-1] for b in worker_binds if b}
for tfile in sorted((ROOT / "deploy/prometheus/targets").rglob("workers*.yml")):
    for group in yaml.safe_load(tfile.read_text()) or []:
        for t in group["targets"]:
            host, port = t.rsplit(":", 1)
            if not re.fullmatch(r"[\d.]+", host) and port not in metrics_ports:
                problem(f"{rel(tfile)}: target {t}: the compose workers serve metrics on {sorted(metrics_ports)}")
            if "host" not in group.get("labels", {}) or "gpu" not in group.get("labels", {}):
                problem(f"{rel(tfile)}: target {t} needs the labels host and gpu (dashboard, GPU alert)")

# --- metric names -----------------------------------------------------------------------------
exported: set[str] = set()
histograms: set[str] = set()
for crate in ("api", "worker", "shared", "src"):
    for src in (ROOT / crate).rglob("*.rs"):
        for kind, name in re.findall(r"\b(counter|gauge|histogram)!\(\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"", src.read_text()):
            exported.add(name)
            if kind == "histogram":
                histograms.add(name)
if not exported:
    problem("no metric found in the code (counter!/gauge!/histogram!): the check itself is broken")
valid = set(exported)
for h in histograms:
    valid |= {f"{h}_bucket", f"{h}_sum", f"{h}_count"}
rules_file = ROOT / "deploy/prometheus/rules/montecell.rules.yml"
rules = yaml.safe_load(rules_file.read_text())
recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
exprs = [(f"{rel(rules_file)}: {r.get('alert') or r.get('record')}", r["expr"]) for g in rules["groups"] for r in g["rules"]]
dash_file = ROOT / "deploy/grafana/dashboards/montecell.json"
dash = json.loads(dash_file.read_text())
for p in dash["panels"]:
    for t in p.get("targets", []):
        exprs.append((f"{rel(dash_file)}: panel {p['title']!r}", t["expr"]))
used_metrics = set()
for where, expr in exprs:
    for name in re.findall(r"\b(montecell(?:_|:)[a-zA-Z0-9_:]+)", expr):
        used_metrics.add(name)
        if name not in valid and name not in recorded:
            problem(f"{where}: metric {name} is not exported by the code (known: {', '.join(sorted(exported))})")
unused = sorted(n for n in exported if not any(u == n or u.startswith(n + "_") for u in used_metrics))
if unused:
    # Not a failure: a new metric may land before its panel. Said loudly so it gets one.
    print(f"drift: WARNING: metrics exported by the code but on no dashboard panel or rule: {', '.join(unused)}", file=sys.stderr)

if problems:
    for p in problems:
        print(f"drift: {p}", file=sys.stderr)
    sys.exit(1)
print(
    f"drift: ok — {len(documented & known)} documented settings; every MONTECELL_* variable of "
    f"{len(COMPOSE)} compose files, {len(TEMPLATES)} templates, the Dockerfile and the scripts is one; "
    f"{len(exported)} exported metrics, {len(exprs)} rule/panel expressions checked"
)
