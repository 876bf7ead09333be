#!/usr/bin/env bash
# The README's main job: a whole synth cluster on this machine, on loopback.
# Starts synth-pool (a local Stratum pool), synth-master (pointed at it) and one synth-worker
# (pointed at the master) from build/release. Every 5 s it prints the cluster hashrate (as the
# worker reports it, and as the pool credits accepted work) and the pool's accepted and rejected
# shares. When the time is up (or on Ctrl-C) it stops every process it started, by PID, and
# prints a summary.
#
#   tests/bench/demo.sh [--seconds N] [--threads N] [--difficulty D] [--devices cpu|cuda|all]
#                       [--version-mask HEX] [--build DIR]
#
# Defaults: 60 s, one CPU hashing thread per core, pool difficulty 0.01 (about two shares a
# second at 100 MH/s), the pool's version-rolling mask (BIP 310; 0 refuses rolling),
# build/release.
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=60 threads=0 difficulty=0.01 devices=cpu version_mask=
BUILD=${BUILD:-build/release}
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --difficulty) difficulty=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    --version-mask) version_mask=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done
source tests/cluster/lib.sh
synth_init
for b in SYNTH_POOL SYNTH_MASTER SYNTH_WORKER; do
  if [ -z "${!b:-}" ]; then
    echo "demo.sh: ${b#SYNTH_} binary not found under $BUILD;" \
         "build first: cmake --preset release && cmake --build --preset release" >&2
    exit 2
  fi
done

pool_port=$(free_port)
master_port=$(free_port)
stats="$SYNTH_TMP/pool_stats.json"
echo "== synth demo: pool 127.0.0.1:$pool_port (difficulty $difficulty)," \
     "master 127.0.0.1:$master_port, one worker (--devices $devices), ${seconds}s"
start_bg pool "$SYNTH_POOL" --listen "127.0.0.1:$pool_port" --difficulty "$difficulty" \
  --stats_json "$stats" ${version_mask:+--version_mask "$version_mask"}
wait_port "$pool_port" 15 || fail "synth-pool did not start listening"
start_bg master "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$pool_port" --user demo \
  --pass x --listen "127.0.0.1:$master_port" --status-every 5
wait_port "$master_port" 15 || fail "synth-master did not start listening"
start_bg worker "$SYNTH_WORKER" --master "127.0.0.1:$master_port" --devices "$devices" \
  --threads "$threads" --id demo-worker --status-seconds 5

# One status row: the master's cluster hashrate (reported by workers, and verified from their
# shares), the worker's own, and what the pool accepted and credited.
row() {
  python3 - "$SYNTH_TMP" "$stats" "$1" "$difficulty" <<'PY'
import json, os, re, sys
tmp, stats, elapsed, diff = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
def last(path, pattern):
    found = None
    try:
        for line in open(path, errors="replace"):
            m = re.search(pattern, line)
            if m:
                found = m
    except OSError:
        pass
    return found
m = last(os.path.join(tmp, "master.log"), r"cluster ([0-9.]+ \S+) reported, ([0-9.]+ \S+) verified")
cluster = "%s (verified %s)" % (m.group(1), m.group(2)) if m else "-"
w = last(os.path.join(tmp, "worker.log"), r"\| ([0-9.]+) MH/s \[")
worker = w.group(1) + " MH/s" if w else "-"
acc = rej = credited = "-"
try:
    s = json.load(open(stats))
    acc, rej = s.get("accepted", "-"), s.get("rejected", "-")
    work = s.get("accepted_work", acc * diff if isinstance(acc, (int, float)) else None)
    if work is not None and elapsed > 0:
        credited = "%.2f MH/s" % (work * 4294967296.0 / elapsed / 1e6)
except (OSError, ValueError):
    pass
print("%5.0fs | cluster %-28s | worker %-12s | pool accepted %5s rejected %3s credited %s"
      % (elapsed, cluster, worker, acc, rej, credited))
PY
}

start=$(date +%s)
while :; do
  sleep 5
  now=$(date +%s)
  elapsed=$((now - start))
  for name in pool master worker; do
    alive "$(pid_of $name)" || fail "synth-$name exited early"
  done
  row "$elapsed"
  [ "$elapsed" -ge "$seconds" ] && break
done

echo "== stopping (worker, master, pool)"
stop_pid "$(pid_of worker)" TERM
stop_pid "$(pid_of master)" TERM
stop_pid "$(pid_of pool)" TERM
echo "pool:   accepted $(json_get "$stats" accepted) rejected $(json_get "$stats" rejected)" \
     "(accepted difficulty $(json_get "$stats" accepted_work))"
summary=$(grep -E '^\{"' "$SYNTH_TMP/worker.log" | tail -n 1)
[ -n "$summary" ] && echo "worker: $summary"
echo "every process this demo started has been stopped"
