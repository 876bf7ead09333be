#!/usr/bin/env bash
# Cluster benchmark (the cluster figures of docs/BENCHMARKS.md) on this machine, in one run. Prints a markdown table; every
# process it starts is stopped by PID.
#   1. efficiency: synth-pool (30 s jobs) + synth-master + 2 workers x 1 thread for SECONDS, at a
#      difficulty giving thousands of shares; accepted work = the pool's accepted difficulty x
#      2^32 / time, reported = the workers' own hash counts / time; both against
#      `synth-worker --benchmark --threads 2` run just before and just after (mean of the two).
#   2. clean-job switch: a clean job every second for SWITCH_SECONDS; per job, the pool's notify
#      (seen by stratum_observer.py, a passive miner on the same pool) -> the later of the two
#      workers' first batch of that job (worker log "first batch ... at_unix_us"): p50/p99.
#   3. share path: found on a worker -> submitted upstream, the master's own p50/p99.
#
#   tests/bench/cluster_bench.sh [--seconds 60] [--switch-seconds 20] [--difficulty 0.0005]
#                                [--build build/release]
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=60 switch_seconds=20 difficulty=0.0005
BUILD=${BUILD:-build/release}
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --switch-seconds) switch_seconds=$2; shift 2 ;;
    --difficulty) difficulty=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "cluster_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
source tests/cluster/lib.sh
synth_init
require_bins SYNTH_POOL SYNTH_MASTER SYNTH_WORKER

# The core the workers will run (the dispatcher's pick), benchmarked alone: --benchmark with no
# --hash-core would time every core in turn and spread the baseline over minutes of load.
BASE_WORKER=${SYNTH_BASELINE_WORKER:-$SYNTH_WORKER}
"$BASE_WORKER" --benchmark --json --threads 1 --seconds 0.2 >"$SYNTH_TMP/probe.json" \
  2>/dev/null || fail "synth-worker --benchmark failed"
core=$(json_get "$SYNTH_TMP/probe.json" selected_cpu_impl) || fail "no selected_cpu_impl"

baseline() {
  "$BASE_WORKER" --benchmark --json --threads 2 --seconds 10 --hash-core "$core" \
    >"$SYNTH_TMP/$1.json" 2>"$SYNTH_TMP/$1.err" || fail "synth-worker --benchmark failed"
}

# cluster PHASE POOL_ARGS... : pool + master + 2 workers for the phase's seconds.
cluster() {
  local phase=$1 secs=$2
  shift 2
  local pool_port master_port w pid
  pool_port=$(free_port)
  master_port=$(free_port)
  start_bg "$phase-pool" "$SYNTH_POOL" --listen "127.0.0.1:$pool_port" \
    --difficulty "$difficulty" --stats_json "$SYNTH_TMP/$phase-pool.json" "$@"
  wait_port "$pool_port" 15 || fail "synth-pool did not listen"
  start_bg "$phase-observer" python3 tests/bench/stratum_observer.py 127.0.0.1 "$pool_port"
  start_bg "$phase-master" "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$pool_port" \
    --user bench --pass x --listen "127.0.0.1:$master_port" --status-every 5
  wait_port "$master_port" 15 || fail "synth-master did not listen"
  for w in w1 w2; do
    start_bg "$phase-$w" "$SYNTH_WORKER" --master "127.0.0.1:$master_port" --devices cpu \
      --threads 1 --id "$w" --run-seconds "$secs" --status-seconds 5
  done
  for w in w1 w2; do
    pid=$(pid_of "$phase-$w")
    while alive "$pid"; do sleep 0.5; done
  done
  sleep 1.5  # The pool writes its stats file every second.
  stop_pid "$(pid_of "$phase-master")" TERM
  stop_pid "$(pid_of "$phase-observer")" TERM
  stop_pid "$(pid_of "$phase-pool")" TERM
}

echo "== baseline 1: synth-worker --benchmark --threads 2 --seconds 10 --hash-core $core"
baseline baseline1
echo "== efficiency: pool (difficulty $difficulty, 30 s jobs) + master + 2 workers x 1 thread, ${seconds}s"
cluster eff "$seconds" --job_interval 30
echo "== baseline 2"
baseline baseline2
echo "== clean-job switch: a clean job every second, ${switch_seconds}s"
cluster switch "$switch_seconds" --job_interval 1 --clean_every 1

