#!/usr/bin/env python3
"""Check infra/monitoring against the code: the Grafana dashboard is valid, importable JSON whose every
PromQL expression names only metrics the services export; the Prometheus scrape configurations parse
and scrape /metrics of the three services (locally, and the pods infra/k8s deploys); README.md
documents every exported metric.

The exported names are read from Sources/Observability/Metrics/FewClickMetrics.swift (`MetricName`).
Needs python3 + PyYAML only. When Prometheus is installed (Debian's `prometheus`, which
install-deps.sh --test installs), it also runs `promtool check config` on prometheus.yml and has a
real Prometheus (on a free loopback port, stopped by PID) parse and evaluate every dashboard query.
Exit status 0 when all checks hold.
    python3 infra/monitoring/check_monitoring.py
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

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


def check_dashboard(exported, errors, expressions_out):
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
            expressions_out.append((title, expr))
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
    with open(os.path.join(HERE, "prometheus.yml")) as f:
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
    with open(os.path.join(HERE, "prometheus-kubernetes.yml")) as f:
        kubernetes = yaml.safe_load(f)
    k8s_jobs = kubernetes.get("scrape_configs", [])
    for job in list(jobs.values()) + k8s_jobs:
        if job.get("metrics_path", "/metrics") != "/metrics":
            errors.append(f"job {job['job_name']} scrapes {job['metrics_path']}, not /metrics")
    pod_jobs = [j for j in k8s_jobs if any(sd.get("role") == "pod" for sd in j.get("kubernetes_sd_configs", []))]
    if not pod_jobs:
        errors.append("prometheus-kubernetes.yml: no job with Kubernetes pod discovery")
        return len(jobs) + len(k8s_jobs)
    keeps = {}
    for rule in pod_jobs[0].get("relabel_configs", []):
        if rule.get("action") == "keep":
            keeps[rule["source_labels"][0]] = rule["regex"]
    # The pods infra/k8s deploys must match the discovery's keep rules.
    part_of = keeps.get("__meta_kubernetes_pod_label_app_kubernetes_io_part_of")
    port_name = keeps.get("__meta_kubernetes_pod_container_port_name")
    k8s_dir = os.path.join(ROOT, "infra", "k8s")
    deployments = []
    for name in sorted(os.listdir(k8s_dir)):
        if name.endswith(".yaml"):
            with open(os.path.join(k8s_dir, name)) as f:
                deployments += [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "Deployment"]
    for name in DEFAULT_PORTS:
        deployment = next((d for d in deployments if d["metadata"]["name"] == name), None)
        if deployment is None:
            errors.append(f"infra/k8s: no Deployment {name} to scrape")
            continue
        template = deployment["spec"]["template"]
        if template["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") != part_of:
            errors.append(f"infra/k8s: {name}'s pods are not app.kubernetes.io/part-of={part_of}: not scraped")
        if template["metadata"].get("labels", {}).get("app.kubernetes.io/name") != name:
            errors.append(f"infra/k8s: {name}'s pods are not app.kubernetes.io/name={name}: wrong job")
        ports = [p.get("name") for c in template["spec"]["containers"] for p in c.get("ports", [])]
        if port_name not in ports:
            errors.append(f"infra/k8s: {name} has no container port named {port_name}: not scraped")
    return len(jobs) + len(k8s_jobs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_with_prometheus(expressions, errors):
    """promtool check config, and every query parsed and evaluated by a real Prometheus (no data:
    the queries must be valid, not return anything). Returns what was checked, or why not."""
    promtool, prometheus = shutil.which("promtool"), shutil.which("prometheus")
    if not promtool or not prometheus:
        return "skipped (no prometheus/promtool installed)"
    result = subprocess.run(
        [promtool, "check", "config", os.path.join(HERE, "prometheus.yml")], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        errors.append(f"promtool check config prometheus.yml: {result.stdout}{result.stderr}")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "empty.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 15s\n")
        process = subprocess.Popen(
            [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp}/data",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(base + "/-/ready", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    errors.append(f"prometheus did not start: {process.stderr.read().decode()[-2000:]}")
                    return "failed"
                time.sleep(0.2)
            for title, expr in expressions:
                # Grafana's $__rate_interval is at least four scrape intervals.
                query = expr.replace("$__rate_interval", "1m")
                url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": query})
                try:
                    with urllib.request.urlopen(url, timeout=10) as answer:
                        status = json.load(answer).get("status")
                except urllib.error.HTTPError as error:
                    status = json.load(error).get("error", f"HTTP {error.code}")
                if status != "success":
                    errors.append(f"dashboard: '{title}': Prometheus refuses {query}: {status}")
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return f"{len(expressions)} queries evaluated by Prometheus, prometheus.yml checked by promtool"


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
    queries = []
    expressions = check_dashboard(exported, errors, queries)
    jobs = check_scrape_config(errors)
    check_readme(exported, errors)
    live = check_with_prometheus(queries, errors)
    for error in errors:
        print("error:", error, file=sys.stderr)
    if errors:
        return 1
    print(f"monitoring ok: {len(exported)} metrics, {expressions} dashboard queries, {jobs} scrape jobs; {live}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
