#!/usr/bin/env python3
"""The real mode of tests/bench/tuning_bench.sh: samples a running cluster, then reports.

  tuning_bench.py sample OUT.jsonl T0 SECONDS SYNTHCTL MASTER NAME=METRICS_URL...
      Every 0.25 s until SECONDS after T0 (Unix seconds: when the joiner was started):
      `synthctl -o json workers` (work ratios, the master's smoothed reported rates) and each
      worker's /metrics (its own window rate, its hash counter, batch latency, GPU temperature
      and power), one JSON line per sample with "t" in seconds since T0.
  tuning_bench.py report OUT.jsonl JOINER [DEVICE_PREFIX]
      Fails unless one of the joiner's devices is named DEVICE_PREFIX... (cuda: a worker finding
      no GPU hashes on its CPU instead). Prints the steady-state table, the settle time (from the joiner's Hello, and from its
      process start) and a timeline of the first seconds after the join. The device's real
      rate comes from its hash counter (differences over 1 s), which no window smooths: a
      timeline whose real rate still drifts after 10 s says the device itself is not steady
      (clocks, temperature) rather than its report.
"""
import json
import re
import subprocess
import sys
import time
import urllib.request

METRIC = re.compile(r'^(synth_[a-z_]+)\{([^}]*)\} (\S+)$')
WANTED = {
    "synth_hashes_total": "hashes",
    "synth_hashrate_hashes_per_second": "window_hps",
    "synth_device_batch_latency_seconds": "batch_s",
    "synth_device_temperature_celsius": "temp_c",
    "synth_device_power_watts": "power_w",
}


def scrape(url):
    """Returns {device: {field: value}} from a worker's /metrics ({} when unreachable)."""
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            text = r.read().decode()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        m = METRIC.match(line)
        if not m or m.group(1) not in WANTED:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        out.setdefault(labels.get("device", ""), {})[WANTED[m.group(1)]] = float(m.group(3))
    return out


