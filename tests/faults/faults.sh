#!/usr/bin/env bash
# Fault-injection tests with real processes (synth-pool, synth-master, synth-worker, synthctl),
# one scenario per function, each bounded in time. Every scenario asserts that
#   - the cluster recovers: the pool accepts new shares within a stated time after the fault,
#   - the master's ledger reconciles: found = sum of all states (synthctl status --json),
#   - the pool's accepted count (--stats_json) equals the master's accepted count,
# plus its own property. Each prints one result line "RESULT {json}" (tests/faults/report.sh
# collects them into docs/RELIABILITY.md).
#
#   tests/faults/faults.sh SCENARIO [POOL MASTER WORKER CTL]
#
# Exit 0 pass, 1 fail, 77 skipped (binary missing, not root, no netns/iptables/netem).
set -uo pipefail
# --retry-once (CTest): a second attempt after a failure, said loudly, since these scenarios
# time real recoveries on a loaded 2-core CI box; a scenario that fails twice fails.
if [ "${1:-}" = --retry-once ]; then
  shift
  bash "$0" "$@"
  rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] && exit "$rc"
  echo "RETRY: $1 failed (exit $rc); running it once more" >&2
  exec bash "$0" "$@"
fi
cd "$(dirname "$0")/../.."
scenario=${1:?usage: faults.sh SCENARIO [POOL MASTER WORKER CTL]}
source tests/cluster/lib.sh
synth_setup "${@:2}"

# About 4 shares/s per one-thread worker of this build, measured (sanitizer builds are slower).
DIFFICULTY=${DIFFICULTY:-$(share_difficulty 4)}
POOL_PORT=$(free_port)
POOL2_PORT=$(free_port)
MASTER_PORT=$(free_port)
MASTER_ADDR="127.0.0.1:$MASTER_PORT"
POOL_STATS="$SYNTH_TMP/pool_stats.json"
POOL2_STATS="$SYNTH_TMP/pool2_stats.json"
TOKEN_ARGS=()
RESULT_HOW=""
RESULT_EXPECTED=""
RESULT_RECOVERY=""
RESULT_NOTE=""

# ---- processes -----------------------------------------------------------------------------

# start_pool NAME PORT STATS [ARGS...]
start_pool() {
  local name=$1 port=$2 stats=$3
  shift 3
  start_bg "$name" "$SYNTH_POOL" --listen "127.0.0.1:$port" --difficulty "$DIFFICULTY" \
    --stats_json "$stats" "$@"
  wait_port "$port" 15 || fail "$name did not listen on $port"
}

start_master() {
  start_bg "${MASTER_NAME:-master}" ${MASTER_PREFIX:-} "$SYNTH_MASTER" \
    --pool "${MASTER_POOLS:-stratum+tcp://127.0.0.1:$POOL_PORT}" \
    --user faults --pass x --listen "${MASTER_LISTEN:-$MASTER_ADDR}" --http_listen '' \
    --status-every 2 "${TOKEN_ARGS[@]}" "$@"
}

# start_worker NAME [ARGS...]
start_worker() {
  local name=$1
  shift
  start_bg "$name" ${WORKER_PREFIX:-} "$SYNTH_WORKER" --master "${WORKER_MASTER_ADDR:-$MASTER_ADDR}" --devices cpu \
    --threads 1 --id "$name" --status-seconds 1 "${TOKEN_ARGS[@]}" "$@"
}

# start_master_and_workers N MIN_SHARES [MASTER ARGS...]: the master (for the pool already
# started), workers w1..wN, and a wait for MIN_SHARES accepted shares before the fault.
start_master_and_workers() {
  local n=$1 min=$2 i
  shift 2
  start_master "$@"
  wait_port "$MASTER_PORT" 15 || fail "master did not listen"
  for i in $(seq 1 "$n"); do start_worker "w$i"; done
  wait_pool_accepted "$POOL_STATS" "$min" 40 || fail "fewer than $min shares before the fault"
}

# ---- counters ------------------------------------------------------------------------------

