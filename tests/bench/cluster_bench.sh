#!/usr/bin/env bash
# Cluster benchmark (issue 5's bars), on this machine, in one run:
#   1. baseline: `synth-worker --benchmark` on the same cores (2 threads);
#   2. cluster: synth-pool + synth-master + 2 workers x 1 thread for SECONDS, at a pool
#      difficulty giving hundreds of shares; accepted work = accepted shares x difficulty x 2^32
#      / time, reported = the workers' own hash counts / time; both as a ratio of the baseline;
#   3. clean-job switch: a clean job every 2 s; per job, pool notify -> each worker's first batch
#      of it (worker log "first batch ... at_unix_us"), p50/p99, when the pool logs notify times;
#   4. share path: found on a worker -> submitted upstream, from the master's figures when it
#      prints them.
# Prints a table; every process it starts is stopped by PID.
#
#   tests/bench/cluster_bench.sh [--seconds 60] [--difficulty 0.0005] [--build build/release]
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=60 difficulty=0.0005
BUILD=${BUILD:-build/release}
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --difficulty) difficulty=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "cluster_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
source tests/cluster/lib.sh
synth_init
require_bins SYNTH_POOL SYNTH_MASTER SYNTH_WORKER

echo "== baseline: synth-worker --benchmark --threads 2 --seconds 10"
"$SYNTH_WORKER" --benchmark --json --threads 2 --seconds 10 >"$SYNTH_TMP/baseline.json" \
  2>"$SYNTH_TMP/baseline.log" || fail "benchmark failed"
baseline=$(json_get "$SYNTH_TMP/baseline.json" total_hashes_per_second) || fail "no baseline rate"

pool_port=$(free_port)
master_port=$(free_port)
echo "== cluster: pool (difficulty $difficulty, clean job every 2 s) + master + 2 workers x 1 thread, ${seconds}s"
start_bg pool "$SYNTH_POOL" --listen "127.0.0.1:$pool_port" --difficulty "$difficulty" \
  --stats-json "$SYNTH_TMP/pool_stats.json" --job-interval 2
wait_port "$pool_port" 15 || fail "synth-pool did not listen"
start_bg master "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$pool_port" --user bench \
  --pass x --listen "127.0.0.1:$master_port" --status-every 5
wait_port "$master_port" 15 || fail "synth-master did not listen"
for w in w1 w2; do
  start_bg "$w" "$SYNTH_WORKER" --master "127.0.0.1:$master_port" --devices cpu --threads 1 \
    --id "$w" --run-seconds "$seconds" --status-seconds 5
done
for w in w1 w2; do
  pid=$(pid_of $w)
  while alive "$pid"; do sleep 0.5; done
done
sleep 1  # Let the last verdicts land in the pool's stats.
stop_pid "$(pid_of master)" TERM
stop_pid "$(pid_of pool)" TERM

python3 - "$SYNTH_TMP" "$baseline" "$difficulty" <<'PY'
import json, os, re, statistics, sys
tmp, baseline, diff = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])

def last_json(path):
    for line in reversed(open(path, errors="replace").read().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    return {}

workers = [last_json(os.path.join(tmp, w + ".log")) for w in ("w1", "w2")]
secs = max(w.get("seconds", 0) for w in workers) or 1
reported = sum(w.get("hashes", 0) for w in workers) / secs
try:
    pool = json.load(open(os.path.join(tmp, "pool_stats.json")))
except (OSError, ValueError):
    pool = {}
acc = pool.get("accepted", pool.get("shares_accepted", 0))
rej = pool.get("rejected", pool.get("shares_rejected", 0))
work = pool.get("accepted_difficulty", pool.get("accepted_work", acc * diff))
accepted_rate = work * 4294967296.0 / secs

def pct(x):
    return "%.1f%%" % (100.0 * x / baseline) if baseline else "-"

print()
print("| figure | value | vs benchmark |")
print("| --- | --- | --- |")
print("| synth-worker --benchmark, 2 threads | %.2f MH/s | 100%% |" % (baseline / 1e6))
print("| cluster reported (2 workers x 1 thread) | %.2f MH/s | %s |" % (reported / 1e6, pct(reported)))
print("| cluster accepted work (%d shares x %g x 2^32 / %.0f s) | %.2f MH/s | %s |"
      % (acc, diff, secs, accepted_rate / 1e6, pct(accepted_rate)))
if acc:
    print("| accepted-work noise (1 sigma, 1/sqrt(shares)) | %.1f%% | |" % (100.0 / acc ** 0.5))
print("| pool rejected | %s | |" % rej)

# Clean-job switch: the pool's notify time of each job -> each worker's first batch of it.
starts = {}  # pool job id -> {worker: unix_us}
for w in ("w1", "w2"):
    for line in open(os.path.join(tmp, w + ".log"), errors="replace"):
        m = re.search(r"job (\S+) first batch on \S+ at_unix_us (\d+)", line)
        if m:
            pool_job = m.group(1).split("/", 1)[-1]
            starts.setdefault(pool_job, {}).setdefault(w, int(m.group(2)))
notify = {}
for line in open(os.path.join(tmp, "pool.log"), errors="replace"):
    m = re.search(r"notify\S*\s.*?job[_ ]?(?:id)?[=: ]+\"?([0-9a-fA-F]+)\"?.*?unix_us[=: ]+(\d+)", line)
    if m:
        notify[m.group(1)] = int(m.group(2))
lat = []
for job, t0 in notify.items():
    ws = starts.get(job, {})
    if len(ws) == 2:
        lat.append((max(ws.values()) - t0) / 1000.0)
if lat:
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(round(0.99 * (len(lat) - 1))))]
    print("| clean-job switch, notify -> every worker hashing (%d jobs) | p50 %.1f ms, p99 %.1f ms | |"
          % (len(lat), statistics.median(lat), p99))
else:
    print("| clean-job switch | not measured (pool log has no notify unix_us lines) | |")

# Share path: the master's own figure (found on a worker -> submitted upstream).
path = None
for line in open(os.path.join(tmp, "master.log"), errors="replace"):
    m = re.search(r"share path p50 ([0-9.]+) ms p99 ([0-9.]+) ms \((\d+)\)", line)
    if m:
        path = m
if path:
    print("| share path, found on worker -> submitted upstream (%s shares) | p50 %s ms, p99 %s ms | |"
          % (path.group(3), path.group(1), path.group(2)))
else:
    print("| share path | not measured (no master status line with it) | |")
PY
