#!/usr/bin/env bash
# synth-master refuses bad flags at once: exit 2, the flag named. A negative or non-finite
# --max-share-rate; a pool split (docs/CLUSTER.md "Pool split") whose --weights, --pool-level or
# --schedule does not fit the pools.
#   bad_flag_test.sh PATH/TO/synth-master
set -uo pipefail
master=$1
# expect_refused WHAT MESSAGE ARGS...: synth-master ARGS exits 2 and prints MESSAGE.
expect_refused() {
  local what=$1 message=$2 out rc
  shift 2
  out=$(timeout 20 "$master" --http-listen= "$@" 2>&1)
  rc=$?
  printf '%s\n' "$out"
  [[ $rc -eq 2 ]] || { echo "FAIL: $what exited $rc, want 2"; exit 1; }
  grep -q -- "$message" <<<"$out" || { echo "FAIL: $what: no error naming the flag"; exit 1; }
}
for v in -1 nan inf; do
  expect_refused "--max-share-rate=$v" "max-share-rate must be a finite number >= 0" \
    --max-share-rate="$v"
done
two=(--pool stratum+tcp://127.0.0.1:1 --pool stratum+tcp://127.0.0.1:2)
expect_refused "--weights 70,30,10 for two pools" "--weights" "${two[@]}" --weights 70,30,10
expect_refused "--weights 0,0" "--weights" "${two[@]}" --weights 0,0
expect_refused "--pool-level 0,-1" "--pool-level" "${two[@]}" --weights 1,1 --pool-level 0,-1
expect_refused "a schedule window without a zone" "zone" "${two[@]}" --weights 1,1 \
  --schedule "08:00-20:00 weights=0,1"
# The same keys in a config file (deploy/config/synth.conf).
conf=$(mktemp)
trap 'rm -f "$conf"' EXIT
printf '[synth-master]\npool = stratum+tcp://127.0.0.1:1\npool = stratum+tcp://127.0.0.1:2\nweights = 1,2,3\n' >"$conf"
expect_refused "weights = 1,2,3 in a config file" "--weights has 3 weights for 2 pools" \
  --config "$conf"
echo "ok: -1, nan and inf refused; split flags that do not fit the pools refused"