# pool_count STATS KEY: a pool counter, 0 when the file is not there yet.
pool_count() {
  local v
  v=$(json_get "$1" "$2" 2>/dev/null) || v=$(json_get "$1" "shares_$2" 2>/dev/null) || v=0
  echo "${v%.*}"
}

# ledger: the master's share counts as one JSON object (empty on error).
ledger() {
  ${MASTER_PREFIX:-} "$SYNTH_CTL" --master "$MASTER_ADDR" "${TOKEN_ARGS[@]}" status --json \
    2>/dev/null | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin).get("shares", {})
except ValueError:
    sys.exit(1)
print(json.dumps({k: float(v) if k == "accepted_difficulty" else int(v) for k, v in s.items()}))'
}

# master_accepted: the master ledger's accepted count (0 when unreachable).
master_accepted() {
  ledger | python3 -c 'import json,sys; print(json.load(sys.stdin).get("accepted", 0))' 2>/dev/null \
    || echo 0
}

# wait_pool_accepted STATS N SECONDS
wait_pool_accepted() {
  local stats=$1 n=$2 secs=$3 i
  for i in $(seq 1 $((secs * 5))); do
    [ "$(pool_count "$stats" accepted)" -ge "$n" ] && return 0
    sleep 0.2
  done
  return 1
}

now() { date +%s.%N; }
elapsed() { python3 -c "print('%.1f' % ($(now) - $1))"; }

# recover_after T0 STATS BEFORE SECS: waits for 3 new accepted shares; sets RESULT_RECOVERY.
recover_after() {
  local t0=$1 stats=$2 before=$3 secs=$4 more=${5:-3}
  wait_pool_accepted "$stats" $((before + more)) "$secs" \
    || fail "no new accepted shares within ${secs} s of the fault"
  RESULT_RECOVERY=$(elapsed "$t0")
}

# Prints found - (sum of the ledger's states), computed by synthctl from the master's one table of
# share states (0 when the ledger reconciles).
ledger_gap() {
  ${MASTER_PREFIX:-} "$SYNTH_CTL" --master "$MASTER_ADDR" "${TOKEN_ARGS[@]}" shares --summary \
    --json 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["ledger_gap"])'
}

# settle: stops the workers (held shares delivered or counted), waits for pending to drain.
settle() {
  local w i
  for w in "$@"; do stop_pid "$(pid_of "$w")" TERM; done
  for i in $(seq 1 50); do
    ledger | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin).get("pending",1) != 0)' \
      2>/dev/null && break
    sleep 0.2
  done
  sleep 1.2  # one more stats_json write
}

# assert_ledger STATS...: found = sum of states; master accepted = sum of the pools' accepted.
# Prints the RESULT line.
assert_ledger() {
  local l gap pool_acc=0 s
  l=$(ledger) || fail "synthctl status failed"
  [ -n "$l" ] || fail "synthctl status printed nothing"
  gap=$(ledger_gap) || fail "synthctl shares --summary failed"
  for s in "$@"; do pool_acc=$((pool_acc + $(pool_count "$s" accepted))); done
  python3 - "$l" "$pool_acc" "$scenario" "$RESULT_HOW" "$RESULT_EXPECTED" "$RESULT_RECOVERY" \
    "$RESULT_NOTE" "$gap" "$@" <<'PY'
import json, sys
l = json.loads(sys.argv[1]); pool_acc = int(sys.argv[2]); gap = int(sys.argv[8])
codes = {}  # the pools' reject reasons (Stratum error codes), from their stats files
for f in sys.argv[9:]:
    try:
        for c, n in json.load(open(f)).get("rejected_by_code", {}).items():
            codes[c] = codes.get(c, 0) + n
    except (OSError, ValueError):
        pass
total = l.get("found", 0) - gap  # The sum of the states (synthctl knows them).
ok_sum = gap == 0
ok_pool = pool_acc == l.get("accepted", 0)
# None of these faults makes a valid share invalid: a share the pool rejects was mishandled
# (e.g. submitted to a restarted pool under a dead job); it should be stale/pool_down instead.
ok_rej = l.get("rejected", 0) == 0
res = {"scenario": sys.argv[3], "how": sys.argv[4], "expected": sys.argv[5],
       "recovery_s": sys.argv[6], "note": sys.argv[7], "ledger": l, "sum_of_states": total,
       "found_eq_sum": ok_sum, "pool_accepted": pool_acc, "pool_eq_master": ok_pool,
       "pool_rejected_by_code": codes,
       "outcome": "pass" if ok_sum and ok_pool and ok_rej else "fail"}
print("RESULT " + json.dumps(res))
msgs = []
if not ok_sum: msgs.append("found %d != sum of states %d" % (l.get("found", 0), total))
if not ok_pool: msgs.append("pool accepted %d != master accepted %d" % (pool_acc, l.get("accepted", 0)))
if not ok_rej: msgs.append("pool rejected %d shares (by Stratum code: %s)" % (l.get("rejected", 0), json.dumps(codes)))
if msgs:
    print("FAIL: ledger: " + "; ".join(msgs), file=sys.stderr); sys.exit(1)
PY
  [ $? -eq 0 ] || fail "ledger check failed (see FAIL: ledger above)"
}

