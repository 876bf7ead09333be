# Fault scenarios with two independent masters (sourced by tests/faults/faults.sh, whose helpers
# they use): two synth-pools, master A on pool 1 and master B on pool 2 (each its own pool user),
# two workers given --master A,B. docs/WORKER.md "Master failover", docs/DEPLOY.md "Two masters".
#   masters_failover    SIGKILL A: every worker on B within 5 s, pool 2 accepting; A back: the
#                       workers return after the hold (5 s here)
#   masters_both_down   SIGKILL both: the workers hold their shares and back off with the CPU
#                       idle; A back: shares accepted again
#   masters_partition   netns: one worker cut off from A alone (iptables on A's port): it moves
#                       to B, the other stays on A; healed: it returns to A

MASTER_B_PORT=$(free_port)
MASTER_B_ADDR="127.0.0.1:$MASTER_B_PORT"
MASTERS_HOLD=5      # --master-return-seconds in these scenarios
MASTERS_FAILOVER=1  # --master-failover-seconds: 1 s of the 5 s budget (sanitizer builds are slow)

# masters_start [WORKER ARGS...]: pools, masters A (pool 1) and B (pool 2), workers w1 w2. In
# network namespaces (netns_setup ran) the pools and masters run in NS_M, w2 there too. The
# pools keep one job (--job_interval 0): a clean job racing a submit is answered 21 (stale),
# which is not what these scenarios test, and every pool reject can then be counted a failure.
masters_start() {
  if [ -n "$NS_M" ]; then
    start_bg pool ip netns exec "$NS_M" "$SYNTH_POOL" --listen "127.0.0.1:$POOL_PORT" \
      --difficulty "$DIFFICULTY" --stats_json "$POOL_STATS" --job_interval 0
    start_bg pool2 ip netns exec "$NS_M" "$SYNTH_POOL" --listen "127.0.0.1:$POOL2_PORT" \
      --difficulty "$DIFFICULTY" --stats_json "$POOL2_STATS" --job_interval 0
    sleep 1  # wait_port cannot look into the namespace
  else
    start_pool pool "$POOL_PORT" "$POOL_STATS" --job_interval 0
    start_pool pool2 "$POOL2_PORT" "$POOL2_STATS" --job_interval 0
  fi
  masters_start_a master
  MASTER_NAME=master_b MASTER_POOLS="stratum+tcp://127.0.0.1:$POOL2_PORT" \
    MASTER_LISTEN="${MASTER_B_LISTEN:-$MASTER_B_ADDR}" start_master --user faults-b
  wait_master "$MASTER_ADDR" || fail "master A did not listen"
  wait_master "$MASTER_B_ADDR" || fail "master B did not listen"
  local args=(--master-failover-seconds "$MASTERS_FAILOVER" --master-return-seconds "$MASTERS_HOLD"
              "$@")
  WORKER_MASTER_ADDR="$MASTER_ADDR,$MASTER_B_ADDR" start_worker w1 "${args[@]}"
  WORKER_PREFIX=${W2_PREFIX:-${WORKER_PREFIX:-}} WORKER_MASTER_ADDR="$MASTER_ADDR,$MASTER_B_ADDR" \
    start_worker w2 "${args[@]}"
  wait_pool_accepted "$POOL_STATS" 5 40 || fail "fewer than 5 shares through A before the fault"
}

# masters_start_a NAME: master A (pool 1, user faults-a) under NAME.
masters_start_a() {
  MASTER_NAME=$1 start_master --user faults-a
}

# wait_master ADDR: waits until synthctl reaches the master at ADDR.
wait_master() {
  local i
  for i in $(seq 1 75); do
    workers_on "$1" >/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# workers_on ADDR: the number of workers the master at ADDR has (fails when unreachable).
workers_on() {
  ${MASTER_PREFIX:-} "$SYNTH_CTL" --master "$1" "${TOKEN_ARGS[@]}" --timeout 2 -o json status \
    2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["workers"])' 2>/dev/null
}

# wait_workers ADDR N SECONDS: waits (by the clock) until the master at ADDR has N workers.
wait_workers() {
  local addr=$1 n=$2 end
  end=$(python3 -c "print($(now) + $3)")
  while python3 -c "import sys; sys.exit($(now) > $end)"; do
    [ "$(workers_on "$addr" 2>/dev/null || echo -1)" = "$n" ] && return 0
    sleep 0.1
  done
  return 1
}

