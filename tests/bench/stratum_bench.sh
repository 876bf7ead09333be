#!/usr/bin/env bash
# Stratum figures on loopback: the master's Stratum client against the synth-pool binary.
# Prints a table: submit round trip p50/p99 (one share in flight), pipelined submits/s, and
# synth-pool's share-check rate (from its --stats-json) next to the same-run baseline, a bare
# sha256d of an 80-byte header on one core (a check = coinbase + merkle + header hash).
#
#   tests/bench/stratum_bench.sh [BUILD_DIR=build/release] [SHARES=2000]
set -euo pipefail
build=${1:-build/release}
shares=${2:-2000}
pool_bin="$build/master/pool/synth-pool"
bench="$build/tests/stratum/stratum_bench"
for b in "$pool_bin" "$bench"; do
  [[ -x "$b" ]] || { echo "missing $b (build targets synth-pool stratum_bench)" >&2; exit 2; }
done
tmp=$(mktemp -d)
pool_pid=""
cleanup() {
  if [[ -n "$pool_pid" ]]; then kill -TERM "$pool_pid" 2>/dev/null || true; wait "$pool_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

"$pool_bin" --listen 127.0.0.1:0 --difficulty 1e-7 --job_interval 0 --port_file "$tmp/port" \
  --stats_json "$tmp/stats.json" >/dev/null 2>"$tmp/pool.log" &
pool_pid=$!
for _ in $(seq 100); do [[ -s "$tmp/port" ]] && break; sleep 0.05; done
port=$(cat "$tmp/port")
"$bench" --port "$port" --shares "$shares" --difficulty 1e-7 2>"$tmp/bench.log" >"$tmp/bench.txt"
kill -TERM "$pool_pid"
wait "$pool_pid" || true
pool_pid=""

python3 - "$tmp" "$shares" <<'PY'
import json, sys
tmp, shares = sys.argv[1], int(sys.argv[2])
b = {}
for line in open(f"{tmp}/bench.txt"):
    parts = line.split()
    if len(parts) == 2:
        try: b[parts[0]] = float(parts[1])
        except ValueError: pass
s = json.load(open(f"{tmp}/stats.json"))
pool_rate = s["shares_checked"] / s["check_seconds"] if s["check_seconds"] > 0 else 0
print(f"| metric | value | baseline (same run) | ratio |")
print(f"| --- | --- | --- | --- |")
print(f"| submit round trip p50 | {b['submit_rtt_p50_us']:.0f} µs | | |")
print(f"| submit round trip p99 | {b['submit_rtt_p99_us']:.0f} µs | | |")
print(f"| pipelined submits ({shares} in flight) | {b['pipelined_submits_per_s']:.0f} /s | | |")
print(f"| synth-pool share checks (in the server) | {pool_rate:.0f} /s | {b['header_hash_per_s']:.0f} header hashes/s | {pool_rate / b['header_hash_per_s']:.2f} |")
print(f"| CheckShare in-process (200k) | {b['check_share_per_s']:.0f} /s | {b['header_hash_per_s']:.0f} header hashes/s | {b['check_vs_hash']:.2f} |")
print(f"| pool verdicts | {s['accepted']} accepted, {s['rejected']} rejected | | |")
PY