# skip REASON: prints a RESULT line marked skipped and exits 77.
skip() {
  echo "RESULT $(python3 -c 'import json,sys; print(json.dumps({"scenario":sys.argv[1],"how":sys.argv[2],"expected":sys.argv[3],"outcome":"skipped","note":sys.argv[4]}))' \
    "$scenario" "$RESULT_HOW" "$RESULT_EXPECTED" "$1")"
  echo "SKIP: $1" >&2
  exit 77
}

# ---- scenarios -----------------------------------------------------------------------------

scenario_worker_sigkill() {
  RESULT_HOW="SIGKILL one of two workers mid-lease"
  RESULT_EXPECTED="the other worker keeps finding shares; ledger reconciles"
  start_pool pool "$POOL_PORT" "$POOL_STATS"
  start_master_and_workers 2 10
  kill9 "$(pid_of w1)"
  local t0 before
  t0=$(now); before=$(pool_count "$POOL_STATS" accepted)
  recover_after "$t0" "$POOL_STATS" "$before" 20
  settle w2
  assert_ledger "$POOL_STATS"
}

scenario_worker_sigstop() {
  RESULT_HOW="SIGSTOP one of two workers (hung) for 8 s, lease expiry 3 s, then SIGCONT"
  RESULT_EXPECTED="its lease expires and is re-leased to the other worker; it resumes after SIGCONT"
  start_pool pool "$POOL_PORT" "$POOL_STATS"
  start_master_and_workers 2 10 --lease_expiry_seconds 3 --lease_seconds 2
  kill -STOP "$(pid_of w1)"
  local t0 before
  t0=$(now); before=$(pool_count "$POOL_STATS" accepted)
  recover_after "$t0" "$POOL_STATS" "$before" 20
  sleep 8
  grep -Eiq "expir|re-?queue" "$SYNTH_TMP/master.log" \
    || RESULT_NOTE="no lease-expiry line in the master log"
  kill -CONT "$(pid_of w1)"
  before=$(pool_count "$POOL_STATS" accepted)
  wait_pool_accepted "$POOL_STATS" $((before + 5)) 20 || fail "no shares after SIGCONT"
  alive "$(pid_of w1)" || fail "w1 died after SIGCONT"
  settle w1 w2
  assert_ledger "$POOL_STATS"
}

scenario_master_restart() {
  RESULT_HOW="SIGKILL the master, restart it on the same port after 1 s"
  RESULT_EXPECTED="the worker reconnects (jittered backoff) and shares are accepted within 5 s"
  start_pool pool "$POOL_PORT" "$POOL_STATS"
  start_master_and_workers 1 5
  kill9 "$(pid_of master)"
  local pool_before_restart t0 before
  sleep 1
  pool_before_restart=$(pool_count "$POOL_STATS" accepted)
  t0=$(now); before=$pool_before_restart
  MASTER_NAME=master2 start_master
  # Resumed = the first share the pool accepts after the restart (pool stats lag up to 1 s).
  recover_after "$t0" "$POOL_STATS" "$before" 15 1
  python3 -c "import sys; sys.exit($RESULT_RECOVERY > 5)" \
    || fail "shares resumed only after $RESULT_RECOVERY s (> 5 s)"
  settle w1
  # The new master's ledger counts only what it saw: compare with the pool's count since then.
  local snap="$SYNTH_TMP/pool_since_restart.json"
  echo "{\"accepted\": $(( $(pool_count "$POOL_STATS" accepted) - pool_before_restart ))}" >"$snap"
  RESULT_NOTE="pool accepted counted since the restart"
  assert_ledger "$snap"
}

