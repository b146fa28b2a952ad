#!/usr/bin/env python3
"""Check infra/monitoring against the code: the Grafana dashboard is valid, importable JSON whose every
PromQL expression names only metrics the services export; the Prometheus scrape configuration parses
and scrapes /metrics of the three services; README.md documents every exported metric.

The exported names are read from Sources/Observability/Metrics/FewClickMetrics.swift (`MetricName`).
No Prometheus or Grafana needed (python3 + PyYAML). Exit status 0 when all checks hold.
    python3 infra/monitoring/check_monitoring.py
"""

import json
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
METRICS_SOURCE = os.path.join(ROOT, "Sources", "Observability", "Metrics", "FewClickMetrics.swift")
HISTOGRAMS = {"fewclick_request_duration_seconds", "fewclick_model_latency_seconds",
              "fewclick_overhead_latency_seconds", "fewclick_image_decode_seconds"}
# Labels a query may group or filter by: the metrics' own, `le` of histograms, Prometheus' target labels.
LABELS = {"service", "route", "status", "model", "reason", "le", "job", "instance", "pod", "namespace"}
DEFAULT_PORTS = {"fewclick-gateway": 8000, "fewclick-proxy": 9001, "fewclick-endpoint": 8080}


def exported_metrics():
    with open(METRICS_SOURCE) as f:
        names = re.findall(r'static let \w+ = "(fewclick_[a-z_]+)"', f.read())
    if not names:
        sys.exit(f"no metric names found in {METRICS_SOURCE}")
    return set(names)


def series_names(metric):
    """The series names a metric has in the exposition (histograms: _bucket, _count, _sum)."""
    if metric in HISTOGRAMS:
        return {metric + suffix for suffix in ("_bucket", "_count", "_sum")}
    return {metric}


def check_dashboard(exported, errors):
    path = os.path.join(HERE, "grafana-dashboard.json")
    with open(path) as f:
        dashboard = json.load(f)
    for key in ("title", "uid", "panels", "schemaVersion", "templating"):
        if key not in dashboard:
            errors.append(f"dashboard: no '{key}'")
    variables = {v.get("name") for v in dashboard.get("templating", {}).get("list", [])}
    allowed = set().union(*(series_names(m) for m in exported))
    used = set()
    ids = set()
    expressions = 0
    for panel in dashboard.get("panels", []):
        pid = panel.get("id")
        if pid in ids:
            errors.append(f"dashboard: panel id {pid} used twice")
        ids.add(pid)
        if panel.get("type") == "row":
            continue
        title = panel.get("title", f"panel {pid}")
        grid = panel.get("gridPos", {})
        if not all(isinstance(grid.get(k), int) for k in ("x", "y", "w", "h")) or grid["x"] + grid["w"] > 24:
            errors.append(f"dashboard: '{title}' has no valid gridPos")
        uid = panel.get("datasource", {}).get("uid", "")
        if uid.startswith("${") and uid[2:-1] not in variables:
            errors.append(f"dashboard: '{title}' uses datasource variable {uid}, which is not defined")
        targets = panel.get("targets", [])
        if not targets:
            errors.append(f"dashboard: '{title}' has no query")
        for target in targets:
            expr = target.get("expr", "")
            expressions += 1
            if expr.count("(") != expr.count(")") or expr.count("{") != expr.count("}"):
                errors.append(f"dashboard: '{title}': unbalanced brackets in {expr}")
            names = set(re.findall(r"\bfewclick_[a-z_]+\b", expr))
            if not names:
                errors.append(f"dashboard: '{title}': the query names no fewclick metric: {expr}")
            for name in names - allowed:
                errors.append(f"dashboard: '{title}': {name} is not exported by the services")
            used |= names
            for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
                for label in filter(None, (l.strip() for l in group.split(","))):
                    if label not in LABELS:
                        errors.append(f"dashboard: '{title}': unknown label '{label}' in {expr}")
            for label in re.findall(r"[{,]\s*([a-z_]+)\s*(?:=~|!~|!=|=)", expr):
                if label not in LABELS:
                    errors.append(f"dashboard: '{title}': unknown label '{label}' in {expr}")
    for metric in sorted(exported):
        if not series_names(metric) & used:
            errors.append(f"dashboard: no panel shows {metric}")
    return expressions


def check_scrape_config(errors):
    path = os.path.join(HERE, "prometheus.yml")
    with open(path) as f:
        config = yaml.safe_load(f)
    jobs = {job["job_name"]: job for job in config.get("scrape_configs", [])}
    for name, port in DEFAULT_PORTS.items():
        job = jobs.get(name)
        if job is None:
            errors.append(f"prometheus.yml: no job {name}")
            continue
        targets = [t for sc in job.get("static_configs", []) for t in sc.get("targets", [])]
        if f"127.0.0.1:{port}" not in targets:
            errors.append(f"prometheus.yml: job {name} does not scrape 127.0.0.1:{port}")
    for name, job in jobs.items():
        if job.get("metrics_path", "/metrics") != "/metrics":
            errors.append(f"prometheus.yml: job {name} scrapes {job['metrics_path']}, not /metrics")
    if not any("kubernetes_sd_configs" in job for job in jobs.values()):
        errors.append("prometheus.yml: no Kubernetes service discovery job")
    return len(jobs)


def check_readme(exported, errors):
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    start = readme.find("## Monitoring")
    if start < 0:
        errors.append("README.md: no '## Monitoring' section")
        return
    end = readme.find("\n## ", start + 1)
    section = readme[start:end if end > 0 else len(readme)]
    for metric in sorted(exported):
        if f"`{metric}" not in section:
            errors.append(f"README.md: the Monitoring section does not document {metric}")


def main():
    errors = []
    exported = exported_metrics()
    expressions = check_dashboard(exported, errors)
    jobs = check_scrape_config(errors)
    check_readme(exported, errors)
    for error in errors:
        print("error:", error, file=sys.stderr)
    if errors:
        return 1
    print(f"monitoring ok: {len(exported)} metrics, {expressions} dashboard queries, {jobs} scrape jobs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
