#!/usr/bin/env bash
# Tuning convergence (docs/BENCHMARKS.md "Tuning convergence"): from a worker joining to every
# work ratio within 5% of its steady state. Prints markdown tables; every process it starts is
# stopped by PID.
#   sim   (default) synth_tuning_bench: master/lease's Tuning on a fake clock with workers of
#         rates 1:10:100 (master/lease/convergence.h), many seeds. Needs no pool or device.
#   real  synth-pool + synth-master + a CPU worker (1 thread) that runs alone for --settle s,
#         then a second worker with --devices DEV joins (cuda on a GPU host: CPU + GPU); the
#         workers' work ratios are read from `synthctl -o json workers` every 0.25 s for
#         --seconds. Steady state = each ratio's mean over the last third; settled = the join
#         until every ratio stays within 5% of it.
#
#   tests/bench/tuning_bench.sh [sim] [--runs 200] [--shares-per-s 1] [--noise 0.01]
#   tests/bench/tuning_bench.sh real [--devices cuda|cpu] [--threads N] [--seconds 60]
#                                    [--settle 20] [--difficulty D] [--build build/release]
set -uo pipefail
cd "$(dirname "$0")/../.."
mode=sim
[ $# -gt 0 ] && [[ "$1" != --* ]] && { mode=$1; shift; }
runs=200 shares=1 noise=0.01 devices=cpu threads=1 seconds=60 settle=20 difficulty=""
BUILD=${BUILD:-build/release}
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --shares-per-s) shares=$2; shift 2 ;;
    --noise) noise=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --settle) settle=$2; shift 2 ;;
    --difficulty) difficulty=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "tuning_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores;" \
  "$(uptime | sed 's/.*load/load/')"

if [ "$mode" = sim ]; then
  bench=$(find "$BUILD" -type f -name synth_tuning_bench -perm -u+x | head -n 1)
  [ -n "$bench" ] || { echo "synth_tuning_bench not built under $BUILD" >&2; exit 77; }
  echo "== simulated: $runs seeds, the fastest worker finds $shares share(s)/s, telemetry noise $noise"
  "$bench" --runs "$runs" --shares_per_s "$shares" --telemetry_noise "$noise"
  exit $?
fi
[ "$mode" = real ] || { echo "tuning_bench.sh: mode must be sim or real" >&2; exit 2; }

source tests/cluster/lib.sh
synth_init
require_bins SYNTH_POOL SYNTH_MASTER SYNTH_WORKER SYNTH_CTL
# About one share a second from the joining worker: a CPU thread or a GPU.
[ -n "$difficulty" ] || { [ "$devices" = cpu ] && difficulty=0.002 || difficulty=2; }
POOL_PORT=$(free_port)
MASTER_PORT=$(free_port)
start_bg pool "$SYNTH_POOL" --listen "127.0.0.1:$POOL_PORT" --difficulty "$difficulty"
wait_port "$POOL_PORT" 15 || fail "synth-pool did not listen"
start_bg master "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$POOL_PORT" --user tune \
  --pass x --listen "127.0.0.1:$MASTER_PORT" --http-listen= --status-every 5
wait_port "$MASTER_PORT" 15 || fail "synth-master did not listen"
start_bg base "$SYNTH_WORKER" --master "127.0.0.1:$MASTER_PORT" --devices cpu --threads 1 \
  --id base-cpu --status-seconds 5
echo "== real: base-cpu (1 thread) alone for ${settle}s, then joiner (--devices $devices" \
  "--threads $threads) for ${seconds}s; pool difficulty $difficulty"
sleep "$settle"
start_bg joiner "$SYNTH_WORKER" --master "127.0.0.1:$MASTER_PORT" --devices "$devices" \
  --threads "$threads" --id joiner --status-seconds 5
t0=$(date +%s.%N)
end=$(python3 -c "print($t0 + $seconds)")
samples=$SYNTH_TMP/samples.jsonl
while python3 -c "import sys,time; sys.exit(0 if time.time() < $end else 1)"; do
  "$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" -o json workers 2>/dev/null |
    python3 -c "import json,sys,time; d=json.load(sys.stdin); print(json.dumps({'t': time.time() - $t0, 'w': {w['worker_id']: [w.get('work_ratio', 0), w.get('reported_rate_hps', 0)] for w in d.get('workers', [])}}))" \
    >>"$samples" 2>/dev/null
  sleep 0.25
done
python3 - "$samples" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ids = sorted({i for r in rows for i in r["w"]})
full = [r for r in rows if all(i in r["w"] for i in ids)]
if len(ids) < 2 or not full:
    sys.exit("FAIL: the joiner never showed up in synthctl workers")
tail = full[len(full) * 2 // 3:]
steady = {i: sum(r["w"][i][0] for r in tail) / len(tail) for i in ids}
rate = {i: sum(r["w"][i][1] for r in tail) / len(tail) for i in ids}
def inside(r):
    return all(i in r["w"] and steady[i] > 0 and abs(r["w"][i][0] / steady[i] - 1) <= 0.05 for i in ids)
settled = None
for k, r in enumerate(rows):
    if all(inside(x) for x in rows[k:]):
        settled = r["t"]
        break
print("| worker | steady work ratio | reported rate | samples |")
print("| --- | --- | --- | --- |")
for i in ids:
    print("| %s | %.4f | %.2f MH/s | %d |" % (i, steady[i], rate[i] / 1e6, len(tail)))
print()
print("settled within 5%% of the steady state: %s after the join (goal <= 10 s)"
      % ("%.1f s" % settled if settled is not None else "never"))
PY