# pool_fault MODE EVERY: synth-pool injects MODE every EVERY s; the cluster keeps getting shares.
pool_fault() {
  local mode=$1 every=$2 window=${3:-12}
  RESULT_HOW="synth-pool --fault $mode --fault_every $every"
  RESULT_EXPECTED="the master reconnects/recovers; accepted shares keep increasing"
  start_pool pool "$POOL_PORT" "$POOL_STATS" --fault "$mode" --fault_every "$every"
  start_master_and_workers 2 5
  local t0 before
  t0=$(now)
  sleep "$window"   # several faults
  before=$(pool_count "$POOL_STATS" accepted)
  t0=$(now)
  recover_after "$t0" "$POOL_STATS" "$before" 30
  settle w1 w2
  assert_ledger "$POOL_STATS"
}

scenario_pool_drop() { pool_fault drop 4; }
scenario_pool_garbage() { pool_fault garbage 4; }
scenario_pool_oversize() { pool_fault oversize 4; }
scenario_pool_reconnect() { pool_fault reconnect 4; }
scenario_pool_stall() { pool_fault stall 6 14; }

scenario_pool_restart() {
  RESULT_HOW="stop synth-pool (SIGTERM: it writes its final counters), restart it on the same port after 3 s"
  RESULT_EXPECTED="the master reconnects; held shares of dead jobs counted pool_down; shares accepted again"
  start_pool pool "$POOL_PORT" "$POOL_STATS"
  start_master_and_workers 1 5
  local first_acc
  stop_pid "$(pid_of pool)" TERM
  first_acc=$(json_get "$POOL_STATS" accepted 2>/dev/null || echo 0)
  first_acc=${first_acc%.*}
  sleep 3
  local t0
  t0=$(now)
  start_pool pool_b "$POOL_PORT" "$POOL2_STATS"
  recover_after "$t0" "$POOL2_STATS" 0 30
  settle w1
  echo "{\"accepted\": $((first_acc + $(pool_count "$POOL2_STATS" accepted)))}" \
    >"$SYNTH_TMP/pool_total.json"
  assert_ledger "$SYNTH_TMP/pool_total.json"
}

scenario_pool_failover() {
  RESULT_HOW="two pools (--pool A,B); stop A (SIGTERM, final counters written), later restart A and stop B"
  RESULT_EXPECTED="the master fails over to B, then back to A; shares accepted throughout"
  start_pool pool "$POOL_PORT" "$POOL_STATS"
  start_pool pool2 "$POOL2_PORT" "$POOL2_STATS"
  MASTER_POOLS="stratum+tcp://127.0.0.1:$POOL_PORT,stratum+tcp://127.0.0.1:$POOL2_PORT" \
    start_master_and_workers 1 5
  local a_first t0 t1
  stop_pid "$(pid_of pool)" TERM
  a_first=$(pool_count "$POOL_STATS" accepted)
  t0=$(now)
  recover_after "$t0" "$POOL2_STATS" 0 30
  local fail_over=$RESULT_RECOVERY
  # Back: restart A, kill B.
  start_pool pool_a2 "$POOL_PORT" "$SYNTH_TMP/pool_a2_stats.json"
  sleep 1
  stop_pid "$(pid_of pool2)" TERM
  local b_total
  b_total=$(pool_count "$POOL2_STATS" accepted)
  t1=$(now)
  recover_after "$t1" "$SYNTH_TMP/pool_a2_stats.json" 0 30
  RESULT_NOTE="failover ${fail_over} s, failback ${RESULT_RECOVERY} s"
  settle w1
  echo "{\"accepted\": $((a_first + b_total + $(pool_count "$SYNTH_TMP/pool_a2_stats.json" accepted)))}" \
    >"$SYNTH_TMP/pool_total.json"
  assert_ledger "$SYNTH_TMP/pool_total.json"
}

