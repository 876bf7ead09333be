#!/usr/bin/env bash
# Tuning convergence (docs/BENCHMARKS.md "Tuning convergence"): from a worker joining to every
# work ratio within 5% of its steady state. Prints markdown tables; every process it starts is
# stopped by PID.
#   sim   (default) synth_tuning_bench: master/lease's Tuning on a fake clock with workers of
#         rates 1:10:100 (master/lease/convergence.h), many seeds; then synth_startup_bench (when
#         built): a GPU joining a CPU worker (1:340) whose start is slow, reported through the
#         worker's TelemetryWindow and, as the baseline, a window of its last 30 batches
#         (tests/tuning/startup_sim.h). Needs no pool or device.
#   real  synth-pool + synth-master + a CPU worker (1 thread) that runs alone for --settle s,
#         then a second worker with --devices DEV joins (cuda on a GPU host: CPU + GPU); the
#         work ratios are read from `synthctl -o json workers` and each worker's /metrics every
#         0.25 s for --seconds (tests/bench/tuning_bench.py). Steady state = each ratio's mean
#         over the last third; settled = the joiner's Hello until every ratio stays within 5% of
#         it. A timeline of the first minute after the join shows the joiner's rate as the master
#         credits it, as its worker's window reports it and as its hash counter shows it (the
#         device's real rate), with GPU temperature and power: a slow settle with a real rate
#         that still moves is the device, one with a steady real rate is the report.
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
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "tuning_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores;" \
  "$(uptime | sed 's/.*load/load/')"

if [ "$mode" = sim ]; then
  bench=$(find "$BUILD" -type f -name synth_tuning_bench -perm -u+x | head -n 1)
  [ -n "$bench" ] || { echo "synth_tuning_bench not built under $BUILD" >&2; exit 77; }
  echo "== simulated: $runs seeds, the fastest worker finds $shares share(s)/s, telemetry noise $noise"
  "$bench" --runs "$runs" --shares_per_s "$shares" --telemetry_noise "$noise" || exit $?
  startup=$(find "$BUILD" -type f -name synth_startup_bench -perm -u+x | head -n 1)
  if [ -n "$startup" ]; then
    echo
    echo "== simulated: a GPU joins a CPU worker (rates 1:340, pool difficulty 2), its start slow" \
      "as each row says (assumed, not measured); $runs seeds"
    "$startup" --runs "$runs"
  fi
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
BASE_HTTP=$(free_port)
JOINER_HTTP=$(free_port)
start_bg base "$SYNTH_WORKER" --master "127.0.0.1:$MASTER_PORT" --devices cpu --threads 1 \
  --id base-cpu --status-seconds 5 --http-listen "127.0.0.1:$BASE_HTTP"
echo "== real: base-cpu (1 thread) alone for ${settle}s, then joiner (--devices $devices" \
  "--threads $threads) for ${seconds}s; pool difficulty $difficulty"
sleep "$settle"
start_bg joiner "$SYNTH_WORKER" --master "127.0.0.1:$MASTER_PORT" --devices "$devices" \
  --threads "$threads" --id joiner --status-seconds 5 --http-listen "127.0.0.1:$JOINER_HTTP"
t0=$(date +%s.%N)
samples=$SYNTH_TMP/samples.jsonl
python3 tests/bench/tuning_bench.py sample "$samples" "$t0" "$seconds" "$SYNTH_CTL" \
  "127.0.0.1:$MASTER_PORT" "base-cpu=http://127.0.0.1:$BASE_HTTP/metrics" \
  "joiner=http://127.0.0.1:$JOINER_HTTP/metrics"
alive "$(pid_of joiner)" || fail "the joiner exited"
# The joiner must hash on what was asked: a worker that finds no GPU falls back to its CPU.
case "$devices" in cuda*) kind=cuda ;; cpu) kind=cpu ;; *) kind="" ;; esac
python3 tests/bench/tuning_bench.py report "$samples" joiner $kind
