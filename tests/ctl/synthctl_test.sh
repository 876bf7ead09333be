#!/usr/bin/env bash
# End-to-end test of synthctl against real processes on loopback: two synth-pools, synth-master
# (token auth, both pools in its list) and one synth-worker. Runs every command in both output
# formats and asserts their content, drains the worker, switches pools by index, reconciles the
# share ledger, shows two masters (one of them down) with --master A,B status, then checks exit
# codes: wrong token 4, bad command 2, master down 3.
#
#   tests/ctl/synthctl_test.sh [POOL_BIN MASTER_BIN WORKER_BIN CTL_BIN]
# Exit 0 pass, 1 fail, 77 skipped (a binary is not built).
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/cluster/lib.sh
synth_setup "$@"

TOKEN="ctl-test-$RANDOM$RANDOM"
POOL1=$(free_port)
POOL2=$(free_port)
MASTER_PORT=$(free_port)
start_bg pool1 "$SYNTH_POOL" --listen "127.0.0.1:$POOL1" --difficulty 0.0005
start_bg pool2 "$SYNTH_POOL" --listen "127.0.0.1:$POOL2" --difficulty 0.0005
wait_port "$POOL1" 15 || fail "pool1 did not listen"
wait_port "$POOL2" 15 || fail "pool2 did not listen"
start_bg master "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$POOL1" \
  --pool "stratum+tcp://127.0.0.1:$POOL2" --user e2e --pass x \
  --listen "127.0.0.1:$MASTER_PORT" --token "$TOKEN" --http-listen '' --status-every 0
wait_port "$MASTER_PORT" 15 || fail "synth-master did not listen"
start_bg w1 "$SYNTH_WORKER" --master "127.0.0.1:$MASTER_PORT" --token "$TOKEN" --devices cpu \
  --threads 1 --id w1 --status-seconds 1

OUT="$SYNTH_TMP/out"
# ctl ARGS...: runs synthctl with the right token, output in $OUT, returns its exit code.
ctl() { SYNTH_TOKEN="$TOKEN" "$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" "$@" >"$OUT" 2>"$OUT.err"; }
# py EXPR: evaluates EXPR with `j` = the JSON in $OUT; fails the test when it is false.
py() {
  python3 -c "import json,sys; j=json.load(open('$OUT')); sys.exit(0 if ($1) else 1)" ||
    fail "assertion '$1' on: $(head -c 600 "$OUT")"
}
expect_in() { grep -qF -- "$1" "$OUT" || fail "'$1' not in output: $(head -c 600 "$OUT")"; }

# Wait for the worker and a few accepted shares.
for i in $(seq 1 150); do
  ctl -o json status && python3 -c "import json; j=json.load(open('$OUT')); exit(0 if j['workers']==1 and int(j['shares']['accepted'])>=3 else 1)" && break
  sleep 0.2
done
py "j['workers'] == 1 and int(j['shares']['accepted']) >= 3"

# status
ctl status || fail "status rc=$?"
expect_in "127.0.0.1:$POOL1 (connected)"; expect_in "15 min"; expect_in "difficulty  0.0005"
ctl -o json status || fail "status json"
py "j['pool_connected'] and 'last_5s_hps' in j['reported_rates'] and j['pool_difficulty'] == 0.0005 and j['job_id'] != ''"

# workers / devices
ctl workers || fail "workers"; expect_in "w1"; expect_in "leasing"
ctl -o json workers || fail "workers json"
py "j['workers'][0]['worker_id'] == 'w1' and j['workers'][0]['lease_state'] == 'leasing'"
ctl devices || fail "devices"; expect_in "DEVICE"; expect_in "cpu"
ctl -o json devices || fail "devices json"
py "j['workers'][0]['devices'][0]['kind'] == 'cpu'"

# jobs
ctl jobs || fail "jobs"; expect_in "POOL JOB"
ctl -o json jobs || fail "jobs json"
py "any(x['current'] for x in j['jobs'])"

# pools
ctl pools || fail "pools"; expect_in "127.0.0.1:$POOL2"; expect_in "standby"
ctl -o json pools || fail "pools json"
py "len(j['pools']) == 2 and j['pools'][0]['active'] and j['pools'][1]['state'] == 'standby'"

