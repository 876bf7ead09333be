#!/usr/bin/env bash
# Interop with a third-party Stratum miner (not run by CI, which has none): cpuminer-opt mines
# through synth-master's Stratum port into synth-pool next to a synth-worker, as an ASIC farm's
# miners would (docs/HUB.md).
#
#   CPUMINER_OPT=/path/to/cpuminer tests/hub/cpuminer_interop.sh [SECONDS]   (default 90)
#
# Runs: cpuminer -a sha256d -o stratum+tcp://127.0.0.1:PORT -u farm.rig1 -p x -t 1
# (--cpu-priority 2, so its thread is not starved at nice 19 on a busy machine). Passes when the
# pool accepted shares and rejected none, cpuminer reported accepted shares and no rejects, and
# synthctl shows it as a stratum miner with its user agent. Prints what it measured. Exit 0 pass,
# 1 fail, 77 skipped (CPUMINER_OPT unset or a binary not built). SYNTH_KEEP_TMP=1 keeps the logs.
set -uo pipefail
cd "$(dirname "$0")/../.."
SECONDS_RUN=${1:-90}
if [ -z "${CPUMINER_OPT:-}" ] || [ ! -x "${CPUMINER_OPT}" ]; then
  echo "SKIP: set CPUMINER_OPT to a cpuminer-opt binary" >&2
  exit 77
fi
source tests/cluster/lib.sh
synth_setup
export -n CPUMINER_OPT 2>/dev/null || true

STATS=$SYNTH_TMP/pool_stats.json
POOL_PORT=$(free_port)
MASTER_PORT=$(free_port)
STRATUM_PORT=$(free_port)
start_bg pool "$SYNTH_POOL" --listen "127.0.0.1:$POOL_PORT" --difficulty 0.01 --job_interval 30 \
  --stats_json "$STATS"
wait_port "$POOL_PORT" 15 || fail "synth-pool did not listen"
start_bg master "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$POOL_PORT" --user hub --pass x \
  --listen "127.0.0.1:$MASTER_PORT" --http-listen "" --status-every 10 \
  --stratum-listen "127.0.0.1:$STRATUM_PORT"
wait_port "$STRATUM_PORT" 15 || fail "the Stratum port did not listen"
start_bg w1 "$SYNTH_WORKER" --master "127.0.0.1:$MASTER_PORT" --devices cpu --threads 1 --id w1
start_bg cpuminer "$CPUMINER_OPT" -a sha256d -o "stratum+tcp://127.0.0.1:$STRATUM_PORT" \
  -u farm.rig1 -p x -t 1 --cpu-priority 2
sleep "$SECONDS_RUN"
"$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" -o json workers >"$SYNTH_TMP/workers.json"
"$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" workers
"$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" status
stop_pid "$(pid_of cpuminer)" INT
stop_pid "$(pid_of w1)" TERM
sleep 1.5

python3 - "$SYNTH_TMP" "$SECONDS_RUN" <<'PY' || fail "assertions failed (above)"
import json, re, sys
tmp, secs = sys.argv[1], float(sys.argv[2])
pool = json.load(open(f"{tmp}/pool_stats.json"))
workers = {w["worker_id"]: w for w in json.load(open(f"{tmp}/workers.json"))["workers"]}
log = open(f"{tmp}/cpuminer.log", errors="replace").read()
log = re.sub(r"\x1b\[[0-9;]*m", "", log)
# cpuminer-opt prints "N Accepted N, Rejected N" style totals ("Accepted 12/12" in older forms).
acc = [int(x) for x in re.findall(r"Accepted (\d+)", log)]
rej = [int(x) for x in re.findall(r"Rejected (\d+)", log)]
diffs = re.findall(r"New Stratum Diff ([0-9.e+-]+)", log)
row = workers.get("farm.rig1", {})
bad = []
def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok: bad.append(what)
check(pool["accepted"] > 0 and pool["rejected"] == 0,
      f"pool accepted {pool['accepted']}, rejected {pool['rejected']} {pool['rejected_by_code']}")
check(bool(acc) and max(acc) > 0, f"cpuminer accepted {max(acc) if acc else 0}")
check(not rej or max(rej) == 0, f"cpuminer rejected {max(rej) if rej else 0}")
check(row.get("kind") == "stratum" and row.get("user_agent", "").startswith("cpuminer-opt"),
      f"synthctl: farm.rig1 kind {row.get('kind')} agent {row.get('user_agent')} "
      f"diff {row.get('difficulty')} verified {row.get('verified_rate_hps', 0) / 1e6:.2f} MH/s "
      f"shares {row.get('shares')}")
print(f"cpuminer saw difficulties {diffs[:1] + diffs[-1:]} over {secs:.0f} s")
sys.exit(1 if bad else 0)
PY
echo "cpuminer interop: pool accepted $(json_get "$STATS" accepted), rejected 0"
