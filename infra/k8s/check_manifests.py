#!/usr/bin/env python3
"""Parse the Kubernetes manifests in infra/k8s and check that they hang together: every file in
kustomization.yaml exists and parses; every Deployment has readiness and liveness probes on a
named container port; every Service selects a Deployment's pod labels and targets a port it
declares; every HPA scales an existing Deployment; every ConfigMap/Secret key a pod reads exists.

No cluster needed (python3 + PyYAML). Exit status 0 when all checks hold.
    python3 infra/k8s/check_manifests.py
"""

import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))


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
                get = container.get(probe, {}).get("httpGet")
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
    if set(deployments) != expected:
        errors.append(f"deployments {sorted(deployments)} != {sorted(expected)}")
    if {h["spec"]["scaleTargetRef"]["name"] for h in of_kind("HorizontalPodAutoscaler")} != expected:
        errors.append("not every service has an HPA")

    for error in errors:
        print(f"k8s manifest check failed: {error}", file=sys.stderr)
    if errors:
        return 1
    print(f"infra/k8s: {len(docs)} documents parse; deployments, services, HPAs, probes and config refs consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
