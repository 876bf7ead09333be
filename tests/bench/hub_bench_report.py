#!/usr/bin/env python3
"""Prints the table of tests/bench/hub_bench.sh from the files it left in its temp dir.

    hub_bench_report.py TMP MINERS SCALE_MINERS SCALE_WORKERS

Per phase: the Stratum port's share path (submit read -> handed to the pool connection; the
master keeps the last 2,000 shares, sampled every 2 s: the median of the windows' p50, and the
median and worst of their p99), the clean-job fan-out (pool job in -> notify written, over every
connection; per clean job, the median and worst p99), the lease round-trip of synth-loadgen's
workers, the master's CPU (share of one core) and RSS, and the load generators' CPU.
"""
import json
import os
import re
import statistics
import sys


def read_jsonl(path):
    out = []
    try:
        for line in open(path, errors="replace"):
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    except OSError:
        pass
    return out


def usage(path):
    """Returns (cpu share of one core, rss MiB) from NAME-usage.txt."""
    try:
        lines = [l.split() for l in open(path) if l.strip()]
        t0, c0 = float(lines[0][0]), float(lines[0][1])
        t1, c1, rss = float(lines[-1][0]), float(lines[-1][1]), float(lines[-1][2])
        return (c1 - c0) / (t1 - t0), rss
    except (OSError, IndexError, ValueError, ZeroDivisionError):
        return None, None


def loadgen_cpu(path):
    """Returns the share of one core NAME-cpu.txt's process used over its run."""
    try:
        rows = [l.split() for l in open(path) if l.strip()]
        (t0, c0), (t1, c1) = rows[0], rows[-1]
        return (float(c1) - float(c0)) / (float(t1) - float(t0))
    except (OSError, IndexError, ValueError, ZeroDivisionError):
        return None


def port_figures(samples):
    ports = [s.get("stratum_port", {}) for s in samples]
    p50 = [p["share_path_p50_ms"] for p in ports if int(p.get("share_path_samples", 0)) > 0]
    p99 = [p["share_path_p99_ms"] for p in ports if int(p.get("share_path_samples", 0)) > 0]
    # One fan-out figure per clean job: consecutive samples repeat the same job's numbers.
    fan = sorted({(p.get("clean_fanout_p99_ms", 0), p.get("clean_fanout_max_ms", 0))
                  for p in ports if p.get("clean_fanout_max_ms", 0) > 0})
    conns = max([int(p.get("connections", 0)) for p in ports] + [0])
    fwd = [int(p.get("shares_forwarded", 0)) for p in ports]
    return {
        "p50": statistics.median(p50) if p50 else None,
        "p99": statistics.median(p99) if p99 else None,
        "p99max": max(p99) if p99 else None,
        "fan99": statistics.median([f[0] for f in fan]) if fan else None,
        "fanmax": max([f[1] for f in fan]) if fan else None,
        "jobs": len(fan),
        "conns": conns,
        "shares_per_s": (fwd[-1] - fwd[0]) / (2.0 * (len(fwd) - 1)) if len(fwd) > 1 else None,
    }


def loadgen_row(path):
    """The last table row synth-loadgen printed: (p50, p99, cpu%, rss)."""
    try:
        text = open(path, errors="replace").read()
    except OSError:
        return None
    rows = [l for l in text.splitlines() if re.match(r"^\s*\d+\s+\d", l)]
    if not rows:
        return None
    f = rows[-1].split()
    # workers connected failed connect_s grants/s p50_ms p99_ms max_ms cpu_% rss_MiB
    try:
        return {"grants": float(f[4]), "p50": float(f[5]), "p99": float(f[6]),
                "cpu": float(f[8]) / 100, "rss": float(f[9])}
    except (IndexError, ValueError):
        return None


def ms(x):
    return "-" if x is None else ("%.2f ms" % x)


def pct(x):
    return "-" if x is None else ("%.0f%%" % (100 * x))


