#!/usr/bin/env bash
# Token rotation under load (docs/SECURITY.md "Token rotation"): synth-master takes its tokens
# from --token-file; three CPU workers mine (rot-w1 and rot-w2 through relays that the test can
# cut, rot-w3 direct). The master's file goes OLD -> OLD+NEW (renamed over) -> NEW (rewritten
# in place), and SIGHUP re-reads it; meanwhile rot-w3 joins with NEW and rot-w2's own file is
# switched to NEW. Checked: the master logs each rotation without a token; no worker stream is
# dropped and the pool keeps accepting shares through the rotations; once the relays are cut,
# rot-w1 (still OLD) is refused at its next connect and rot-w2 reconnects with NEW, read again
# from its file; synthctl with NEW works, with OLD is refused (exit 4); no token in any log.
#   tests/security/rotation_test.sh [POOL MASTER WORKER CTL]
# Exit 0 pass, 1 fail, 77 skipped.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/cluster/lib.sh
synth_setup "$@"
EXPO="python3 tests/dashboard/expo.py"

OLD="old$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')Rt"
NEW="new$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')Rt"
D=$SYNTH_TMP
printf '%s\n' "$OLD" >"$D/master_tokens"
printf '%s\n' "$OLD" >"$D/w1_token"
printf '%s\n' "$OLD" >"$D/w2_token"
printf '%s\n' "$NEW" >"$D/w3_token"

POOL_PORT=$(free_port); MASTER_PORT=$(free_port); R1=$(free_port); R2=$(free_port)
H1=$(free_port); H2=$(free_port); H3=$(free_port)
POOL_STATS=$D/pool_stats.json
# About 4 shares/s per worker, whatever this build's speed (sanitizers included).
start_bg pool "$SYNTH_POOL" --listen "127.0.0.1:$POOL_PORT" --difficulty "$(share_difficulty 4)" \
  --stats_json "$POOL_STATS"
wait_port "$POOL_PORT" 15 || fail "pool did not listen"
start_bg master "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$POOL_PORT" --user rot \
  --token-file "$D/master_tokens" --listen "127.0.0.1:$MASTER_PORT" --http-listen= \
  --status-every 1
wait_port "$MASTER_PORT" 15 || fail "master did not listen"
relay() { start_bg "relay$1" python3 tests/faults/delay_relay.py "127.0.0.1:$2" "127.0.0.1:$MASTER_PORT" 0 600; }
relay 1 "$R1"; relay 2 "$R2"
wait_port "$R1" 10 && wait_port "$R2" 10 || fail "relays did not listen"
worker() {  # worker N MASTER_PORT HTTP_PORT
  start_bg "w$1" "$SYNTH_WORKER" --master "127.0.0.1:$2" --token-file "$D/w$1_token" \
    --devices cpu --threads 1 --id "rot-w$1" --status-seconds 1 --http-listen "127.0.0.1:$3"
}
worker 1 "$R1" "$H1"; worker 2 "$R2" "$H2"

# metric N NAME: a worker's metric, as an integer ("" when unreadable).
metric() {
  local port v
  port=$(eval echo "\$H$1")
  python3 - "http://127.0.0.1:$port/metrics" "$D/m$1.prom" <<'PY' 2>/dev/null || return 0
import sys, urllib.request
open(sys.argv[2], "wb").write(urllib.request.urlopen(sys.argv[1], timeout=3).read())
PY
  v=$($EXPO "$D/m$1.prom" get "$2" 2>/dev/null) && echo "${v%.*}"
}
connected() { [ "$(metric "$1" synth_worker_master_connected)" = "1" ]; }
streams() { metric "$1" synth_worker_streams_total; }
pool_acc() { local v; v=$(json_get "$POOL_STATS" accepted 2>/dev/null) || v=0; echo "${v%.*}"; }
pool_above() { [ "$(pool_acc)" -gt "$1" ]; }
streams_at_least() { local v; v=$(streams "$1"); [ -n "$v" ] && [ "$v" -ge "$2" ]; }
wait_until 30 connected 1 && wait_until 30 connected 2 || fail "workers did not connect"
wait_until 30 pool_above 2 || fail "no shares accepted before the rotation"

# Rotation 1: NEW joins OLD (a new file renamed over the old one).
printf '%s\n%s\n' "$OLD" "$NEW" >"$D/master_tokens.tmp" && mv "$D/master_tokens.tmp" "$D/master_tokens"
wait_log master 'rotation: 2 token\(s\) accepted, 1 added, 0 removed' 10 || fail "no rotation 1"
acc1=$(pool_acc)
worker 3 "$MASTER_PORT" "$H3"
wait_until 30 connected 3 || fail "rot-w3 (NEW) was not accepted during the overlap"
printf '%s\n' "$NEW" >"$D/w2_token"

# Rotation 2: OLD leaves (rewritten in place), then SIGHUP re-reads the same file.
printf '%s\n' "$NEW" >"$D/master_tokens"
wait_log master 'rotation: 1 token\(s\) accepted, 0 added, 1 removed' 10 || fail "no rotation 2"
kill -HUP "$(pid_of master)"
wait_log master 'SIGHUP\): unchanged, 1 token\(s\) accepted' 10 || fail "SIGHUP did not re-read"
wait_until 30 pool_above "$acc1" || fail "the pool accepted nothing after rotation 2"
for n in 1 2 3; do
  connected "$n" && [ "$(streams "$n")" = 1 ] || fail "rot-w$n's stream was dropped by the rotation"
done
echo "rotation under load: 3 streams kept, pool accepted $acc1 -> $(pool_acc)"

# Next connect: cut both relays and bring them back.
stop_pid "$(pid_of relay1)"; stop_pid "$(pid_of relay2)"
relay 1 "$R1"; relay 2 "$R2"
wait_log w1 "refused this worker's credentials" 30 || fail "rot-w1 (OLD) was not refused"
wait_until 30 streams_at_least 2 2 || fail "rot-w2 did not reconnect"
wait_until 30 connected 2 || fail "rot-w2 (NEW, re-read) was not accepted"
grep -q 'worker stream from .* refused: wrong token' "$D/master.log" || fail "master did not log the refusal"
connected 1 && fail "rot-w1 is connected with a removed token"
"$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" --token-file "$D/w3_token" workers >"$D/ctl.txt" 2>&1 ||
  fail "synthctl with NEW: $(cat "$D/ctl.txt")"
grep -q rot-w2 "$D/ctl.txt" && grep -q rot-w3 "$D/ctl.txt" && ! grep -q rot-w1 "$D/ctl.txt" ||
  fail "synthctl workers: $(cat "$D/ctl.txt")"
"$SYNTH_CTL" --master "127.0.0.1:$MASTER_PORT" --token-file "$D/w1_token" status >/dev/null 2>&1
[ $? -eq 4 ] || fail "synthctl with OLD was not refused with exit 4"
if grep -lF -e "$OLD" -e "$NEW" "$D"/*.log; then fail "a token is in a log"; fi
echo "PASS: token rotation under load"
