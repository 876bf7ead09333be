#!/usr/bin/env bash
# Master failover benchmark (the "master failover" figure of docs/BENCHMARKS.md): how long a
# farm with two independent masters mines nothing when the active one dies. Per repetition: a
# fresh master A (pool 1) and a worker (--master A,B, --master-failover-seconds as given) hash
# until pool 1 accepted a share through A; then A is SIGKILLed and the clock runs until master B
# (pool 2, running throughout) counts a share accepted by its pool. Prints a markdown table:
# p50 / p99 / min / max over the repetitions. Every process it starts is stopped by PID.
#
#   tests/bench/master_failover_bench.sh [--reps 20] [--failover-seconds 2]
#                                        [--difficulty 0.0002] [--build build/release]
#
# The time is the failover (--master-failover-seconds of failed reconnects to A), the move to B
# (Hello, Welcome, a lease), the hashing to the first share at the difficulty (exponential, mean
# 2^32 x difficulty / rate) and the submit to pool 2; it is read by polling B's synthctl status
# every 50 ms (resolution ~50-100 ms).
set -uo pipefail
cd "$(dirname "$0")/../.."
reps=20 failover=2 difficulty=0.0002
BUILD=${BUILD:-build/release}
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps=$2; shift 2 ;;
    --failover-seconds) failover=$2; shift 2 ;;
    --difficulty) difficulty=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "master_failover_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
source tests/cluster/lib.sh
synth_init
require_bins SYNTH_POOL SYNTH_MASTER SYNTH_WORKER SYNTH_CTL

# accepted ADDR: shares the master at ADDR counts accepted by its pool (-1 when unreachable).
accepted() {
  "$SYNTH_CTL" --master "$1" --timeout 1 -o json status 2>/dev/null |
    python3 -c 'import json,sys; print(int(json.load(sys.stdin)["shares"]["accepted"]))' \
      2>/dev/null || echo -1
}

pool1=$(free_port) pool2=$(free_port) master_b=$(free_port)
start_bg pool1 "$SYNTH_POOL" --listen "127.0.0.1:$pool1" --difficulty "$difficulty"
start_bg pool2 "$SYNTH_POOL" --listen "127.0.0.1:$pool2" --difficulty "$difficulty"
wait_port "$pool1" 15 && wait_port "$pool2" 15 || fail "a pool did not listen"
start_bg master_b "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$pool2" --user bench-b \
  --pass x --listen "127.0.0.1:$master_b" --http-listen '' --status-every 0
wait_port "$master_b" 15 || fail "master B did not listen"

times=()
for rep in $(seq 1 "$reps"); do
  master_a=$(free_port)
  start_bg "a$rep" "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$pool1" --user bench-a \
    --pass x --listen "127.0.0.1:$master_a" --http-listen '' --status-every 0
  wait_port "$master_a" 15 || fail "master A did not listen (rep $rep)"
  start_bg "w$rep" "$SYNTH_WORKER" --master "127.0.0.1:$master_a,127.0.0.1:$master_b" \
    --devices cpu --threads 1 --id "bench-w$rep" --status-seconds 0 \
    --master-failover-seconds "$failover" --master-return-seconds 3600
  for _ in $(seq 1 300); do [ "$(accepted "127.0.0.1:$master_a")" -ge 1 ] && break; sleep 0.1; done
  [ "$(accepted "127.0.0.1:$master_a")" -ge 1 ] || fail "no share through A (rep $rep)"
  before=$(accepted "127.0.0.1:$master_b")
  t0=$(date +%s.%N)
  kill9 "$(pid_of "a$rep")"
  done_at=""
  for _ in $(seq 1 600); do
    if [ "$(accepted "127.0.0.1:$master_b")" -gt "$before" ]; then done_at=$(date +%s.%N); break; fi
    sleep 0.05
  done
  [ -n "$done_at" ] || fail "no share through B within 30 s of the kill (rep $rep)"
  times+=("$(python3 -c "print($done_at - $t0)")")
  stop_pid "$(pid_of "w$rep")" TERM
  echo "rep $rep: $(printf '%.2f' "${times[-1]}") s" >&2
done

python3 - "$failover" "$difficulty" "${times[@]}" <<'PY'
import statistics, sys
failover, difficulty = sys.argv[1], sys.argv[2]
t = sorted(float(x) for x in sys.argv[3:])
def pct(p):
    k = (len(t) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(t) - 1)
    return t[lo] + (t[hi] - t[lo]) * (k - lo)
print("| kill of the active master -> first share accepted through the other | reps | p50 | p99 | min | max |")
print("| --- | --- | --- | --- | --- | --- |")
print("| --master-failover-seconds %s, difficulty %s, 1 worker x 1 CPU thread | %d | %.2f s | %.2f s | %.2f s | %.2f s |"
      % (failover, difficulty, len(t), pct(50), pct(99), t[0], t[-1]))
PY
