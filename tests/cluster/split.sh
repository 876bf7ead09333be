#!/usr/bin/env bash
# tests/cluster/split.sh SCENARIO [POOL MASTER WORKER CTL]: the pool split end to end
# (docs/CLUSTER.md "Pool split"): two synth-pools, one synth-master with --weights 70,30 and two
# one-thread synth-workers, all on loopback. Every process is ended by PID (lib.sh's trap).
#
#   weights    mine until SPLIT_SHARES shares (default 300) are accepted in all, or for at most
#              SPLIT_DEADLINE seconds (default 25; then at least 100 shares, waited for up to
#              30 s more, as a loaded machine hashes slower than the rate the difficulty was
#              sized from); then pool 0's
#              part of the n accepted shares must lie within 4 sigma of 0.7 (sigma =
#              sqrt(0.7 * 0.3 / n), binomial; a false failure about once in 16,000 runs) and its
#              part of the hashes the master assigned within 1% of 0.7. With SPLIT_SECONDS set it mines that long instead and prints a
#              table (tests/bench/split_bench.sh).
#   pool_kill  pool 0 killed: its share moves to pool 1 within 10 s and pool 1 keeps accepting;
#              pool 0 restarted on its port: live with its share back within 10 s, and accepting.
#   miners     the master's Stratum port in the split (docs/HUB.md "With a pool split"):
#              --weights 50,50, one worker and two synth-stratum-miners (rigE subscribes to
#              extranonce changes, rigP does not) of about 2 pool shares/s each. rigE is routed
#              to pool 0, rigP to pool 1, each accepted there (synthctl workers: pool_index and
#              the pool's verdicts; a share sent to the wrong pool would be rejected there).
#              Pool 0 killed: rigE moves to pool 1 (set_extranonce) within 10 s and is
#              accepted there; pool 0 restarted, then pool 1 killed: both move to pool 0 (rigE
#              by set_extranonce, rigP by client.reconnect and a new subscribe) and are
#              accepted there. No pool rejects a share. About 25 s in release.
set -uo pipefail
cd "$(dirname "$0")/../.."
scenario=${1:?usage: split.sh weights|pool_kill|miners [POOL MASTER WORKER CTL [MINER]]}
shift
[ $# -ge 5 ] && SYNTH_MINER=$5
source tests/cluster/lib.sh
synth_setup "$@"

# Shares/s per one-thread worker at the pool difficulty, sized from this build's measured rate.
DIFFICULTY=${DIFFICULTY:-$(share_difficulty "${SPLIT_SHARES_PER_S:-10}")}
MASTER_PORT=$(free_port)
HTTP_PORT=$(free_port)
PORT_A=$(free_port)
PORT_B=$(free_port)

start_pool() {  # NAME PORT: its counters go to $SYNTH_TMP/NAME.json.
  start_bg "$1" "$SYNTH_POOL" --listen "127.0.0.1:$2" --difficulty "$DIFFICULTY" \
    --stats_json "$SYNTH_TMP/$1.json"
  wait_port "$2" 15 || fail "$1 did not listen on $2"
}

start_master() {  # [ARGS...]: more flags; WEIGHTS (default 70,30).
  start_bg master "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$PORT_A" \
    --pool "stratum+tcp://127.0.0.1:$PORT_B" --weights "${WEIGHTS:-70,30}" --user e2e --pass x \
    --listen "127.0.0.1:$MASTER_PORT" --http-listen "127.0.0.1:$HTTP_PORT" --status-every 2 "$@"
  wait_port "$MASTER_PORT" 15 || fail "synth-master did not listen on $MASTER_PORT"
}

start_workers() {
  local w
  for w in w1 w2; do
    start_bg "$w" "$SYNTH_WORKER" --master "127.0.0.1:$MASTER_PORT" --devices cpu --threads 1 \
      --id "$w" --status-seconds 1
  done
}

# Writes `synthctl pools -o json` to $SYNTH_TMP/pools.json.
pools_json() {
  "$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" -o json pools >"$SYNTH_TMP/pools.json" 2>/dev/null
}

# pool_field INDEX KEY: a field of pool INDEX in the last pools_json (booleans as 1/0).
pool_field() {
  python3 - "$SYNTH_TMP/pools.json" "$1" "$2" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["pools"][int(sys.argv[2])][sys.argv[3]]
print(int(v) if isinstance(v, bool) else v)
PY
}

# accepted NAME [KEY]: the synth-pool NAME's count KEY (default accepted), 0 before its first write.
accepted() {
  local v
  v=$(json_get "$SYNTH_TMP/$1.json" "${2:-accepted}" 2>/dev/null) || v=0
  echo "${v%.*}"
}

both_live() { pools_json && [ "$(pool_field 0 live)" = 1 ] && [ "$(pool_field 1 live)" = 1 ]; }
total_at_least() { [ $(($(accepted poolA) + $(accepted poolB))) -ge "$1" ]; }

assert_no_rejects() {
  local p
  for p in "$@"; do
    [ "$(accepted "$p" rejected)" -eq 0 ] || fail "$p rejected $(accepted "$p" rejected) shares"
  done
}

start_all() {
  start_pool poolA "$PORT_A"
  start_pool poolB "$PORT_B"
  start_master
  wait_until 20 both_live || fail "both pools were not live in synthctl pools within 20 s"
  start_workers
}

scenario_weights() {
  start_all
  local t0 t1
  t0=$(date +%s.%N)
  if [ -n "${SPLIT_SECONDS:-}" ]; then
    sleep "$SPLIT_SECONDS"  # A benchmark's fixed run (tests/bench/split_bench.sh), not a test.
  else
    # A loaded machine hashes slower than the rate the difficulty was sized from: then settle
    # for at least 100 shares, waiting up to 30 s more for them.
    wait_until "${SPLIT_DEADLINE:-25}" total_at_least "${SPLIT_SHARES:-300}" ||
      wait_until 30 total_at_least 100 ||
      fail "fewer than 100 shares accepted in $((${SPLIT_DEADLINE:-25} + 30)) s"
  fi
  t1=$(date +%s.%N)
  pools_json || fail "synthctl pools failed"
  python3 - "$SYNTH_TMP/pools.json" "$(accepted poolA)" "$(accepted poolB)" \
    "$(python3 -c "print($t1 - $t0)")" "${SPLIT_SECONDS:+table}" <<'PY' || fail "split off"
import json, math, sys
pools = json.load(open(sys.argv[1]))["pools"]
acc = [int(sys.argv[2]), int(sys.argv[3])]
secs, table = float(sys.argv[4]), sys.argv[5] == "table"
n = sum(acc)
want = [0.7, 0.3]
sigma = math.sqrt(want[0] * want[1] / n) if n else 1
assigned = [p["assigned_share"] for p in pools]
work = [a / n if n else 0 for a in acc]
if table:
    print("%-5s %6s %12s %9s %9s %9s %9s" % ("POOL", "WEIGHT", "ASSIGNED_H", "ASSIGNED", "ACCEPTED",
                                            "SHARE", "Z"))
    for i in range(2):
        print("%-5d %5.0f%% %12.4g %8.3f%% %9d %8.3f%% %+9.2f" % (
            i, want[i] * 100, pools[i]["hashes_assigned"], assigned[i] * 100, acc[i],
            work[i] * 100, (work[i] - want[i]) / sigma))
    print("%.1f s, %d shares accepted, sigma %.3f%%" % (secs, n, sigma * 100))
else:
    print("weights: %d shares in %.1f s; pool 0 got %.3f of the accepted (4 sigma %.3f), %.4f of "
          "the assigned hashes" % (n, secs, work[0], 4 * sigma, assigned[0]))
ok = abs(work[0] - want[0]) <= 4 * sigma and abs(assigned[0] - want[0]) <= 0.01
sys.exit(0 if ok else 1)
PY
  python3 - "$HTTP_PORT" <<'PY' || fail "/metrics lacks the per-pool split series"
import sys, urllib.request
text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode()
sys.exit(0 if 'synth_pool_target_share{pool="stratum+tcp://127.0.0.1:' in text else 1)
PY
  assert_no_rejects poolA poolB
}

scenario_pool_kill() {
  start_all
  pool_a_accepting() { [ "$(accepted poolA)" -ge 3 ]; }
  wait_until 30 pool_a_accepting || fail "pool 0 accepted no shares in 30 s"
  kill9 "$(pid_of poolA)"
  local t0 moved_s back_s before_b a0
  t0=$(date +%s.%N)
  moved() {
    pools_json && [ "$(pool_field 0 live)" = 0 ] &&
      python3 -c "import sys; sys.exit(abs($(pool_field 1 target_share) - 1) > 1e-9)"
  }
  wait_until 10 moved || fail "pool 0's share did not move to pool 1 within 10 s"
  moved_s=$(python3 -c "print('%.2f' % ($(date +%s.%N) - $t0))")
  a0=$(pool_field 0 hashes_assigned)
  before_b=$(accepted poolB)
  b_accepting() { [ "$(accepted poolB)" -ge $((before_b + 3)) ]; }
  wait_until 20 b_accepting || fail "pool 1 accepted no new shares after pool 0 died"
  pools_json
  [ "$(pool_field 0 hashes_assigned)" -le "$a0" ] || fail "pool 0 was given work while down"
  start_pool poolA2 "$PORT_A"
  t0=$(date +%s.%N)
  back() {
    pools_json && [ "$(pool_field 0 live)" = 1 ] &&
      python3 -c "import sys; sys.exit(abs($(pool_field 0 target_share) - 0.7) > 1e-9)"
  }
  wait_until 10 back || fail "pool 0 did not get its share back within 10 s of its return"
  back_s=$(python3 -c "print('%.2f' % ($(date +%s.%N) - $t0))")
  a_accepting() { [ "$(accepted poolA2)" -ge 1 ]; }
  wait_until 20 a_accepting || fail "pool 0 accepted no share within 20 s of its return"
  assert_no_rejects poolB poolA2
  echo "pool_kill: share moved ${moved_s} s after the kill, back ${back_s} s after the return"
}

# miner NAME: "POOL_INDEX ACCEPTED" of the Stratum miner NAME in `synthctl workers` ("" when absent).
miner() {
  "$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" -o json workers 2>/dev/null | python3 -c '
import json, sys
rows = [w for w in json.load(sys.stdin)["workers"] if w.get("user") == sys.argv[1]]
if rows: print(rows[0]["pool_index"], int(rows[0]["shares"].get("accepted", 0)))' "$1"
}
# on NAME POOL [MIN]: true when miner NAME mines POOL with at least MIN (default 1) accepted.
on() {
  local m
  m=$(miner "$1") && [ -n "$m" ] && [ "${m% *}" = "$2" ] && [ "${m#* }" -ge "${3:-1}" ]
}
accepted_of() { local m; m=$(miner "$1"); echo "${m#* }"; }
# stat NAME KEY: a counter of synth-stratum-miner NAME's --stats_json (0 before its first write).
stat() { accepted "$1" "$2"; }

scenario_miners() {
  SYNTH_MINER=${SYNTH_MINER:-$(find_bin synth-stratum-miner)} || true
  export -n SYNTH_MINER 2>/dev/null || true
  require_bins SYNTH_MINER
  # Each miner hashes for about SPLIT_MINER_SHARES_PER_S shares/s at the pools' difficulty.
  local rate stratum_port e0 p0
  rate=$(python3 -c "print('%.3g' % ($DIFFICULTY * 2**32 * ${SPLIT_MINER_SHARES_PER_S:-2}))")
  stratum_port=$(free_port)
  start_pool poolA "$PORT_A"
  start_pool poolB "$PORT_B"
  WEIGHTS=50,50 start_master --stratum-listen "127.0.0.1:$stratum_port"
  wait_until 20 both_live || fail "both pools were not live in synthctl pools within 20 s"
  start_bg w1 "$SYNTH_WORKER" --master "127.0.0.1:$MASTER_PORT" --devices cpu --threads 1 \
    --id w1 --status-seconds 1
  start_miner() {  # NAME [ARGS...]
    local name=$1
    shift
    start_bg "$name" "$SYNTH_MINER" --pool "127.0.0.1:$stratum_port" --user "farm.$name" \
      --rate "$rate" --stats_json "$SYNTH_TMP/$name.json" "$@"
  }
  # Rates are unknown at subscribe: at 50,50 the first miner goes to pool 0, the next to pool 1.
  start_miner rigE --extranonce_subscribe
  wait_until 15 on farm.rigE 0 0 || fail "rigE was not routed to pool 0: $(miner farm.rigE)"
  start_miner rigP
  wait_until 20 on farm.rigE 0 2 || fail "rigE: no shares accepted on pool 0: $(miner farm.rigE)"
  wait_until 20 on farm.rigP 1 2 || fail "rigP: no shares accepted on pool 1: $(miner farm.rigP)"
  # Pool 0 dies: rigE moves to pool 1 by set_extranonce and is accepted there.
  kill9 "$(pid_of poolA)"
  local t0 moved_s
  t0=$(date +%s.%N)
  wait_until 10 on farm.rigE 1 0 || fail "rigE did not move to pool 1: $(miner farm.rigE)"
  moved_s=$(python3 -c "print('%.2f' % ($(date +%s.%N) - $t0))")
  e0=$(accepted_of farm.rigE)
  wait_until 20 on farm.rigE 1 $((e0 + 2)) || fail "rigE: no shares accepted on pool 1"
  # Pool 0 returns (nobody moves back); then pool 1 dies: both miners move to pool 0, rigP by
  # client.reconnect and a new subscribe.
  start_pool poolA2 "$PORT_A"
  wait_until 15 both_live || fail "pool 0 was not live again within 15 s"
  on farm.rigE 1 0 && on farm.rigP 1 0 || fail "a miner moved back to pool 0 on its return"
  kill9 "$(pid_of poolB)"
  p0=$(accepted poolA2)
  wait_until 10 on farm.rigE 0 0 || fail "rigE did not move to pool 0: $(miner farm.rigE)"
  wait_until 15 on farm.rigP 0 0 || fail "rigP did not come back on pool 0: $(miner farm.rigP)"
  e0=$(accepted_of farm.rigE)
  wait_until 20 on farm.rigE 0 $((e0 + 2)) || fail "rigE: no shares accepted on pool 0 again"
  wait_until 20 on farm.rigP 0 2 || fail "rigP: no shares accepted on pool 0"
  wait_until 5 eval '[ "$(stat rigE extranonce_changes)" -ge 2 ] && [ "$(stat rigP reconnects_asked)" -ge 1 ]' ||
    fail "rigE extranonce changes $(stat rigE extranonce_changes), rigP reconnects asked $(stat rigP reconnects_asked)"
  [ "$(accepted poolA2)" -gt "$p0" ] || fail "pool 0 accepted nothing after its return"
  assert_no_rejects poolA poolB poolA2
  echo "miners: routed 0 and 1; rigE moved ${moved_s} s after its pool's kill; both moved back" \
    "to pool 0 when pool 1 died; pools accepted $(accepted poolA) + $(accepted poolB) +" \
    "$(accepted poolA2), rejected 0"
}

"scenario_$scenario"
