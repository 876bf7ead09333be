#!/usr/bin/env bash
# End-to-end cluster tests with real processes on loopback: synth-pool + synth-master +
# synth-worker(s), ephemeral ports, every scenario bounded in time. Each asserts that the pool
# accepted shares and rejected none, plus the scenario's own property.
#
#   tests/cluster/cluster.sh SCENARIO [POOL_BIN MASTER_BIN WORKER_BIN]
#
# Scenarios:
#   two_workers     two workers' shares accepted by synth-pool, none rejected
#   clean_jobs      a clean job every 2 s: every worker follows, still no rejects
#   worker_kill     one of two workers SIGKILLed mid-lease: the other keeps finding shares
#   master_restart  the master SIGKILLed and restarted: the worker re-Hellos within 5 s and
#                   its shares are accepted again
# Exit 0 pass, 1 fail, 77 skipped (a binary is not built). Logs: SYNTH_KEEP_TMP=1 keeps them.
set -uo pipefail
cd "$(dirname "$0")/../.."
scenario=${1:?usage: cluster.sh SCENARIO [POOL MASTER WORKER]}
[ $# -ge 4 ] && { SYNTH_POOL=$2; SYNTH_MASTER=$3; SYNTH_WORKER=$4; }
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

case "$scenario" in
  two_workers|clean_jobs|worker_kill|master_restart) "scenario_$scenario" ;;
  *) echo "unknown scenario $scenario" >&2; exit 2 ;;
esac