# start_sv2_pool NAME STATS: synth-pool (V1 on $POOL_PORT) with its Stratum V2 side on
# $SV2_PORT, signed by the authority key in $SYNTH_TMP (kept across restarts: the same URL); sets
# SV2_URL from its log.
SV2_PORT=$(free_port)
start_sv2_pool() {
  start_pool "$1" "$POOL_PORT" "$2" --sv2_listen "127.0.0.1:$SV2_PORT" \
    --sv2_authority_key_file "$SYNTH_TMP/sv2_authority.key"
  wait_log "$1" 'SV2 listening on stratum2\+tcp://' 15 || fail "$1 logged no SV2 URL"
  SV2_URL=$(grep -oE 'stratum2\+tcp://[^ ]+' "$SYNTH_TMP/$1.log" | head -n 1)
}

scenario_sv2_failover() {
  RESULT_HOW="--pool A,B with A a Stratum V2 pool (stratum2+tcp://) and B a V1 pool; stop A (SIGTERM), restart it (same key) while B stays up"
  RESULT_EXPECTED="the master fails over from SV2 to V1, probes A after the return hold (--pool-return-seconds 5) and mines on SV2 again; shares accepted throughout"
  start_sv2_pool pool "$POOL_STATS"
  start_pool pool2 "$POOL2_PORT" "$POOL2_STATS"
  MASTER_POOLS="$SV2_URL,stratum+tcp://127.0.0.1:$POOL2_PORT" start_master_and_workers 1 5 \
    --pool-return-seconds 5
  grep -q "ready on stratum2+tcp://" "$SYNTH_TMP/master.log" || fail "the master did not mine on A"
  local a_first t0 fail_over first_url=$SV2_URL
  stop_pid "$(pid_of pool)" TERM
  a_first=$(pool_count "$POOL_STATS" accepted)
  t0=$(now)
  recover_after "$t0" "$POOL2_STATS" 0 30
  fail_over=$RESULT_RECOVERY
  # A comes back on the same port with the same key; B keeps running: the way back is the probe.
  start_sv2_pool pool_a2 "$SYNTH_TMP/pool_a2_stats.json"
  [ "$SV2_URL" = "$first_url" ] || fail "A's URL changed across the restart"
  t0=$(now)
  recover_after "$t0" "$SYNTH_TMP/pool_a2_stats.json" 0 60
  wait_log master "back on the preferred pool stratum2\+tcp://" 5 || fail "no probe return in the log"
  RESULT_NOTE="failover SV2 -> V1 ${fail_over} s; back on SV2 ${RESULT_RECOVERY} s after A restarted (return hold 5 s); pool_down: shares unanswered when A stopped (SV2 has no resume)"
  settle w1
  echo "{\"accepted\": $((a_first + $(pool_count "$POOL2_STATS" accepted) + \
    $(pool_count "$SYNTH_TMP/pool_a2_stats.json" accepted)))}" >"$SYNTH_TMP/pool_total.json"
  assert_ledger "$SYNTH_TMP/pool_total.json"
}

# ---- network namespaces --------------------------------------------------------------------

NS_M="" NS_W="" VETH=""
netns_cleanup() {
  [ -n "$NS_M" ] && ip netns del "$NS_M" 2>/dev/null
  [ -n "$NS_W" ] && ip netns del "$NS_W" 2>/dev/null
  return 0
}

