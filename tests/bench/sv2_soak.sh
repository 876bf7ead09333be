#!/usr/bin/env bash
# Stratum V2 soak, the filed 60 s run of the CI test cluster_sv2 (tests/cluster/cluster.sh sv2):
# synth-pool with its SV2 side, synth-master on stratum2+tcp:// only, one one-thread worker,
# mining for --seconds; every share must be accepted, none rejected, and the master's ledger must
# reconcile (found = accepted = the pool's accepted, ledger gap 0). Prints a markdown table of
# the run. Every process it starts is stopped by PID (tests/cluster/lib.sh).
#
#   tests/bench/sv2_soak.sh [--seconds 60] [--build build/release]
#
# Exit status: the scenario's (0 pass, 1 fail, 77 a binary not built).
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=60
BUILD=${BUILD:-build/release}
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "sv2_soak.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
out=$(mktemp "${TMPDIR:-/tmp}/sv2_soak.XXXXXX")
trap 'rm -f "$out"' EXIT
BUILD=$BUILD SV2_SECONDS=$seconds SV2_SHARES=1 bash tests/cluster/cluster.sh sv2 >"$out" 2>&1
rc=$?
line=$(grep -E '^SV2RESULT ' "$out" | tail -n 1)
if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
  tail -n 40 "$out" >&2
  exit "$rc"
fi
python3 - "${line#SV2RESULT }" "$(uptime | sed 's/.*load average: //')" <<'PY'
import json, sys
r, load = json.loads(sys.argv[1]), sys.argv[2]
print("| seconds | master found | accepted | rejected | stale | ledger gap |"
      " worker found / accepted | pool accepted / rejected | SV2 channels | accepted/min |"
      " load after (1/5/15 min) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
print("| %(seconds)d | %(found)d | %(accepted)d | %(rejected)d | %(stale)d | %(ledger_gap)d |"
      " %(worker_found)d / %(worker_accepted)d | %(pool_accepted)d / %(pool_rejected)s |"
      " %(sv2_channels)d |" % r + " %.1f | %s |" % (60.0 * r["accepted"] / max(r["seconds"], 1), load))
PY