# wait_worker_on NAME ADDR SECONDS: waits until worker NAME's newest status line (one a second)
# says it is connected to ADDR. (A master behind a partition still counts a worker it cannot
# hear until its own keepalive gives up, so the worker's side is the one to ask.)
wait_worker_on() {
  local name=$1 addr=$2 end
  end=$(python3 -c "print($(now) + $3)")
  while python3 -c "import sys; sys.exit($(now) > $end)"; do
    grep "worker_main.cc.*connected to\|DISCONNECTED from" "$SYNTH_TMP/$name.log" | tail -n 1 \
      | grep -q "connected to $addr " && return 0
    sleep 0.2
  done
  return 1
}

# welcomed_at NAME ADDR T0: the time (seconds since the epoch) of worker NAME's first Welcome
# from the master at ADDR at or after T0, read from the worker's own log (glog's local time):
# precise, where polling the master with synthctl adds its own start-up (a second or more under
# the sanitizer presets).
welcomed_at() {
  python3 - "$SYNTH_TMP/$1.log" "$2" "$3" <<'PY'
import datetime, re, sys
log, addr, t0 = sys.argv[1], sys.argv[2], float(sys.argv[3])
pat = re.compile(r"^I(\d{8}) (\d\d:\d\d:\d\d\.\d+) .*\] master " + re.escape(addr) + r": session ")
for line in open(log, errors="replace"):
    m = pat.match(line)
    if m:
        t = datetime.datetime.strptime(m.group(1) + " " + m.group(2), "%Y%m%d %H:%M:%S.%f").timestamp()
        if t >= t0:
            print("%.3f" % t)
            sys.exit(0)
sys.exit(1)
PY
}

# pools_rejected_none STATS...: fails when a pool rejected any share (naming the codes).
pools_rejected_none() {
  local s
  for s in "$@"; do
    [ "$(pool_count "$s" rejected)" = 0 ] ||
      fail "$(basename "$s"): the pool rejected shares: $(json_get "$s" rejected_by_code)"
  done
}

# worker_summary NAME KEY: a value of the worker's exit JSON line (after settle).
worker_summary() { json_get "$SYNTH_TMP/$1.log" "$2" 2>/dev/null || echo "?"; }

# cpu_ticks PID: user + system CPU time of PID, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

scenario_masters_failover() {
  RESULT_HOW="two pools, masters A and B, two workers with --master A,B (--master-failover-seconds $MASTERS_FAILOVER); SIGKILL A; restart A after failover"
  RESULT_EXPECTED="every worker on B within 5 s and pool 2 accepting; back on A after the ${MASTERS_HOLD} s hold; no share rejected by either pool"
  masters_start
  local t0 fail_over back a_before w1_at w2_at
  t0=$(now)
  kill9 "$(pid_of master)"
  wait_workers "$MASTER_B_ADDR" 2 15 || fail "master B does not count both workers 15 s after the kill"
  w1_at=$(welcomed_at w1 "$MASTER_B_ADDR" "$t0") || fail "w1 logged no Welcome from B"
  w2_at=$(welcomed_at w2 "$MASTER_B_ADDR" "$t0") || fail "w2 logged no Welcome from B"
  fail_over=$(python3 -c "print('%.1f' % (max($w1_at, $w2_at) - $t0))")
  python3 -c "import sys; sys.exit($fail_over > 5)" || fail "every worker on B only after $fail_over s"
  recover_after "$t0" "$POOL2_STATS" 0 20 1  # (pool stats are written once a second)
  local b_first=$RESULT_RECOVERY
  a_before=$(pool_count "$POOL_STATS" accepted)
  masters_start_a master_a2
  wait_master "$MASTER_ADDR" || fail "master A did not come back"
  t0=$(now)
  wait_workers "$MASTER_ADDR" 2 $((MASTERS_HOLD + 20)) || fail "the workers did not return to A"
  back=$(elapsed "$t0")
  python3 -c "import sys; sys.exit($back < $MASTERS_HOLD - 0.5)" \
    || fail "returned after $back s, before the ${MASTERS_HOLD} s hold"
  recover_after "$t0" "$POOL_STATS" "$a_before" 20 1
  settle w1 w2
  pools_rejected_none "$POOL_STATS" "$POOL2_STATS"
  RESULT_RECOVERY=$fail_over
  RESULT_NOTE="all on B ${fail_over} s after the kill, first share via B at ${b_first} s; back on A ${back} s after its restart; workers' master_lost: $(worker_summary w1 shares_master_lost)+$(worker_summary w2 shares_master_lost)"
  MASTER_ADDR=$MASTER_B_ADDR assert_ledger "$POOL2_STATS"
}