# netns_setup: master (+pool) in NS_M at 10.77.X.1, workers in NS_W at 10.77.X.2, veth pair.
netns_setup() {
  [ "$(id -u)" -eq 0 ] || skip "needs root for ip netns"
  command -v ip >/dev/null || skip "ip (iproute2) not installed"
  local id=$(( $$ % 200 + 20 ))
  NS_M="synthf-m-$$" NS_W="synthf-w-$$" VETH="sf$$"
  ip netns add "$NS_M" 2>/dev/null || skip "cannot create network namespaces"
  ip netns add "$NS_W" || skip "cannot create network namespaces"
  SYNTH_CLEANUP_HOOKS+=(netns_cleanup)
  ip link add "${VETH}m" type veth peer name "${VETH}w" || skip "cannot create veth pair"
  ip link set "${VETH}m" netns "$NS_M"
  ip link set "${VETH}w" netns "$NS_W"
  ip -n "$NS_M" addr add "10.77.$id.1/24" dev "${VETH}m"
  ip -n "$NS_W" addr add "10.77.$id.2/24" dev "${VETH}w"
  ip -n "$NS_M" link set "${VETH}m" up
  ip -n "$NS_W" link set "${VETH}w" up
  ip -n "$NS_M" link set lo up
  ip -n "$NS_W" link set lo up
  MASTER_IP="10.77.$id.1"
  MASTER_ADDR="$MASTER_IP:$MASTER_PORT"
  MASTER_LISTEN="$MASTER_IP:$MASTER_PORT"
  MASTER_PREFIX="ip netns exec $NS_M"
  WORKER_PREFIX="ip netns exec $NS_W"
  local tokf="$SYNTH_TMP/token"
  python3 -c 'import secrets; print(secrets.token_hex(16))' >"$tokf"
  chmod 600 "$tokf"
  export SYNTH_TOKEN
  SYNTH_TOKEN=$(cat "$tokf")   # passed through the environment: never on a command line or log
}

# In NS_M the pool runs on loopback of that namespace; stats file on the shared filesystem.
netns_start() {
  start_bg pool ip netns exec "$NS_M" "$SYNTH_POOL" --listen "127.0.0.1:$POOL_PORT" \
    --difficulty "$DIFFICULTY" --stats_json "$POOL_STATS"
  sleep 1
  start_master
  local i
  for i in $(seq 1 50); do
    ip netns exec "$NS_M" python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('$MASTER_IP',$MASTER_PORT)))" 2>/dev/null && break
    sleep 0.2
  done
  start_worker w1
  wait_pool_accepted "$POOL_STATS" 5 40 || fail "no shares across the veth before the fault"
}

scenario_netns_partition() {
  RESULT_HOW="master and worker in separate netns (veth); iptables DROP all between them for 10 s, then heal"
  RESULT_EXPECTED="the worker holds its shares, reconnects after healing and delivers them; ledger reconciles"
  command -v iptables >/dev/null || skip "iptables not installed"
  netns_setup
  netns_start
  ip netns exec "$NS_W" iptables -A OUTPUT -o "${VETH}w" -j DROP || skip "iptables failed in netns"
  ip netns exec "$NS_W" iptables -A INPUT -i "${VETH}w" -j DROP
  local found_before
  sleep 10
  found_before=$(ledger | python3 -c 'import json,sys; print(json.load(sys.stdin).get("found",0))')
  ip netns exec "$NS_W" iptables -F
  local t0 before
  t0=$(now); before=$(pool_count "$POOL_STATS" accepted)
  recover_after "$t0" "$POOL_STATS" "$before" 40
  local found_after
  found_after=$(ledger | python3 -c 'import json,sys; print(json.load(sys.stdin).get("found",0))')
  RESULT_NOTE="found $found_before at heal, $found_after after recovery"
  settle w1
  assert_ledger "$POOL_STATS"
}

scenario_netns_loss() {
  RESULT_HOW="netns + veth; iptables statistic random DROP 10% both ways for 20 s"
  RESULT_EXPECTED="shares keep being accepted despite loss; ledger reconciles"
  command -v iptables >/dev/null || skip "iptables not installed"
  netns_setup
  netns_start
  ip netns exec "$NS_W" iptables -A OUTPUT -o "${VETH}w" -m statistic --mode random \
    --probability 0.1 -j DROP || skip "iptables statistic match not available"
  ip netns exec "$NS_W" iptables -A INPUT -i "${VETH}w" -m statistic --mode random \
    --probability 0.1 -j DROP
  local t0 before
  t0=$(now); before=$(pool_count "$POOL_STATS" accepted)
  recover_after "$t0" "$POOL_STATS" "$before" 30
  sleep 15
  ip netns exec "$NS_W" iptables -F
  settle w1
  assert_ledger "$POOL_STATS"
}

