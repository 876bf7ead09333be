#!/usr/bin/env bash
# synth-pool as a process: --job-interval style flags, port 0 + --port-file, --stats-json written
# while running, SIGTERM → exit 0 with the final stats printed and written, and a bad
# --extranonce-subscribe mode → exit 2 naming the flag.
#   pool_binary_test.sh PATH/TO/synth-pool
set -euo pipefail
pool_bin=$1
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
rc=0
"$pool_bin" --listen 127.0.0.1:0 --extranonce-subscribe sometimes >/dev/null 2>"$tmp/err" || rc=$?
[[ $rc -eq 2 ]] && grep -q extranonce_subscribe "$tmp/err" ||
  { echo "bad --extranonce-subscribe: exit $rc"; cat "$tmp/err"; exit 1; }
"$pool_bin" --listen 127.0.0.1:0 --difficulty 0.5 --job-interval 0.05 --port-file "$tmp/port" \
  --extranonce-subscribe ckpool --stats-json "$tmp/stats.json" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 200); do [[ -s "$tmp/stats.json" ]] && break; sleep 0.05; done
[[ -s "$tmp/port" ]] || { echo "no port file"; cat "$tmp/err"; exit 1; }
[[ -s "$tmp/stats.json" ]] || { echo "no periodic stats"; exit 1; }
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[[ $rc -eq 0 ]] || { echo "exit status $rc after SIGTERM"; cat "$tmp/err"; exit 1; }
python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
final = json.load(open(f"{tmp}/stats.json"))
printed = json.loads(open(f"{tmp}/out").read().strip().splitlines()[-1])
assert final["jobs"] >= 2, final
assert printed["jobs"] == final["jobs"], (printed, final)
print("ok: jobs", final["jobs"])
PY
