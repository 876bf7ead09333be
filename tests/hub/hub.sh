#!/usr/bin/env bash
# End to end: the master as the farm's hub (docs/HUB.md). synth-pool (a clean job every 10 s),
# synth-master with its Stratum port, one synth-worker and two miners of the tests' own
# (synth-stratum-miner) mining at once for HUB_SECONDS (default 60):
#   rig1 closes its connection every 15 s and reconnects, resuming its session;
#   rig2 asks for BIP 310 version rolling and for extranonce changes.
# Asserts: the pool accepted shares and rejected none; the master's ledger has no rejects and
# reconciles; the coverage audit is ok; synthctl -o json workers shows the worker (kind synth)
# and both miners (kind stratum, user agent, worker name, difficulty) with shares; rig2
# negotiated rolling and its rolled shares were accepted; rig1 reconnected and resumed; both
# miners followed the clean jobs and kept being accepted after them; a miner's only rejects are
# stale shares racing a clean job (21).
#
#   tests/hub/hub.sh [POOL MASTER WORKER CTL MINER]
# Exit 0 pass, 1 fail, 77 skipped (a binary is not built). SYNTH_KEEP_TMP=1 keeps the logs.
set -uo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 5 ] && SYNTH_MINER=$5
source tests/cluster/lib.sh
synth_setup "$@"
SYNTH_MINER=${SYNTH_MINER:-$(find_bin synth-stratum-miner)} || true
export -n SYNTH_MINER 2>/dev/null || true
require_bins SYNTH_MINER

SECONDS_RUN=${HUB_SECONDS:-60}
STATS=$SYNTH_TMP/pool_stats.json
POOL_PORT=$(free_port)
MASTER_PORT=$(free_port)
STRATUM_PORT=$(free_port)

start_bg pool "$SYNTH_POOL" --listen "127.0.0.1:$POOL_PORT" --difficulty 0.002 --job_interval 10 \
  --stats_json "$STATS"
wait_port "$POOL_PORT" 15 || fail "synth-pool did not listen"
start_bg master "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$POOL_PORT" --user hub --pass x \
  --listen "127.0.0.1:$MASTER_PORT" --http-listen "" --status-every 5 \
  --stratum-listen "127.0.0.1:$STRATUM_PORT" --stratum-difficulty 0.0005
wait_port "$MASTER_PORT" 15 || fail "synth-master did not listen"
wait_port "$STRATUM_PORT" 15 || fail "the Stratum port did not listen"
start_bg w1 "$SYNTH_WORKER" --master "127.0.0.1:$MASTER_PORT" --devices cpu --threads 1 --id w1 \
  --status-seconds 5
start_bg rig1 "$SYNTH_MINER" --pool "127.0.0.1:$STRATUM_PORT" --user farm.rig1 --rate 4e6 \
  --drop_every 15 --stats_json "$SYNTH_TMP/rig1.json"
start_bg rig2 "$SYNTH_MINER" --pool "127.0.0.1:$STRATUM_PORT" --user farm.rig2 --rate 4e6 \
  --version_rolling --extranonce_subscribe --stats_json "$SYNTH_TMP/rig2.json"

ctl() { "$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" "$@"; }
count() {  # count FILE KEY: a number from a JSON file, 0 when absent.
  local v
  v=$(json_get "$1" "$2" 2>/dev/null) || v=0
  echo "${v%.*}"
}

half=$((SECONDS_RUN / 2))
sleep "$half"
mid1=$(count "$SYNTH_TMP/rig1.json" accepted)
mid2=$(count "$SYNTH_TMP/rig2.json" accepted)
sleep $((SECONDS_RUN - half))

# rig1 may be between two connections at this moment: wait (bounded) until both miners show
# and the port counts both connections.
for i in $(seq 1 50); do
  ctl -o json workers >"$SYNTH_TMP/workers.json" || fail "synthctl workers failed"
  ctl -o json status >"$SYNTH_TMP/status.json" || fail "synthctl status failed"
  grep -q '"farm.rig1"' "$SYNTH_TMP/workers.json" && grep -q '"farm.rig2"' "$SYNTH_TMP/workers.json" &&
    python3 -c "import json,sys; sys.exit(json.load(open('$SYNTH_TMP/status.json'))['stratum_port']['connections'] != 2)" &&
    break
  sleep 0.2
done
ctl status || true
for p in rig1 rig2 w1; do stop_pid "$(pid_of $p)" TERM; done
sleep 1.5  # The pool and the miners write their stats every second.

python3 - "$SYNTH_TMP" "$mid1" "$mid2" <<'PY' || fail "assertions failed (above)"
import json, sys
tmp, mid1, mid2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
load = lambda n: json.load(open(f"{tmp}/{n}"))
pool, status, workers = load("pool_stats.json"), load("status.json"), load("workers.json")
rig1, rig2 = load("rig1.json"), load("rig2.json")
bad = []
def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok: bad.append(what)
check(pool["accepted"] >= 10, f"pool accepted {pool['accepted']} shares")
check(pool["rejected"] == 0, f"pool rejected {pool['rejected']} {pool['rejected_by_code']}")
check(pool["jobs"] >= 3, f"pool sent {pool['jobs']} jobs (clean each)")
s = status["shares"]
check(int(s.get("rejected", 0)) == 0, f"master ledger: rejected {s.get('rejected', 0)}")
states = ["accepted", "rejected", "stale", "duplicate", "below_target", "hardware_error",
          "unknown_unit", "pool_down", "rate_limited", "local", "pending"]
check(int(s["found"]) == sum(int(s.get(k, 0)) for k in states), f"ledger reconciles: {s}")
check(status["coverage_audit"] == "ok", f"coverage audit: {status['coverage_audit']}")
check(status["stratum_port"]["connections"] == 2, f"port: {status['stratum_port']}")
rows = {w["worker_id"]: w for w in workers["workers"]}
w1 = rows.get("w1", {})
check(w1.get("kind") == "synth" and int(w1["shares"].get("accepted", 0)) > 0, f"w1: {w1.get('kind')}")
for name, rig, mid in (("farm.rig1", rig1, mid1), ("farm.rig2", rig2, mid2)):
    row = rows.get(name, {})
    shares = row.get("shares", {})
    check(row.get("kind") == "stratum" and row.get("user") == name and
          row.get("user_agent", "").startswith("synth-stratum-miner") and row.get("difficulty", 0) > 0,
          f"{name} in synthctl workers: {row.get('kind')} {row.get('user_agent')} diff {row.get('difficulty')}")
    check(int(shares.get("accepted", 0)) + int(shares.get("local", 0)) > 0, f"{name} shares {shares}")
    check(rig["accepted"] > mid > 0, f"{name} accepted {mid} by mid-run, {rig['accepted']} at the end")
    check(rig["clean_jobs"] >= 3, f"{name} followed {rig['clean_jobs']} clean jobs")
    others = {c: n for c, n in rig["rejected_by_code"].items() if c != "21"}
    check(not others, f"{name} rejects other than stale (21): {others}")
check(rig2["version_mask"] == 0x1fffe000 and rig2["submitted_rolled"] > 0,
      f"rig2 rolled versions: mask {rig2['version_mask']:#x}, {rig2['submitted_rolled']} rolled submits")
check(rig1["connects"] >= 2 and rig1["resumed"] >= 1,
      f"rig1 reconnected {rig1['connects'] - 1} times, resumed {rig1['resumed']}")
sys.exit(1 if bad else 0)
PY
echo "hub farm: pool accepted $(count "$STATS" accepted), rejected 0"
