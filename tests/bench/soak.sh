#!/usr/bin/env bash
# Soak (a benchmark, not CI): 1,000 simulated workers (synth-loadgen) and one real
# synth-worker against a real synth-master and synth-pool for --seconds (default 600, at most
# 3600). Samples the master's RSS every --sample seconds and prints first/last/max and the slope
# after warm-up; at the end checks that no lease is stuck (units_leased 0 once every worker is
# gone, coverage_audit "ok"), that the master's ledger reconciles (found = sum of states) and that
# the pool accepted what the master says it accepted. Exits 1 when a check fails.
#
#   tests/bench/soak.sh [--seconds 600] [--workers 1000] [--sample 10] [--real-workers 1]
#                       [--difficulty 0.01]
# BUILD (default build/release) selects the binaries, as in tests/cluster/lib.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/cluster/lib.sh

seconds=600 workers=1000 sample=10 real_workers=1 difficulty=0.01
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --sample) sample=$2; shift 2 ;;
    --real-workers) real_workers=$2; shift 2 ;;
    --difficulty) difficulty=$2; shift 2 ;;
    *) echo "usage: $0 [--seconds N] [--workers N] [--sample S] [--real-workers N] [--difficulty D]" >&2
       exit 2 ;;
  esac
done
[ "$seconds" -ge 30 ] && [ "$seconds" -le 3600 ] || { echo "--seconds must be 30..3600" >&2; exit 2; }

synth_init
SYNTH_LOADGEN=$(find_bin synth-loadgen) || true
require_bins SYNTH_POOL SYNTH_MASTER SYNTH_CTL SYNTH_LOADGEN
[ "$real_workers" -eq 0 ] || require_bins SYNTH_WORKER

pool_port=$(free_port)
master_port=$(free_port)
stats="$SYNTH_TMP/pool.json"
start_bg pool "$SYNTH_POOL" --listen "127.0.0.1:$pool_port" --difficulty "$difficulty" \
  --job_interval 30 --stats_json "$stats"
wait_port "$pool_port" 15 || fail "synth-pool did not listen"
start_bg master "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$pool_port" --user soak --pass x \
  --listen "127.0.0.1:$master_port" --status-every 30 --http-listen ""
wait_port "$master_port" 15 || fail "synth-master did not listen"
master_pid=$(pid_of master)
for i in $(seq 1 "$real_workers"); do
  start_bg "worker$i" "$SYNTH_WORKER" --master "127.0.0.1:$master_port" --devices cpu --threads 1 \
    --id "soak-real-$i"
done
start_bg loadgen "$SYNTH_LOADGEN" --master="127.0.0.1:$master_port" --workers="$workers" \
  --seconds="$seconds" --master_pid="$master_pid"
loadgen_pid=$(pid_of loadgen)

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
samples="$SYNTH_TMP/rss.tsv"
start=$(date +%s)
echo "== soak: $workers simulated + $real_workers real workers, ${seconds}s, RSS every ${sample}s"
deadline=$((start + seconds + 120))  # Connecting 1,000 streams and the loadgen's wind-down.
while alive "$loadgen_pid"; do
  alive "$master_pid" || fail "synth-master died during the soak"
  [ "$(date +%s)" -lt "$deadline" ] || fail "synth-loadgen did not finish in time"
  echo -e "$(($(date +%s) - start))\t$(rss_kib "$master_pid")" >>"$samples"
  sleep "$sample"
done
wait "$loadgen_pid" 2>/dev/null
for i in $(seq 1 "$real_workers"); do stop_pid "$(pid_of "worker$i")"; done
sleep 3  # Let the master see the last streams end.
"$SYNTH_CTL" --master "127.0.0.1:$master_port" --json status >"$SYNTH_TMP/status.json" ||
  fail "synthctl status failed"
# found - sum of the states, computed by synthctl from the master's table of share states.
"$SYNTH_CTL" --master "127.0.0.1:$master_port" --json shares --summary >"$SYNTH_TMP/summary.json" ||
  fail "synthctl shares --summary failed"

echo "-- synth-loadgen"
cat "$SYNTH_TMP/loadgen.log"
python3 - "$samples" "$SYNTH_TMP/status.json" "$stats" "$seconds" "$SYNTH_TMP/summary.json" <<'PY'
import json, sys
rows = [l.split("\t") for l in open(sys.argv[1]) if l.strip()]
pts = [(float(t), int(r) / 1024) for t, r in rows if r.strip()]
st = json.load(open(sys.argv[2]))
pool = json.load(open(sys.argv[3]))
seconds = float(sys.argv[4])
ok = True
def slope(p):  # MiB per minute, least squares.
    n = len(p)
    if n < 2: return 0.0
    mt = sum(t for t, _ in p) / n; mr = sum(r for _, r in p) / n
    den = sum((t - mt) ** 2 for t, _ in p)
    return 60 * sum((t - mt) * (r - mr) for t, r in p) / den if den else 0.0
warm = [p for p in pts if p[0] >= min(60, seconds / 5)]  # After the streams connected.
first, last, peak = pts[0][1], pts[-1][1], max(r for _, r in pts)
s_all, s_warm = slope(pts), slope(warm)
growth = s_warm * (warm[-1][0] - warm[0][0]) / 60 if len(warm) > 1 else 0
flat = growth <= max(5.0, 0.05 * warm[0][1]) if warm else False
sh = st.get("shares", {})
get = lambda k: int(sh.get(k, 0))
total = get("found") - int(json.load(open(sys.argv[5]))["ledger_gap"])  # The sum of the states.
leased = int(st.get("units_leased", 0))
audit = st.get("coverage_audit", "")
pool_acc = int(pool.get("accepted", pool.get("shares_accepted", 0)))
print("| figure | value |\n| --- | --- |")
print(f"| RSS samples | {len(pts)} over {pts[-1][0]:.0f} s |")
print(f"| master RSS first / last / max | {first:.1f} / {last:.1f} / {peak:.1f} MiB |")
print(f"| RSS slope, whole run / after warm-up | {s_all:+.3f} / {s_warm:+.3f} MiB/min |")
print(f"| RSS growth after warm-up | {growth:+.1f} MiB ({'flat' if flat else 'GROWING'}) |")
print(f"| units leased at the end (no workers) | {leased} |")
print(f"| units re-queued / leases expired | {st.get('units_requeued', 0)} / {st.get('leases_expired', 0)} |")
print(f"| coverage audit | {audit} |")
print(f"| ledger found = sum of states | {get('found')} = {total} |")
print(f"| accepted: master / pool | {get('accepted')} / {pool_acc} |")
if not flat: ok = False; print("FAIL: master RSS grows")
if leased != 0: ok = False; print("FAIL: leases stuck")
if audit != "ok": ok = False; print("FAIL: coverage audit")
if get("found") != total: ok = False; print("FAIL: ledger does not reconcile")
if get("accepted") != pool_acc: ok = False; print("FAIL: pool and master disagree on accepted")
print("soak: " + ("PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