scenario_masters_both_down() {
  RESULT_HOW="two masters, two workers with --master A,B (--master-lost-seconds 60); SIGKILL both for 8 s, then restart A"
  RESULT_EXPECTED="the workers hold their shares and back off (CPU idle, few attempts); shares accepted again after A returns"
  masters_start --master-lost-seconds 60
  local w1 w2 c1 c2 t0 attempts
  w1=$(pid_of w1) w2=$(pid_of w2)
  kill9 "$(pid_of master)"
  kill9 "$(pid_of master_b)"
  sleep 2  # the streams end and the devices go idle
  c1=$(cpu_ticks "$w1") c2=$(cpu_ticks "$w2")
  attempts=$(grep -c "reconnecting in" "$SYNTH_TMP/w1.log")
  sleep 6
  local used1=$(( $(cpu_ticks "$w1") - c1 )) used2=$(( $(cpu_ticks "$w2") - c2 ))
  local hz
  hz=$(getconf CLK_TCK)
  attempts=$(( $(grep -c "reconnecting in\|moving from" "$SYNTH_TMP/w1.log") - attempts ))
  # Over 6 s: at most 3 % of a core each (no busy loop: no lease, no device work, backoff >= 250 ms).
  python3 -c "import sys; sys.exit(max($used1, $used2) / $hz > 0.18)" \
    || fail "a worker used $used1/$used2 ticks ($hz/s) of CPU in 6 s with both masters down"
  [ "$attempts" -le 30 ] || fail "w1 made $attempts connection attempts in 6 s"
  local before
  before=$(pool_count "$POOL_STATS" accepted)
  masters_start_a master_a2
  t0=$(now)
  recover_after "$t0" "$POOL_STATS" "$before" 30
  settle w1 w2
  pools_rejected_none "$POOL_STATS" "$POOL2_STATS"
  RESULT_NOTE="CPU in 6 s down: ${used1}/${used2} ticks at ${hz}/s; w1 attempts ${attempts}; unanswered at exit: $(worker_summary w1 shares_unanswered)+$(worker_summary w2 shares_unanswered)"
  local snap="$SYNTH_TMP/pool1_since.json"
  echo "{\"accepted\": $(( $(pool_count "$POOL_STATS" accepted) - before ))}" >"$snap"
  assert_ledger "$snap"
}

scenario_masters_partition() {
  RESULT_HOW="netns: pools, masters A and B and worker w2 in one namespace, w1 in another (veth); iptables DROP between w1 and A's port only until w1 has moved, then heal"
  RESULT_EXPECTED="w1 moves to B (keepalive 10 s + failover ${MASTERS_FAILOVER} s), w2 stays on A, both pools accept; after healing w1 returns to A"
  command -v iptables >/dev/null || skip "iptables not installed"
  netns_setup
  MASTER_B_ADDR="$MASTER_IP:$MASTER_B_PORT"
  W2_PREFIX="$MASTER_PREFIX"
  masters_start --master-keepalive-seconds 10
  wait_workers "$MASTER_ADDR" 2 20 || fail "both workers not on A before the fault"
  ip netns exec "$NS_W" iptables -A OUTPUT -p tcp --dport "$MASTER_PORT" -j DROP \
    || skip "iptables failed in netns"
  ip netns exec "$NS_W" iptables -A INPUT -p tcp --sport "$MASTER_PORT" -j DROP
  local t0 moved b_before a_before
  t0=$(now)
  b_before=$(pool_count "$POOL2_STATS" accepted)
  wait_workers "$MASTER_B_ADDR" 1 40 || fail "w1 did not move to B within 40 s"
  moved=$(elapsed "$t0")
  wait_worker_on w1 "$MASTER_B_ADDR" 5 || fail "w1 does not say it is on B"
  wait_worker_on w2 "$MASTER_ADDR" 5 || fail "w2 left A"
  recover_after "$t0" "$POOL2_STATS" "$b_before" 20 1
  a_before=$(pool_count "$POOL_STATS" accepted)
  wait_pool_accepted "$POOL_STATS" $((a_before + 1)) 20 || fail "pool 1 stopped accepting (w2 on A)"
  ip netns exec "$NS_W" iptables -F
  local t1 back
  t1=$(now)
  wait_worker_on w1 "$MASTER_ADDR" $((MASTERS_HOLD + 30)) || fail "w1 did not return to A after healing"
  back=$(elapsed "$t1")
  settle w1 w2
  pools_rejected_none "$POOL_STATS" "$POOL2_STATS"
  RESULT_RECOVERY=$moved
  RESULT_NOTE="w1 on B ${moved} s after the partition (keepalive 10 s); back on A ${back} s after healing; w1 master_lost $(worker_summary w1 shares_master_lost)"
  MASTER_ADDR=$MASTER_B_ADDR assert_ledger "$POOL2_STATS"
}
