#!/usr/bin/env bash
# End-to-end cluster tests with real processes on loopback: synth-pool + synth-master +
# synth-worker(s), ephemeral ports, every scenario bounded in time. Each asserts that the pool
# accepted shares and rejected none, plus the scenario's own property.
#
#   tests/cluster/cluster.sh SCENARIO [POOL_BIN MASTER_BIN WORKER_BIN [CTL_BIN]]
#
# Scenarios:
#   two_workers     two workers' shares accepted by synth-pool, none rejected
#   clean_jobs      a clean job every 2 s: every worker follows, still no rejects
#   worker_kill     one of two workers SIGKILLed mid-lease: the other keeps finding shares
#   master_restart  the master SIGKILLed and restarted: the worker re-Hellos within 5 s and
#                   its shares are accepted again
#   resubmit        the worker's stream is cut after the master submitted a share upstream and
#                   before the pool's answer came back; the worker sends the share again on its
#                   next stream and gets ACCEPTED, not DUPLICATE: found = accepted, each share
#                   once (needs synthctl, the 5th argument)
#   sv2             synth-pool with its Stratum V2 side, the master on stratum2+tcp:// only, one
#                   worker: every share accepted, none rejected, the ledger reconciled (found =
#                   accepted = the pool's accepted; synthctl's ledger gap 0). SV2_SHARES (20)
#                   shares at least and SV2_SECONDS (0) of mining at least: tests/bench/sv2_soak.sh
#                   runs it for 60 s (needs synthctl, the 5th argument)
# Exit 0 pass, 1 fail, 77 skipped (a binary is not built). Logs: SYNTH_KEEP_TMP=1 keeps them.
set -uo pipefail
cd "$(dirname "$0")/../.."
scenario=${1:?usage: cluster.sh SCENARIO [POOL MASTER WORKER [CTL]]}
[ $# -ge 4 ] && { SYNTH_POOL=$2; SYNTH_MASTER=$3; SYNTH_WORKER=$4; }
[ $# -ge 5 ] && SYNTH_CTL=$5
source tests/cluster/lib.sh
synth_init
require_bins SYNTH_POOL SYNTH_MASTER SYNTH_WORKER

# About 4 shares/s per one-thread worker of this build, measured (sanitizer builds are slower).
DIFFICULTY=${DIFFICULTY:-$(share_difficulty 4)}
POOL_PORT=$(free_port)
MASTER_PORT=$(free_port)
POOL_STATS="$SYNTH_TMP/pool_stats.json"

start_pool() {
  start_bg pool "$SYNTH_POOL" --listen "127.0.0.1:$POOL_PORT" --difficulty "$DIFFICULTY" \
    --stats_json "$POOL_STATS" "$@"
  wait_port "$POOL_PORT" 15 || fail "synth-pool did not listen on $POOL_PORT"
}

start_master() {
  start_bg "${MASTER_NAME:-master}" "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$POOL_PORT" \
    --user e2e --pass x --listen "127.0.0.1:$MASTER_PORT" --status-every 2 "$@"
  wait_port "$MASTER_PORT" 15 || fail "synth-master did not listen on $MASTER_PORT"
}

# start_worker NAME [ARGS...]
start_worker() {
  local name=$1
  shift
  start_bg "$name" "$SYNTH_WORKER" --master "127.0.0.1:$MASTER_PORT" --devices cpu --threads 1 \
    --id "$name" --status-seconds 1 "$@"
}

# Prints a pool counter (accepted/rejected), 0 when the stats file is not there yet.
pool_count() {
  local v
  v=$(json_get "$POOL_STATS" "$1" 2>/dev/null) || v=$(json_get "$POOL_STATS" "shares_$1" 2>/dev/null) || v=0
  echo "${v%.*}"
}

# wait_accepted N SECONDS: waits until the pool has accepted at least N shares.
wait_accepted() {
  local n=$1 secs=$2 i
  for i in $(seq 1 $((secs * 5))); do
    [ "$(pool_count accepted)" -ge "$n" ] && return 0
    sleep 0.2
  done
  return 1
}

# The worker's final JSON line (after it stopped).
worker_summary() { json_get "$SYNTH_TMP/$1.log" "$2"; }

assert_no_rejects() {
  local rej
  rej=$(pool_count rejected)
  [ "$rej" -eq 0 ] || fail "synth-pool rejected $rej shares"
}

scenario_two_workers() {
  start_pool
  start_master
  start_worker w1
  start_worker w2
  wait_accepted 20 40 || fail "fewer than 20 shares accepted in 40 s"
  sleep 2
  local w
  for w in w1 w2; do stop_pid "$(pid_of $w)" TERM; done
  for w in w1 w2; do
    local acc rej inv
    acc=$(worker_summary $w shares_accepted) || fail "$w printed no summary"
    rej=$(worker_summary $w shares_rejected)
    inv=$(worker_summary $w shares_invalid)
    [ "$acc" -gt 0 ] || fail "$w: no accepted shares"
    [ "$rej" -eq 0 ] || fail "$w: $rej shares rejected by the pool"
    [ "$inv" -eq 0 ] || fail "$w: $inv shares invalid (duplicate, below target, hw error...)"
  done
  assert_no_rejects
  echo "two_workers: pool accepted $(pool_count accepted), rejected 0"
}

scenario_clean_jobs() {
  start_pool --job_interval 2
  start_master
  start_worker w1
  start_worker w2
  wait_accepted 5 30 || fail "no shares accepted"
  local jobs
  w1_jobs_at_least() { [ "$(grep -c "first batch on" "$SYNTH_TMP/w1.log")" -ge "$1" ]; }
  wait_until 30 w1_jobs_at_least 4 || fail "w1 hashed only $(grep -c "first batch on" \
    "$SYNTH_TMP/w1.log") jobs in 30 s of 2 s jobs"
  jobs=$(grep -c "first batch on" "$SYNTH_TMP/w1.log")
  assert_no_rejects
  echo "clean_jobs: w1 followed $jobs jobs; pool accepted $(pool_count accepted), rejected 0"
}

scenario_worker_kill() {
  start_pool
  start_master
  start_worker w1
  start_worker w2
  wait_accepted 10 40 || fail "fewer than 10 shares accepted"
  kill9 "$(pid_of w1)"
  local before
  before=$(pool_count accepted)
  wait_accepted $((before + 10)) 30 || fail "no new shares after killing w1"
  alive "$(pid_of w2)" || fail "w2 died"
  assert_no_rejects
  echo "worker_kill: pool accepted $(pool_count accepted) ($before before the kill), rejected 0"
}

scenario_master_restart() {
  start_pool
  start_master
  start_worker w1
  wait_accepted 5 40 || fail "no shares accepted before the restart"
  kill9 "$(pid_of master)"
  sleep 1
  local before t0 t1
  before=$(pool_count accepted)
  t0=$(date +%s.%N)
  MASTER_NAME=master2 start_master
  local i sessions=0
  for i in $(seq 1 100); do
    sessions=$(grep -c "as worker w1" "$SYNTH_TMP/w1.log")
    [ "$sessions" -ge 2 ] && break
    sleep 0.1
  done
  [ "$sessions" -ge 2 ] || fail "w1 did not re-Hello within 10 s of the master restart"
  t1=$(date +%s.%N)
  python3 -c "import sys; d=$t1-$t0; print('re-Hello %.2f s after restart' % d); sys.exit(d > 5)" \
    || fail "reconnect took more than 5 s"
  wait_accepted $((before + 5)) 30 || fail "no shares accepted after the restart"
  assert_no_rejects
  echo "master_restart: pool accepted $(pool_count accepted) ($before before), rejected 0"
}

# master_shares KEY: prints the master's `synthctl -o json status` value shares.KEY (a number;
# -1 when synthctl fails).
master_shares() {
  "$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" -o json status 2>/dev/null | python3 -c '
import json, sys
try:
    print(json.load(sys.stdin)["shares"][sys.argv[1]])
except (ValueError, KeyError):
    print(-1)' "$1"
}

# shares_are KEY OP N: true when the master's shares.KEY OP N (OP: -ge, -eq, ...).
shares_are() { [ "$(master_shares "$1")" "$2" "$3" ]; }

scenario_resubmit() {
  require_bins SYNTH_CTL
  local relay=tests/faults/delay_relay.py pool_relay worker_relay
  start_pool --job_interval 0  # One job: nothing turns stale meanwhile.
  # The master reaches the pool through a relay adding 1 s each way: an answer takes ~2 s.
  pool_relay=$(free_port)
  start_bg pool_relay python3 "$relay" "127.0.0.1:$pool_relay" "127.0.0.1:$POOL_PORT" 1000 110
  wait_port "$pool_relay" 10 || fail "pool relay did not listen"
  # One lease of 10 s of work, then none (drain): the worker finds its shares in it, so none is
  # found twice (no unit is hashed again after the reconnect).
  start_bg master "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$pool_relay" --user e2e \
    --pass x --listen "127.0.0.1:$MASTER_PORT" --status-every 2 --lease-seconds 10
  wait_port "$MASTER_PORT" 15 || fail "synth-master did not listen on $MASTER_PORT"
  # The worker reaches the master through a relay that SIGUSR1 cuts for 4 s.
  worker_relay=$(free_port)
  start_bg worker_relay python3 "$relay" "127.0.0.1:$worker_relay" "127.0.0.1:$MASTER_PORT" 0 110 4
  wait_port "$worker_relay" 10 || fail "worker relay did not listen"
  start_bg w1 "$SYNTH_WORKER" --master "127.0.0.1:$worker_relay" --devices cpu --threads 1 \
    --id w1 --status-seconds 1
  wait_log w1 "buffered [1-9]" 30 || fail "w1 got no work within 30 s"
  "$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" drain w1 >/dev/null || fail "drain"
  # The moment a share waits for the pool, the worker's stream breaks.
  wait_until 40 shares_are pending -ge 1 || fail "no share submitted upstream within 40 s"
  kill -USR1 "$(pid_of worker_relay)"
  wait_log worker_relay "listening again" 15 || fail "the worker relay did not come back"
  wait_until 20 shares_are resent -ge 1 || fail "the worker did not send its shares again"
  wait_log w1 "unanswered 0 master_lost 0 \\| buffered 0.0 s" 60 || fail "w1 did not finish its lease"
  wait_until 20 shares_are pending -eq 0 || fail "shares still pending"
  stop_pid "$(pid_of w1)" TERM
  "$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" -o json status >"$SYNTH_TMP/status.json" &&
    "$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" -o json shares --summary \
      >"$SYNTH_TMP/summary.json" || fail "synthctl failed"
  python3 - "$SYNTH_TMP" "$(grep -c "as worker w1" "$SYNTH_TMP/w1.log")" <<'PY' || fail "resubmit"
import json, sys
tmp, streams = sys.argv[1], int(sys.argv[2])
m = json.load(open(tmp + "/status.json"))["shares"]
gap = json.load(open(tmp + "/summary.json"))["ledger_gap"]
w = next(json.loads(l) for l in reversed(open(tmp + "/w1.log").read().splitlines())
         if l.startswith("{"))
pool = json.load(open(tmp + "/pool_stats.json"))
pool_acc = pool.get("accepted", pool.get("shares_accepted", 0))
print("resubmit: master found %d accepted %d duplicate %d resent %d; worker found %d accepted %d"
      " invalid %d over %d streams; pool accepted %d"
      % (m["found"], m["accepted"], m["duplicate"], m["resent"], w["shares_found"],
         w["shares_accepted"], w["shares_invalid"], streams, pool_acc))
checks = [
    (streams >= 2, "the worker's stream was not cut"),
    (m["resent"] >= 1, "no share was sent again"),
    (m["duplicate"] == 0, "resent shares were judged duplicate"),
    (gap == 0, "the master's ledger does not reconcile (gap %d)" % gap),
    (m["found"] >= 1 and m["accepted"] == m["found"], "master: found != accepted"),
    (w["shares_accepted"] == w["shares_found"] == m["found"] and w["shares_invalid"] == 0,
     "worker: found, accepted and the master's found differ, or shares invalid"),
    (pool_acc == m["accepted"], "pool and master disagree on accepted"),
]
for ok, why in checks:
    if not ok:
        print("FAIL: " + why, file=sys.stderr)
sys.exit(0 if all(ok for ok, _ in checks) else 1)
PY
  assert_no_rejects
}

# Mined for at least $1 seconds since $2 (date +%s).
mined_for() { [ $(($(date +%s) - $2)) -ge "$1" ]; }

scenario_sv2() {
  require_bins SYNTH_CTL
  local want=${SV2_SHARES:-20} secs=${SV2_SECONDS:-0} sv2_port url t0
  sv2_port=$(free_port)
  # Non-clean jobs every 5 s: the channel gets new jobs on the same prev hash, none turns stale.
  start_pool --job_interval 5 --clean_every 0 --sv2_listen "127.0.0.1:$sv2_port" \
    --sv2_authority_key_file "$SYNTH_TMP/authority.key"
  wait_log pool 'SV2 listening on stratum2\+tcp://' 15 || fail "synth-pool logged no SV2 URL"
  url=$(grep -oE 'stratum2\+tcp://[^ ]+' "$SYNTH_TMP/pool.log" | head -n 1)
  start_bg master "$SYNTH_MASTER" --pool "$url" --user e2e.sv2 --pass unused \
    --listen "127.0.0.1:$MASTER_PORT" --http_listen '' --status-every 2
  wait_port "$MASTER_PORT" 15 || fail "synth-master did not listen on $MASTER_PORT"
  start_worker w1
  wait_log master 'Noise handshake done' 20 || fail "the master did not complete the SV2 handshake"
  t0=$(date +%s)
  # Sized from the measured rate (share_difficulty): ~4 shares/s, so 20 take ~5 s; the deadline
  # leaves room for a loaded machine.
  wait_accepted "$want" $((want + 40)) ||
    fail "fewer than $want shares accepted over SV2 in $((want + 40)) s"
  wait_until $((secs + 30)) mined_for "$secs" "$t0" || fail "could not mine for $secs s"
  stop_pid "$(pid_of w1)" TERM
  wait_until 20 shares_are pending -eq 0 || fail "shares still pending at the master"
  "$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" -o json status >"$SYNTH_TMP/status.json" &&
    "$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" -o json shares --summary \
      >"$SYNTH_TMP/summary.json" || fail "synthctl failed"
  stop_pid "$(pid_of master)" TERM
  stop_pid "$(pid_of pool)" TERM  # Its final stats file.
  python3 - "$SYNTH_TMP" "$(($(date +%s) - t0))" <<'PY' || fail "sv2"
import json, sys
tmp, secs = sys.argv[1], int(sys.argv[2])
m = json.load(open(tmp + "/status.json"))["shares"]
gap = json.load(open(tmp + "/summary.json"))["ledger_gap"]
w = next(json.loads(l) for l in reversed(open(tmp + "/w1.log").read().splitlines())
         if l.startswith("{"))
pool = json.load(open(tmp + "/pool_stats.json"))
acc = lambda d, k: d.get(k, d.get("shares_" + k, 0))
print("sv2: %d s; master found %d accepted %d rejected %d stale %d; worker found %d accepted %d;"
      " pool accepted %d rejected %s over %d SV2 channel(s)"
      % (secs, m["found"], m["accepted"], m["rejected"], m["stale"], w["shares_found"],
         w["shares_accepted"], acc(pool, "accepted"), pool.get("rejected"),
         pool.get("sv2_channels", 0)))
print("SV2RESULT " + json.dumps({
    "seconds": secs, "found": m["found"], "accepted": m["accepted"], "rejected": m["rejected"],
    "stale": m["stale"], "worker_found": w["shares_found"], "worker_accepted": w["shares_accepted"],
    "pool_accepted": acc(pool, "accepted"), "pool_rejected": pool.get("rejected", 0),
    "sv2_channels": pool.get("sv2_channels", 0), "ledger_gap": gap}))
checks = [
    (pool.get("sv2_channels", 0) >= 1, "the pool opened no SV2 channel"),
    (gap == 0, "the master's ledger does not reconcile (gap %d)" % gap),
    (m["found"] >= 1 and m["accepted"] == m["found"], "master: found != accepted"),
    (m["rejected"] == 0, "master: shares rejected"),
    (acc(pool, "accepted") == m["accepted"], "pool and master disagree on accepted"),
    (w["shares_accepted"] == w["shares_found"] and w["shares_invalid"] == 0,
     "worker: found != accepted, or shares invalid"),
]
for ok, why in checks:
    if not ok:
        print("FAIL: " + why, file=sys.stderr)
sys.exit(0 if all(ok for ok, _ in checks) else 1)
PY
  assert_no_rejects
}

case "$scenario" in
  two_workers|clean_jobs|worker_kill|master_restart|resubmit|sv2) "scenario_$scenario" ;;
  *) echo "unknown scenario $scenario" >&2; exit 2 ;;
esac