# shares
ctl shares --limit 5 || fail "shares"; expect_in "REASON"; expect_in "accepted"
ctl -o json shares --limit 5 || fail "shares json"
py "0 < len(j['recent']) <= 5 and j['recent'][0]['worker_id'] == 'w1'"
ctl shares --summary || fail "shares --summary"; expect_in "reconciles"
ctl -o json shares --summary || fail "shares --summary json"
py "j['reconciles'] and j['ledger_gap'] == 0 and int(j['totals']['found']) > 0"

# watch (not a TTY: no clear codes)
ctl watch --count 2 --interval 0.2 || fail "watch"
[ "$(grep -c 'history' "$OUT")" -eq 2 ] || fail "watch printed not 2 frames"
grep -q $'\033' "$OUT" && fail "watch wrote terminal codes to a pipe"
expect_in "w1"
ctl -o json watch --count 2 --interval 0.2 || fail "watch json"
[ "$(wc -l <"$OUT")" -eq 2 ] || fail "watch json: not 2 lines"
tail -n1 "$OUT" >"$OUT.1" && mv "$OUT.1" "$OUT"
py "'history' in j['status'] and j['workers']['workers'][0]['worker_id'] == 'w1'"

# drain
ctl drain nosuch; rc=$?; [ $rc -eq 1 ] || fail "drain of unknown worker rc=$rc (want 1)"
ctl -o json drain w1 || fail "drain"
py "j['worker_id'] == 'w1' and j['draining']"
ctl -o json workers || fail "workers after drain"
py "j['workers'][0]['lease_state'] in ('draining', 'drained') and j['workers'][0]['draining']"
ctl drain --undrain w1 || fail "undrain"; expect_in "leasing again"

# pool switch by index
ctl pool switch 7; rc=$?; [ $rc -eq 1 ] || fail "pool switch 7 rc=$rc (want 1)"
ctl -o json pool switch 1 || fail "pool switch 1"
py "j['index'] == 1 and j['url'].endswith(':$POOL2')"
for i in $(seq 1 50); do
  ctl -o json pools && python3 -c "import json; j=json.load(open('$OUT')); exit(0 if j['pools'][1]['active'] else 1)" && break
  sleep 0.2
done
py "j['pools'][1]['active'] and int(j['switches']) == 1"

# Several masters (one of them down): each is shown, the total counts the one that answered.
DEAD=$(free_port)
ctl2() { SYNTH_TOKEN="$TOKEN" "$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT,127.0.0.1:$DEAD" --timeout 2 "$@" >"$OUT" 2>"$OUT.err"; }
ctl2 -o json status; rc=$?; [ $rc -eq 3 ] || fail "two masters, one down: rc=$rc (want 3)"
py "j['masters_up'] == 1 and j['masters'][0]['ok'] and not j['masters'][1]['ok'] and j['total']['workers'] == 1 and 'unreachable' in j['masters'][1]['error']"
ctl2 status; expect_in "== master 127.0.0.1:$DEAD"; expect_in "== cluster (1 of 2 masters answered)"
ctl2 workers; rc=$?; [ $rc -eq 2 ] || fail "workers with two masters rc=$rc (want 2)"

# Exit codes.
SYNTH_TOKEN="not-it-$RANDOM-zq" "$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" status >"$OUT" 2>"$OUT.err"
rc=$?; [ $rc -eq 4 ] || fail "wrong token rc=$rc (want 4)"
grep -q refused "$OUT.err" || fail "no 'refused' in: $(cat "$OUT.err")"
grep -q "not-it-" "$OUT.err" && fail "the token was printed"; grep -q "$TOKEN" "$OUT.err" && fail "the token was printed"
ctl frobnicate; rc=$?; [ $rc -eq 2 ] || fail "bad command rc=$rc (want 2)"
grep -q usage "$OUT.err" || fail "no usage on stderr"
ctl --no-such-flag status; rc=$?; [ $rc -eq 2 ] || fail "bad flag rc=$rc (want 2)"
ctl drain; rc=$?; [ $rc -eq 2 ] || fail "drain without worker rc=$rc (want 2)"
stop_pid "$(pid_of w1)"
kill9 "$(pid_of master)"
start=$(date +%s)
ctl --timeout 2 status; rc=$?
[ $rc -eq 3 ] || fail "master down rc=$rc (want 3)"
grep -q "127.0.0.1:$MASTER_PORT" "$OUT.err" || fail "address not named: $(cat "$OUT.err")"
[ $(($(date +%s) - start)) -le 4 ] || fail "master down took too long"
echo "synthctl e2e: every command ok; exit codes 1/2/3/4 ok"
