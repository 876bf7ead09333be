#!/usr/bin/env bash
# The master's Stratum port under load (docs/HUB.md, figures in docs/BENCHMARKS.md). Prints a
# markdown table; every process it starts is stopped by PID. The master runs on core 0, the load
# generators on core 1 (taskset), against the in-process synthetic pool (synthetic://), so what
# is measured is the master.
#
#   1. port: MINERS simulated miners (synth-stratum-miner, one process, real hashing) at one
#      share/s each, a clean job every 10 s, SECONDS measured: the share path (submit read →
#      handed to the pool connection, the port's own p50/p99 over 2 s windows), the clean-job
#      fan-out over every connection (p50/p99/max per job), master CPU and RSS.
#   2. scale (with --scale): 10,000 miners at one share a minute; then 10,000 simulated
#      synth-worker streams (synth-loadgen, leasing 1 s of work at a time); then both at once:
#      RSS, CPU, lease round-trip and share path p99, and the load generators' CPU (which
#      process saturates first).
#
#   tests/bench/hub_bench.sh [--miners 1000] [--seconds 60] [--scale] [--scale-miners 10000]
#                            [--scale-workers 10000] [--build build/release]
set -uo pipefail
cd "$(dirname "$0")/../.."
miners=1000 seconds=60 scale=0 scale_miners=10000 scale_workers=10000
BUILD=${BUILD:-build/release}
while [ $# -gt 0 ]; do
  case "$1" in
    --miners) miners=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --scale) scale=1; shift ;;
    --scale-miners) scale_miners=$2; shift 2 ;;
    --scale-workers) scale_workers=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "hub_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
source tests/cluster/lib.sh
synth_init
SYNTH_MINER=$(find_bin synth-stratum-miner) || true
SYNTH_LOADGEN=$(find_bin synth-loadgen) || true
export -n SYNTH_MINER SYNTH_LOADGEN 2>/dev/null || true
require_bins SYNTH_MASTER SYNTH_CTL SYNTH_MINER SYNTH_LOADGEN
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# taskset execs the program, so the PID start_bg records is the program's.
PIN0=() PIN1=()
if command -v taskset >/dev/null; then PIN0=(taskset -c 0) PIN1=(taskset -c 1); fi

# cpu_s PID: user+system seconds of PID so far.
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15) / t}' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_mib() { awk '/VmRSS/ {print $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo 0; }

# start_master NAME DIFF SHARE_RATE_PER_MIN: master on core 0 with a synthetic pool of DIFF
# (a clean job every 10 s) and the Stratum port; sets MP (gRPC) and SP (Stratum) ports.
start_master() {
  MP=$(free_port)
  SP=$(free_port)
  start_bg "$1" "${PIN0[@]}" "$SYNTH_MASTER" --pool "synthetic://$2/10/clean" --listen "127.0.0.1:$MP" \
    --http-listen "" --status-every 10 --stratum-listen "127.0.0.1:$SP" \
    --stratum-max-connections 20000 --stratum-share-rate "$3" --stratum-min-difficulty 1e-9
  wait_port "$MP" 15 || fail "synth-master did not listen"
  wait_port "$SP" 15 || fail "the Stratum port did not listen"
}

# sample NAME SECONDS: every 2 s, the master's status (JSON lines in NAME-status.jsonl), and its
# CPU seconds and RSS at the start and the end (NAME-usage.txt).
sample() {
  local name=$1 secs=$2 pid i
  pid=$(pid_of "$name")
  echo "$(date +%s.%N) $(cpu_s "$pid")" >"$SYNTH_TMP/$name-usage.txt"
  for i in $(seq 1 $((secs / 2))); do
    sleep 2
    "$SYNTH_CTL" --master "127.0.0.1:$MP" -o json status >>"$SYNTH_TMP/$name-status.jsonl" 2>/dev/null
    echo >>"$SYNTH_TMP/$name-status.jsonl"
  done
  echo "$(date +%s.%N) $(cpu_s "$pid") $(rss_mib "$pid")" >>"$SYNTH_TMP/$name-usage.txt"
}