def main():
    tmp, miners, sminers, sworkers = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    P = lambda n: os.path.join(tmp, n)
    print()
    print("| phase | share path p50 | share path p99 (median / worst 2 s window) | "
          "clean fan-out p99 (median / worst, jobs) | lease RTT p50 / p99 | master CPU | "
          "master RSS | load generator CPU |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    m1 = port_figures(read_jsonl(P("m1-status.jsonl")))
    cpu, rss = usage(P("m1-usage.txt"))
    l1 = json.load(open(P("l1.json"))) if os.path.exists(P("l1.json")) else {}
    print("| %d miners x 1 share/s (%s shares/s forwarded) | %s | %s / %s | %s / %s (%d) | - | %s | "
          "%s MiB | %s |" % (miners, "-" if m1["shares_per_s"] is None else "%.0f" % m1["shares_per_s"],
                             ms(m1["p50"]), ms(m1["p99"]), ms(m1["p99max"]), ms(m1["fan99"]),
                             ms(m1["fanmax"]), m1["jobs"], pct(cpu),
                             "-" if rss is None else "%.0f" % rss, pct(loadgen_cpu(P("l1-cpu.txt")))))
    if os.path.exists(P("s1-status.jsonl")):
        s1 = port_figures(read_jsonl(P("s1-status.jsonl")))
        cpu, rss = usage(P("s1-usage.txt"))
        print("| %s miners x 1 share/min | %s | %s / %s | %s / %s (%d) | - | %s | %s MiB | %s |"
              % (sminers, ms(s1["p50"]), ms(s1["p99"]), ms(s1["p99max"]), ms(s1["fan99"]),
                 ms(s1["fanmax"]), s1["jobs"], pct(cpu), "-" if rss is None else "%.0f" % rss,
                 pct(loadgen_cpu(P("sl1-cpu.txt")))))
        lg2 = loadgen_row(P("lg2.log"))
        if lg2:
            print("| %s worker streams (%.0f grants/s) | - | - | - | %s / %s | %s | %.0f MiB | %s |"
                  % (sworkers, lg2["grants"], ms(lg2["p50"]), ms(lg2["p99"]), pct(lg2["cpu"]),
                     lg2["rss"], pct(loadgen_cpu(P("lg2-cpu.txt")))))
        s3 = port_figures(read_jsonl(P("s3-status.jsonl")))
        cpu, rss = usage(P("s3-usage.txt"))
        lg3 = loadgen_row(P("lg3.log")) or {}
        gen = [x for x in (loadgen_cpu(P("sl3-cpu.txt")), loadgen_cpu(P("lg3-cpu.txt"))) if x]
        print("| both: %s miners + %s worker streams (%s grants/s) | %s | %s / %s | %s / %s (%d) | "
              "%s / %s | %s | %s MiB | %s |"
              % (sminers, sworkers, "%.0f" % lg3["grants"] if lg3 else "-", ms(s3["p50"]),
                 ms(s3["p99"]), ms(s3["p99max"]), ms(s3["fan99"]), ms(s3["fanmax"]), s3["jobs"],
                 ms(lg3.get("p50")), ms(lg3.get("p99")), pct(cpu),
                 "-" if rss is None else "%.0f" % rss, " + ".join(pct(x) for x in gen) or "-"))
    if l1:
        print()
        print("miners' side (phase 1): accepted %s, rejected %s %s, submit round trip p50 %s p99 %s, "
              "clean notify spread across connections p99 %s, hash rate %.2f MH/s"
              % (l1.get("accepted"), l1.get("rejected"), l1.get("rejected_by_code"),
                 ms(l1.get("rtt_p50_ms")), ms(l1.get("rtt_p99_ms")),
                 ms(l1.get("clean_spread_p99_ms")), l1.get("hash_rate", 0) / 1e6))


if __name__ == "__main__":
    main()
