#!/usr/bin/env python3
"""Checks the rendered kustomization: kinds, selectors vs labels, GPU scheduling, probes,
non-root, the shared ConfigMap, and that the Secret holds the generated files, nothing else.
With MASTERS = 2 (deploy/k8s-ha): two master Deployments, each behind its own Service, signing
in under distinct worker names, and every worker given both Services in order.
usage: k8s_check.py RENDERED.yaml SECRETS_DIR synth.conf [MASTERS]"""
import base64
import os
import sys

import yaml


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def main():
    rendered, secrets_dir, conf = sys.argv[1:4]
    masters = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    with open(rendered) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
        if d["kind"] != "Namespace" and d["metadata"].get("namespace") != "synth":
            fail(f'{d["kind"]}/{d["metadata"]["name"]} not in namespace synth')
    for kind, n in {"Namespace": 1, "Deployment": 1 + masters, "DaemonSet": 1,
                    "Service": masters, "ConfigMap": 1, "Secret": 1}.items():
        if len(by_kind.get(kind, [])) != n:
            fail(f"expected {n} {kind}, got {len(by_kind.get(kind, []))}")

    cm = by_kind["ConfigMap"][0]
    with open(conf) as f:
        if cm["data"].get("synth.conf") != f.read():
            fail("ConfigMap synth.conf differs from deploy/config/synth.conf")
    secret = by_kind["Secret"][0]
    want = {}
    for name in ("worker-token", "pool-pass"):
        with open(os.path.join(secrets_dir, name), "rb") as f:
            want[name] = base64.b64encode(f.read()).decode()
    if secret.get("data") != want or set(want) != {"worker-token", "pool-pass"}:
        fail("Secret data is not exactly the generated worker-token/pool-pass files")
    with open(rendered) as f:
        text = f.read()
    for value in want.values():
        if base64.b64decode(value).decode() in text:
            fail("a secret appears in clear text in the rendered output")

    workloads = by_kind["Deployment"] + by_kind["DaemonSet"]
    names = {w["metadata"]["name"]: w for w in workloads}
    for w in workloads:
        name = w["metadata"]["name"]
        spec = w["spec"]
        sel = spec["selector"]["matchLabels"]
        labels = spec["template"]["metadata"]["labels"]
        if any(labels.get(k) != v for k, v in sel.items()):
            fail(f"{name}: selector {sel} does not match labels {labels}")
        pod = spec["template"]["spec"]
        if not pod.get("securityContext", {}).get("runAsNonRoot"):
            fail(f"{name}: runAsNonRoot not set")
        refs = {v.get("configMap", {}).get("name") for v in pod.get("volumes", [])}
        if cm["metadata"]["name"] not in refs:
            fail(f"{name}: does not mount the (generated) ConfigMap {cm['metadata']['name']}")
        srefs = {v.get("secret", {}).get("secretName") for v in pod.get("volumes", [])}
        if secret["metadata"]["name"] not in srefs:
            fail(f"{name}: does not mount the (generated) Secret")
        for c in pod["containers"]:
            if "--config=/etc/synth/synth.conf" not in c.get("args", []):
                fail(f"{name}: container {c['name']} does not read the shared config")
            if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
                fail(f"{name}: no /healthz liveness probe")
            if not c.get("resources", {}).get("requests"):
                fail(f"{name}: no resource requests")
            if c["securityContext"].get("allowPrivilegeEscalation") is not False:
                fail(f"{name}: allowPrivilegeEscalation not false")
            for e in c.get("env", []):
                if "TOKEN" in e["name"] or "PASS" in e["name"]:
                    if not e["name"].endswith("_FILE"):
                        fail(f"{name}: secret {e['name']} passed as a value")

    ds = by_kind["DaemonSet"][0]
    pod = ds["spec"]["template"]["spec"]
    if "nvidia.com/gpu.present" not in pod.get("nodeSelector", {}):
        fail("GPU DaemonSet has no GPU nodeSelector")
    if not any(t.get("key") == "nvidia.com/gpu" for t in pod.get("tolerations", [])):
        fail("GPU DaemonSet does not tolerate the nvidia.com/gpu taint")
    if not pod["containers"][0]["resources"].get("limits", {}).get("nvidia.com/gpu"):
        fail("GPU DaemonSet requests no nvidia.com/gpu")

    master_names = ["synth-master"] + (["synth-master-b"] if masters == 2 else [])
    services = {s["metadata"]["name"]: s for s in by_kind["Service"]}
    users = set()
    for name in master_names:
        master = names.get(name) or fail(f"no {name} Deployment")
        svc = services.get(name) or fail(f"no Service {name}")
        mlabels = master["spec"]["template"]["metadata"]["labels"]
        if any(mlabels.get(k) != v for k, v in svc["spec"]["selector"].items()):
            fail(f"Service {name}: selector does not match the master's labels")
        ports = {p["name"]: p["port"] for p in svc["spec"]["ports"]}
        if ports != {"grpc": 4650, "http": 9650}:
            fail(f"Service {name} ports {ports}")
        for e in master["spec"]["template"]["spec"]["containers"][0].get("env", []):
            if e["name"] == "SYNTH_USER":
                users.add(e["value"])
    if len(users) != masters:
        fail(f"masters must sign in under distinct worker names, got {sorted(users)}")
    want_masters = ",".join(f"{n}:4650" for n in master_names)
    for w in workloads:
        if w["metadata"]["name"] in master_names:
            continue
        for c in w["spec"]["template"]["spec"]["containers"]:
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            if env.get("SYNTH_MASTER") != want_masters:
                fail(f"{w['metadata']['name']}: SYNTH_MASTER {env.get('SYNTH_MASTER')} is not "
                     f"{want_masters}")
    print(f"k8s_check: {len(docs)} objects OK ({masters} master(s))")


if __name__ == "__main__":
    main()