def workers(synthctl, master):
    """Returns {worker_id: [work_ratio, reported_hps, connected_s]} ({} on failure)."""
    try:
        p = subprocess.run([synthctl, "--master", master, "-o", "json", "workers"],
                           capture_output=True, text=True, timeout=5)
        d = json.loads(p.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return {}
    return {w["worker_id"]: [w.get("work_ratio", 0), w.get("reported_rate_hps", 0),
                             w.get("connected_s", 0)] for w in d.get("workers", [])}


def sample(out, t0, seconds, synthctl, master, targets):
    urls = dict(t.split("=", 1) for t in targets)
    with open(out, "a") as f:
        while time.time() - t0 < seconds:
            t = time.time() - t0
            row = {"t": t, "w": workers(synthctl, master),
                   "m": {name: scrape(url) for name, url in urls.items()}}
            f.write(json.dumps(row) + "\n")
            f.flush()
            time.sleep(max(0.0, 0.25 - (time.time() - t0 - t)))


def device_rates(rows, name):
    """Per row, the joiner's devices' summed hash counter rate over the preceding ~1 s."""
    pts = [(r["t"], sum(d.get("hashes", 0) for d in r["m"].get(name, {}).values()))
           for r in rows]
    rates = []
    for k, (t, h) in enumerate(pts):
        j = k
        while j > 0 and t - pts[j - 1][0] <= 1.0:
            j -= 1
        if j > 0:
            j -= 1
        dt = t - pts[j][0]
        rates.append((h - pts[j][1]) / dt if dt > 0 and h > 0 and pts[j][1] > 0 else None)
    return rates


def report(path, joiner, device_prefix=""):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    devices = sorted({d for r in rows for d in r["m"].get(joiner, {})})
    print("joiner's devices: %s" % (", ".join(devices) or "none seen"))
    if not any(d.startswith(device_prefix) for d in devices):
        sys.exit("FAIL: the joiner has no %s device (it hashed on: %s)"
                 % (device_prefix, ", ".join(devices) or "nothing"))
    ids = sorted({i for r in rows for i in r["w"]})
    full = [r for r in rows if all(i in r["w"] for i in ids)]
    if len(ids) < 2 or joiner not in ids or not full:
        sys.exit("FAIL: the joiner never showed up in synthctl workers")
    # The joiner's Hello: the first sample that has it, less its stream's age.
    first = next(r for r in rows if joiner in r["w"])
    hello = first["t"] - first["w"][joiner][2]
    tail = full[len(full) * 2 // 3:]
    tail_from = tail[0]["t"]
    steady = {i: sum(r["w"][i][0] for r in tail) / len(tail) for i in ids}
    rate = {i: sum(r["w"][i][1] for r in tail) / len(tail) for i in ids}
    real = device_rates(rows, joiner)
    real_tail = [x for r, x in zip(rows, real) if x is not None and r["t"] >= tail_from]
    real_steady = sum(real_tail) / len(real_tail) if real_tail else None

    def inside(r):
        return all(i in r["w"] and steady[i] > 0 and abs(r["w"][i][0] / steady[i] - 1) <= 0.05
                   for i in ids)

    settled = None
    for k, r in enumerate(rows):
        if all(inside(x) for x in rows[k:]):
            settled = r["t"]
            break
    print("| worker | steady work ratio | reported rate (master) | samples |")
    print("| --- | --- | --- | --- |")
    for i in ids:
        print("| %s | %.4f | %.2f MH/s | %d |" % (i, steady[i], rate[i] / 1e6, len(tail)))
    print()
    print("%d samples in %.1f s; the joiner's Hello came %.1f s after its process started"
          % (len(rows), rows[-1]["t"], hello))
    if settled is None:
        print("settled within 5% of the steady state: never (goal <= 10 s after the join)")
    else:
        print("settled within 5%% of the steady state: %.1f s after the join (Hello), %.1f s "
              "after the joiner's start (goal <= 10 s)" % (max(0.0, settled - hello), settled))
    timeline(rows, ids, joiner, hello, steady, real, real_steady, tail_from)


def timeline(rows, ids, joiner, hello, steady, real, real_steady, tail_from):
    """The first seconds after the join, one row per mark."""
    print()
    print("Joiner after its Hello: ratios against their steady state; its rate as the master "
          "credits it (smoothed reports), as its worker's window reports it, and as its hash "
          "counter shows it (the real rate, over the last 1 s); all relative to the steady "
          "state (the last third).")
    print()
    base = [i for i in ids if i != joiner]
    print("| after Hello | %s | master's rate | window's rate | real rate | batch | temp / power |"
          % " | ".join("%s ratio" % i for i in [joiner] + base))
    print("| --- | %s | --- | --- | --- | --- | --- |" % " | ".join("---" for _ in ids))
    win = [sum(d.get("window_hps", 0) for d in r["m"].get(joiner, {}).values()) for r in rows]
    tail = [k for k, r in enumerate(rows) if r["t"] >= tail_from]
    win_steady = sum(win[k] for k in tail) / len(tail)
    m_steady = sum(rows[k]["w"].get(joiner, [0, 0])[1] for k in tail) / len(tail)
    for mark in (0.5, 1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 45, 60, 90):
        k = next((k for k, r in enumerate(rows) if r["t"] - hello >= mark), None)
        if k is None:
            break
        r = rows[k]
        ratios = ["%+.1f%%" % (100 * (r["w"][i][0] / steady[i] - 1)) if i in r["w"] and steady[i]
                  else "-" for i in [joiner] + base]
        devs = r["m"].get(joiner, {}).values()
        batch = max((d.get("batch_s", 0) for d in devs), default=0)
        temp = " / ".join("%.0f C %.0f W" % (d["temp_c"], d.get("power_w", 0))
                          for d in devs if "temp_c" in d) or "-"
        print("| %.1f s | %s | %s | %s | %s | %.0f ms | %s |" % (
            r["t"] - hello, " | ".join(ratios),
            rel(r["w"].get(joiner, [0, 0])[1], m_steady), rel(win[k], win_steady),
            rel(real[k], real_steady), 1000 * batch, temp))


def rel(x, steady):
    if x is None or not steady:
        return "-"
    return "%+.1f%%" % (100 * (x / steady - 1))


def main(argv):
    if len(argv) >= 7 and argv[1] == "sample":
        sample(argv[2], float(argv[3]), float(argv[4]), argv[5], argv[6], argv[7:])
    elif len(argv) in (4, 5) and argv[1] == "report":
        report(*argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
