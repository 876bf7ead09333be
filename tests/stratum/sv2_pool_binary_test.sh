#!/usr/bin/env bash
# synth-pool's SV2 side as a process: --sv2-listen with port 0 logs the full stratum2+tcp:// URL
# (what scripts read), the authority key file is created 0600 and reused after a restart (same
# key in the URL), the secret never reaches the log, and sv2_probe handshakes, opens a channel
# and gets its shares accepted.
#   sv2_pool_binary_test.sh PATH/TO/synth-pool PATH/TO/sv2_probe
source "$(dirname "$0")/../cluster/lib.sh"
pool_bin=$1
probe_bin=$2
synth_init
key=$SYNTH_TMP/authority.key

# start_pool NAME: starts synth-pool with its SV2 side and sets $url from its log. (Not in a
# $(...) subshell: start_bg must record the PID in this shell for stop_pid and the cleanup.)
start_pool() {
  start_bg "$1" "$pool_bin" --listen 127.0.0.1:0 --sv2-listen 127.0.0.1:0 \
    --sv2-authority-key-file "$key" --difficulty 0.00001 --job-interval 0 \
    --stats-json "$SYNTH_TMP/$1.json"
  wait_log "$1" 'SV2 listening on stratum2\+tcp://' 15 || fail "$1: no SV2 URL in the log"
  url=$(grep -oE 'stratum2\+tcp://[^ ]+' "$SYNTH_TMP/$1.log" | head -n 1)
}

start_pool pool1
echo "pool URL: $url"
[ "$(stat -c %a "$key")" = 600 ] || fail "key file mode $(stat -c %a "$key"), want 600"
secret=$(tr -d '\n' <"$key")
[ ${#secret} -eq 64 ] || fail "key file holds ${#secret} characters, want 64 hex digits"
grep -qi "$secret" "$SYNTH_TMP/pool1.log" && fail "the secret key is in the log"

"$probe_bin" --url "$url" --shares 2 >"$SYNTH_TMP/probe.log" 2>&1 ||
  fail "sv2_probe against $url failed"
grep -q '"accepted": 2' "$SYNTH_TMP/probe.log" || fail "probe did not report 2 accepted shares"

stop_pid "$(pid_of pool1)"
[ "$(json_get "$SYNTH_TMP/pool1.json" accepted)" = 2 ] || fail "pool did not count 2 accepted"
[ "$(json_get "$SYNTH_TMP/pool1.json" sv2_channels)" = 1 ] || fail "pool did not count the channel"

# A restart reads the same key: the URL's authority key does not change.
first_url=$url
start_pool pool2
url2=$url
[ "${url2##*/}" = "${first_url##*/}" ] || fail "authority key changed across restarts: $url2 vs $first_url"
grep -q "authority key from $key" "$SYNTH_TMP/pool2.log" || fail "restart did not read the key file"
# A probe that expects another authority is refused, and the pool keeps serving.
wrong=${url2%/*}/9bXiEd8boQVhq7WddEcERUL5tyyJVFYdU8th3HfbNXK3Yw6GRXh  # the specification's key
"$probe_bin" --url "$wrong" --timeout_ms 5000 >"$SYNTH_TMP/wrong.log" 2>&1 &&
  fail "a probe with another authority key got work"
grep -q "not signed by the pool's authority key" "$SYNTH_TMP/wrong.log" ||
  fail "no clear certificate error: $(tail -n 2 "$SYNTH_TMP/wrong.log")"
"$probe_bin" --url "$url2" >"$SYNTH_TMP/probe2.log" 2>&1 || fail "sv2_probe after restart failed"
echo "ok: $url2"
