#!/usr/bin/env python3
"""Parse the Kubernetes manifests in infra/k8s and check that they hang together: every file in
kustomization.yaml exists and parses; every Deployment has readiness and liveness probes on a
named container port; every Service selects a Deployment's pod labels and targets a port it
declares; every HPA scales an existing Deployment; every ConfigMap/Secret key a pod reads exists;
the proxy's FEWCLICK_IMAGE_STORE is a redis:// URL naming the Redis Service and its port.

No cluster needed (python3 + PyYAML). Exit status 0 when all checks hold.
    python3 infra/k8s/check_manifests.py
"""

import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
# Deployments that are not fewclick services (no HTTP health route, no HPA).
DATA_STORES = {"fewclick-redis"}


def main():
    errors = []
    with open(os.path.join(HERE, "kustomization.yaml")) as f:
        kustomization = yaml.safe_load(f)
    docs = []
    for name in kustomization["resources"]:
        path = os.path.join(HERE, name)
        if not os.path.exists(path):
            errors.append(f"kustomization lists missing file {name}")
            continue
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if doc:
                    doc["__file"] = name
                    docs.append(doc)

    def of_kind(kind):
        return [d for d in docs if d.get("kind") == kind]

    namespace = kustomization.get("namespace")
    for doc in docs:
        for key in ("apiVersion", "kind", "metadata"):
            if key not in doc:
                errors.append(f"{doc['__file']}: a document lacks {key}")
        meta_ns = doc.get("metadata", {}).get("namespace")
        if doc.get("kind") != "Namespace" and meta_ns not in (None, namespace):
            errors.append(f"{doc['__file']}: {doc['metadata']['name']} in namespace {meta_ns}, not {namespace}")

    config = {d["metadata"]["name"]: set(d.get("data", {})) for d in of_kind("ConfigMap")}
    secrets = {d["metadata"]["name"]: set(d.get("stringData", {})) | set(d.get("data", {})) for d in of_kind("Secret")}
    deployments = {d["metadata"]["name"]: d for d in of_kind("Deployment")}
    images = {i["name"] for i in kustomization.get("images", [])}

    for name, dep in deployments.items():
        spec = dep["spec"]
        pod_labels = spec["template"]["metadata"]["labels"]
        if any(pod_labels.get(k) != v for k, v in spec["selector"]["matchLabels"].items()):
            errors.append(f"{name}: selector does not match the pod labels")
        for container in spec["template"]["spec"]["containers"]:
            ports = {p["name"] for p in container.get("ports", [])}
            if container["image"] not in images:
                errors.append(f"{name}: image {container['image']} is not in kustomization images")
            for probe in ("readinessProbe", "livenessProbe"):
                spec_ = container.get(probe, {})
                if name in DATA_STORES:
                    # Redis speaks no HTTP: a TCP or exec (redis-cli ping) probe on a declared port.
                    tcp = spec_.get("tcpSocket")
                    if not (tcp or spec_.get("exec")):
                        errors.append(f"{name}/{container['name']}: no tcpSocket/exec {probe}")
                    elif tcp and tcp["port"] not in ports:
                        errors.append(f"{name}/{container['name']}: {probe} uses undeclared port {tcp['port']}")
                    continue
                get = spec_.get("httpGet")
                if not get:
                    errors.append(f"{name}/{container['name']}: no HTTP {probe}")
                elif get["port"] not in ports:
                    errors.append(f"{name}/{container['name']}: {probe} uses undeclared port {get['port']}")
                elif get["path"] not in ("/ping", "/healthz"):
                    errors.append(f"{name}/{container['name']}: {probe} path {get['path']}")
            for env in container.get("env", []):
                source = env.get("valueFrom", {})
                if "configMapKeyRef" in source:
                    ref = source["configMapKeyRef"]
                    if ref["key"] not in config.get(ref["name"], set()):
                        errors.append(f"{name}: env {env['name']} reads missing ConfigMap key {ref['name']}/{ref['key']}")
                if "secretKeyRef" in source:
                    ref = source["secretKeyRef"]
                    if ref["key"] not in secrets.get(ref["name"], set()):
                        errors.append(f"{name}: env {env['name']} reads missing Secret key {ref['name']}/{ref['key']}")

    for svc in of_kind("Service"):
        selector = svc["spec"]["selector"]
        targets = [d for d in deployments.values()
                   if all(d["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in selector.items())]
        if len(targets) != 1:
            errors.append(f"service {svc['metadata']['name']} selects {len(targets)} deployments")
            continue
        ports = {p["name"] for c in targets[0]["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
        for port in svc["spec"]["ports"]:
            if port["targetPort"] not in ports:
                errors.append(f"service {svc['metadata']['name']}: targetPort {port['targetPort']} not declared")

    for hpa in of_kind("HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        if ref["kind"] != "Deployment" or ref["name"] not in deployments:
            errors.append(f"HPA {hpa['metadata']['name']} scales unknown {ref['kind']}/{ref['name']}")
        if hpa["spec"]["minReplicas"] > hpa["spec"]["maxReplicas"]:
            errors.append(f"HPA {hpa['metadata']['name']}: minReplicas > maxReplicas")

    expected = {"fewclick-endpoint", "fewclick-proxy", "fewclick-gateway"}
    if set(deployments) != expected | DATA_STORES:
        errors.append(f"deployments {sorted(deployments)} != {sorted(expected | DATA_STORES)}")

    # The proxies share images through the Redis Service (README "Scaling out").
    proxy_env = {e["name"]: e for c in deployments.get("fewclick-proxy", {}).get("spec", {}).get("template", {})
                 .get("spec", {}).get("containers", []) for e in c.get("env", [])}
    store = proxy_env.get("FEWCLICK_IMAGE_STORE")
    store_url = None
    if store is None:
        errors.append("fewclick-proxy does not set FEWCLICK_IMAGE_STORE")
    elif "value" in store:
        store_url = store["value"]
    else:
        ref = store.get("valueFrom", {}).get("configMapKeyRef", {})
        store_url = next((d.get("data", {}).get(ref.get("key")) for d in of_kind("ConfigMap")
                          if d["metadata"]["name"] == ref.get("name")), None)
    if store is not None:
        match = re.fullmatch(r"redis://([a-z0-9.-]+):([0-9]+)/([0-9]+)", store_url or "")
        redis_services = {s["metadata"]["name"]: {p["port"] for p in s["spec"]["ports"]} for s in of_kind("Service")
                          if s["spec"]["selector"].get("app.kubernetes.io/name") == "fewclick-redis"}
        if not match:
            errors.append(f"FEWCLICK_IMAGE_STORE {store_url!r} is not redis://service:port/db")
        elif int(match.group(2)) not in redis_services.get(match.group(1).split(".")[0], set()):
            errors.append(f"FEWCLICK_IMAGE_STORE {store_url!r} does not name the Redis Service and its port")
    if {h["spec"]["scaleTargetRef"]["name"] for h in of_kind("HorizontalPodAutoscaler")} != expected:
        errors.append("not every service has an HPA")

    for error in errors:
        print(f"k8s manifest check failed: {error}", file=sys.stderr)
    if errors:
        return 1
    print(f"infra/k8s: {len(docs)} documents parse; deployments, services, HPAs, probes, config refs and the "
          "proxies' Redis image store consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
