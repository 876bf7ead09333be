#!/usr/bin/env python3
"""Checks the monitoring files of deploy/ against each other and against what synth exports.

    monitoring_check.py files SRC_DIR
        deploy/prometheus/alerts.yml, deploy/alertmanager/alertmanager.yml and
        deploy/grafana/ (provisioning + dashboards): structure, cross-references, and every
        synth_* metric they name is a metric name string in the exporters' sources
        (master/http, worker/http).
    monitoring_check.py live SRC_DIR SCRAPE.prom... [--absent-ok NAME,...]
        every synth_* metric the alerts and the dashboard name has a sample in one of the
        scrapes (a real master's and worker's /metrics), except the names listed.

Exit 1 naming each problem; 0 with a one-line summary.
"""
import json
import os
import re
import sys

import yaml

METRIC = re.compile(r"\bsynth_[a-z0-9_]+\b")
SUFFIXES = ("_bucket", "_sum", "_count")
EXPORTERS = ("master/http/views.cc", "master/http/master_histograms.cc",
             "worker/http/worker_http.cc")


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


def rule_exprs(src):
    doc = load_yaml(os.path.join(src, "deploy/prometheus/alerts.yml"))
    return [(r["alert"], r["expr"]) for g in doc["groups"] for r in g["rules"]]


def dashboards(src):
    d = os.path.join(src, "deploy/grafana/dashboards")
    for name in sorted(os.listdir(d)):
        if name.endswith(".json"):
            with open(os.path.join(d, name)) as f:
                yield name, json.load(f)


def panel_exprs(dash):
    for p in dash["panels"]:
        for t in p.get("targets", []):
            yield p, t


def used_metrics(src):
    names = set()
    for _, expr in rule_exprs(src):
        names.update(METRIC.findall(expr))
    for _, dash in dashboards(src):
        for _, t in panel_exprs(dash):
            names.update(METRIC.findall(t["expr"]))
    for v in dashboards(src):
        for var in v[1].get("templating", {}).get("list", []):
            names.update(METRIC.findall(json.dumps(var.get("query", ""))))
    return names


def base_name(name, known):
    for s in SUFFIXES:
        if name.endswith(s) and name[: -len(s)] in known:
            return name[: -len(s)]
    return name


def check_dashboard(name, dash, ds_uid, problems):
    if not dash.get("uid") or not dash.get("title"):
        problems.append(f"{name}: no uid or title")
    ids = [p["id"] for p in dash["panels"]]
    if len(ids) != len(set(ids)):
        problems.append(f"{name}: duplicate panel ids")
    for p in dash["panels"]:
        g = p["gridPos"]
        if g["x"] + g["w"] > 24:
            problems.append(f"{name}: panel '{p['title']}' wider than the 24-column grid")
        if p["type"] != "row" and p.get("datasource", {}).get("uid") != ds_uid:
            problems.append(f"{name}: panel '{p['title']}' is not on data source {ds_uid}")
    for p, t in panel_exprs(dash):
        if not t.get("expr") or not t.get("refId"):
            problems.append(f"{name}: panel '{p['title']}' has a target without expr/refId")
        if t["datasource"]["uid"] != ds_uid:
            problems.append(f"{name}: panel '{p['title']}' target not on {ds_uid}")


def check_alertmanager(src, alerts, problems):
    am = load_yaml(os.path.join(src, "deploy/alertmanager/alertmanager.yml"))
    receivers = {r["name"] for r in am["receivers"]}
    routes = [am["route"]] + am["route"].get("routes", [])
    for r in routes:
        if r.get("receiver", am["route"]["receiver"]) not in receivers:
            problems.append(f"alertmanager.yml: route to unknown receiver {r.get('receiver')}")
    for rule in am.get("inhibit_rules", []):
        for m in rule.get("source_matchers", []) + rule.get("target_matchers", []):
            for alert in re.findall(r"Synth[A-Za-z]+", m):
                if alert not in alerts:
                    problems.append(f"alertmanager.yml: inhibit rule names unknown alert {alert}")


def check_files(src):
    problems = []
    alerts = {a for a, _ in rule_exprs(src)}
    ds = load_yaml(os.path.join(src, "deploy/grafana/provisioning/datasources/prometheus.yml"))
    ds_uid = ds["datasources"][0]["uid"]
    n = 0
    for name, dash in dashboards(src):
        check_dashboard(name, dash, ds_uid, problems)
        n += 1
    if n == 0:
        problems.append("no dashboard under deploy/grafana/dashboards")
    check_alertmanager(src, alerts, problems)
    text = ""
    for f in EXPORTERS:
        with open(os.path.join(src, f)) as fh:
            text += fh.read()
    exported = set(re.findall(r'"(synth_[a-z0-9_]+)"', text))
    used = used_metrics(src)
    for m in sorted(used):
        if base_name(m, exported) not in exported:
            problems.append(f"{m}: named in alerts or dashboard, exported by no {'/'.join(EXPORTERS)}")
    return problems, f"{len(alerts)} alerts, {n} dashboard(s), {len(used)} metric names exported"


def check_live(src, scrapes, absent_ok):
    present = set()
    for path in scrapes:
        with open(path) as f:
            for line in f:
                m = re.match(r"(synth_[a-z0-9_]+)", line)
                if m:
                    present.add(m.group(1))
    used = used_metrics(src)
    problems = [f"{m}: named in alerts or dashboard, absent from {', '.join(scrapes)}"
                for m in sorted(used) if m not in present and m not in absent_ok]
    return problems, f"{len(used)} metric names of alerts and dashboard, all served"


def main(argv):
    if len(argv) >= 3 and argv[1] == "files":
        problems, summary = check_files(argv[2])
    elif len(argv) >= 4 and argv[1] == "live":
        rest, absent_ok = argv[3:], set()
        if "--absent-ok" in rest:
            i = rest.index("--absent-ok")
            absent_ok = set(rest[i + 1].split(","))
            rest = rest[:i] + rest[i + 2:]
        problems, summary = check_live(argv[2], rest, absent_ok)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in problems:
        print(f"FAIL: {p}")
    if problems:
        return 1
    print(f"OK: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