scenario_netns_delay() {
  RESULT_EXPECTED="shares keep being accepted with delay; ledger reconciles"
  netns_setup
  if ip netns exec "$NS_W" tc qdisc add dev "${VETH}w" root netem delay 200ms loss 5% 2>/dev/null
  then
    RESULT_HOW="netns + veth; tc netem delay 200ms loss 5%"
  else
    # No sch_netem in this kernel: the same delay from a userspace relay in the workers'
    # namespace (every byte held 200 ms each way), the loss from iptables on the veth.
    command -v iptables >/dev/null || skip "neither tc netem nor iptables available"
    RESULT_HOW="netns + veth; no sch_netem here, so +200 ms each way by tests/faults/delay_relay.py in the worker netns and iptables random DROP 5% both ways"
    local relay_port=$(( MASTER_PORT + 1 ))
    start_bg relay ip netns exec "$NS_W" python3 tests/faults/delay_relay.py \
      "127.0.0.1:$relay_port" "$MASTER_ADDR" 200 170
    WORKER_MASTER_ADDR="127.0.0.1:$relay_port"
    ip netns exec "$NS_W" iptables -A OUTPUT -o "${VETH}w" -m statistic --mode random \
      --probability 0.05 -j DROP || skip "iptables statistic match not available"
    ip netns exec "$NS_W" iptables -A INPUT -i "${VETH}w" -m statistic --mode random \
      --probability 0.05 -j DROP
  fi
  netns_start
  # The delay is real: an HTTP/2 PING to the master's gRPC port is answered a full round trip
  # later (>= 400 ms with 200 ms each way).
  local rtt_ms
  rtt_ms=$(ip netns exec "$NS_W" python3 - "${WORKER_MASTER_ADDR:-$MASTER_ADDR}" <<'PY'
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
def recv_exact(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise EOFError
        b += chunk
    return b
best = None
for _ in range(3):
    try:
        s = socket.create_connection((host, int(port)), timeout=5)
        s.settimeout(5)
        settings = bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
        ping = bytes([0, 0, 8, 6, 0, 0, 0, 0, 0]) + b"synthrtt"
        t0 = time.monotonic()
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + settings + ping)
        while True:
            h = recv_exact(s, 9)
            length, ftype, flags = int.from_bytes(h[:3], "big"), h[3], h[4]
            payload = recv_exact(s, length)
            if ftype == 6 and flags & 1 and payload == b"synthrtt":
                ms = (time.monotonic() - t0) * 1000
                best = ms if best is None else min(best, ms)
                break
        s.close()
    except (OSError, EOFError):
        pass
print("%.0f" % (best if best is not None else -1))
PY
)
  [ "${rtt_ms:--1}" -ge 380 ] || fail "round trip to the master is ${rtt_ms} ms: the delay is not in place"
  local t0 before
  t0=$(now); before=$(pool_count "$POOL_STATS" accepted)
  recover_after "$t0" "$POOL_STATS" "$before" 30
  sleep 10
  RESULT_NOTE="round trip worker->master ${rtt_ms} ms"
  settle w1
  assert_ledger "$POOL_STATS"
}

source tests/faults/masters.sh  # Two independent masters.

SCENARIOS="worker_sigkill worker_sigstop master_restart pool_restart pool_drop pool_garbage
pool_oversize pool_reconnect pool_stall pool_failover sv2_failover netns_partition netns_loss
netns_delay masters_failover masters_both_down masters_partition"
if [ "$scenario" = list ]; then echo $SCENARIOS; exit 0; fi
case " $(echo $SCENARIOS) " in
  *" $scenario "*) "scenario_$scenario" ;;
  *) echo "unknown scenario $scenario (list: $SCENARIOS)" >&2; exit 2 ;;
esac
