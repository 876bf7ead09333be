#!/usr/bin/env bash
# synth-master refuses a negative or non-finite --max-share-rate at once: exit 2, the flag named.
#   bad_flag_test.sh PATH/TO/synth-master
set -uo pipefail
master=$1
for v in -1 nan inf; do
  out=$(timeout 20 "$master" --max-share-rate="$v" 2>&1)
  rc=$?
  printf '%s\n' "$out"
  [[ $rc -eq 2 ]] || { echo "FAIL: --max-share-rate=$v exited $rc, want 2"; exit 1; }
  grep -q "max-share-rate must be a finite number >= 0" <<<"$out" ||
    { echo "FAIL: --max-share-rate=$v: no error naming the flag"; exit 1; }
done
echo "ok: -1, nan and inf refused"