# watch_cpu NAME: every 2 s while NAME runs, "time cpu_seconds" of it into NAME-cpu.txt (a load
# generator's share of its core: which process saturates first).
watch_cpu() {
  local name=$1 pid
  pid=$(pid_of "$name")
  ( while alive "$pid"; do echo "$(date +%s.%N) $(cpu_s "$pid")" >>"$SYNTH_TMP/$name-cpu.txt"; sleep 2; done ) &
}

# wait_connected N SECONDS: until the port has N miners.
wait_connected() {
  local n=$1 secs=$2 i c
  for i in $(seq 1 $((secs * 2))); do
    c=$("$SYNTH_CTL" --master "127.0.0.1:$MP" -o json status 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin).get("stratum_port",{}).get("connections",0))' 2>/dev/null)
    [ "${c:-0}" -ge "$n" ] && return 0
    sleep 0.5
  done
  return 1
}

# Phase 1: MINERS at one share/s. Pool difficulty = rate / 2^32 shares/s per miner.
rate=2000
diff=$(python3 -c "print($rate / 2**32)")
echo "== port: $miners miners at 1 share/s (rate $rate H/s each, difficulty $diff), ${seconds}s"
start_master m1 "$diff" 60
start_bg l1 "${PIN1[@]}" "$SYNTH_MINER" --pool "127.0.0.1:$SP" --connections "$miners" --rate "$rate" \
  --connect_rate 1000 --stats_json "$SYNTH_TMP/l1.json"
watch_cpu l1
wait_connected "$miners" 60 || fail "not every miner connected"
sleep 12  # Past a clean job, vardiff settled.
sample m1 "$seconds"
stop_pid "$(pid_of l1)" TERM
stop_pid "$(pid_of m1)" TERM

if [ "$scale" = 1 ]; then
  srate=72  # One share a minute at difficulty srate*60/2^32.
  sdiff=$(python3 -c "print($srate * 60 / 2**32)")
  echo "== scale: $scale_miners miners at 1 share/min"
  start_master s1 "$sdiff" 1
  start_bg sl1 "${PIN1[@]}" "$SYNTH_MINER" --pool "127.0.0.1:$SP" --connections "$scale_miners" \
    --rate "$srate" --connect_rate 2000 --tick_ms 100 --stats_json "$SYNTH_TMP/sl1.json"
  watch_cpu sl1
  wait_connected "$scale_miners" 120 || fail "not every miner connected"
  sleep 12
  sample s1 "$seconds"
  stop_pid "$(pid_of sl1)" TERM
  stop_pid "$(pid_of s1)" TERM

  echo "== scale: $scale_workers simulated synth-worker streams"
  start_master s2 "$sdiff" 1
  start_bg lg2 "${PIN1[@]}" "$SYNTH_LOADGEN" --master="127.0.0.1:$MP" --workers="$scale_workers" \
    --seconds="$seconds" --master_pid="$(pid_of s2)"
  watch_cpu lg2
  while alive "$(pid_of lg2)"; do sleep 1; done
  stop_pid "$(pid_of s2)" TERM

  echo "== scale: both at once"
  start_master s3 "$sdiff" 1
  start_bg sl3 "${PIN1[@]}" "$SYNTH_MINER" --pool "127.0.0.1:$SP" --connections "$scale_miners" \
    --rate "$srate" --connect_rate 2000 --tick_ms 100 --stats_json "$SYNTH_TMP/sl3.json"
  watch_cpu sl3
  wait_connected "$scale_miners" 120 || fail "not every miner connected"
  start_bg lg3 "${PIN1[@]}" "$SYNTH_LOADGEN" --master="127.0.0.1:$MP" --workers="$scale_workers" \
    --seconds="$seconds" --master_pid="$(pid_of s3)"
  watch_cpu lg3
  sleep 5
  sample s3 "$((seconds - 10))"
  while alive "$(pid_of lg3)"; do sleep 1; done
  stop_pid "$(pid_of sl3)" TERM
  stop_pid "$(pid_of s3)" TERM
fi

python3 tests/bench/hub_bench_report.py "$SYNTH_TMP" "$miners" "$scale_miners" "$scale_workers"