python3 - "$SYNTH_TMP" "$difficulty" <<'PY'
import json, os, re, statistics, sys
tmp, diff = sys.argv[1], float(sys.argv[2])
P = lambda *a: os.path.join(tmp, *a)

def last_json(path):
    try:
        lines = open(path, errors="replace").read().splitlines()
    except OSError:
        return {}
    for line in reversed(lines):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    return {}

def pctl(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]

b1 = last_json(P("baseline1.json")).get("total_hashes_per_second", 0)
b2 = last_json(P("baseline2.json")).get("total_hashes_per_second", 0)
base = (b1 + b2) / 2
workers = [last_json(P("eff-%s.log" % w)) for w in ("w1", "w2")]
secs = max([w.get("seconds", 0) for w in workers] + [1e-9])
reported = sum(w.get("hashes", 0) for w in workers) / secs
pool = last_json(P("eff-pool.json"))
acc, rej = pool.get("accepted", 0), pool.get("rejected", 0)
work = pool.get("accepted_work", acc * diff)
accepted = work * 4294967296.0 / secs
stale = sum(w.get("shares_stale", 0) for w in workers)
ratio = lambda x: "%.1f%%" % (100.0 * x / base) if base else "-"

print()
print("| figure | value | vs benchmark |")
print("| --- | --- | --- |")
print("| synth-worker --benchmark, 2 threads, %s (before / after) | %.2f / %.2f MH/s | 100%% |"
      % (last_json(P("baseline1.json")).get("selected_cpu_impl", "?"), b1 / 1e6, b2 / 1e6))
print("| cluster reported, 2 workers x 1 thread, %.0f s | %.2f MH/s | %s |"
      % (secs, reported / 1e6, ratio(reported)))
print("| cluster accepted work, %d shares x %g x 2^32 / %.0f s | %.2f MH/s | %s |"
      % (acc, diff, secs, accepted / 1e6, ratio(accepted)))
if acc:
    print("| accepted-work noise, 1 sigma = 1/sqrt(shares) | %.1f%% | |" % (100.0 / acc ** 0.5))
print("| pool rejected / worker-side stale | %s / %s | |" % (rej, stale))

# Clean-job switch.
notify = {}
for line in open(P("switch-observer.log"), errors="replace"):
    m = re.match(r"notify (\S+) clean=1 unix_us (\d+)", line)
    if m:
        notify[m.group(1)] = int(m.group(2))
first = {}
for w in ("w1", "w2"):
    for line in open(P("switch-%s.log" % w), errors="replace"):
        m = re.search(r"job (\S+) first batch on \S+ at_unix_us (\d+)", line)
        if m:
            job = m.group(1).split("/", 1)[-1]
            first.setdefault(job, {}).setdefault(w, int(m.group(2)))
lat = [(max(first[j].values()) - t) / 1000.0 for j, t in notify.items()
       if len(first.get(j, {})) == 2]
if len(lat) >= 2:
    lat = lat[1:]  # The first job starts the cluster; it is not a switch.
    print("| clean-job switch, pool notify -> both workers hashing (%d jobs) | p50 %.2f ms, p99 %.2f ms, max %.2f ms | |"
          % (len(lat), statistics.median(lat), pctl(lat, 0.99), max(lat)))
else:
    print("| clean-job switch | not measured (%d notifies, %d jobs started) | |" % (len(notify), len(first)))

# Share path, the master's figure.
path = None
for phase in ("switch", "eff"):  # The efficiency run, with more shares, wins.
    for line in open(P("%s-master.log" % phase), errors="replace"):
        m = re.search(r"share path p50 ([0-9.]+) ms p99 ([0-9.]+) ms \((\d+)\)", line)
        if m:
            path = (phase,) + m.groups()
if path:
    print("| share path, found on worker -> submitted upstream (%s run, %s shares) | p50 %s ms, p99 %s ms | |"
          % (path[0], path[3], path[1], path[2]))
else:
    print("| share path | not measured (no master status line with it) | |")
PY
