#!/usr/bin/env bash
# CPU hash-core benchmark table: every core synth-worker can dispatch to, on 1 and 2 threads,
# run REPS times each (the machine is shared and noisy: the table shows the median and the best),
# plus the same-run baseline: the non-hoisted SHA-NI core from synth_hash_bench. Ratios are
# against cpuminer-opt's --benchmark figures for this machine class (26.1 MH/s
# on 1 thread, 51.8 MH/s on 2), which cannot be built here.
#
#   tests/bench/cpu_bench.sh [BUILD_DIR=build/release] [SECONDS=3] [REPS=3]
set -euo pipefail
build=${1:-build/release}
seconds=${2:-3}
reps=${3:-3}
worker="$build/worker/synth-worker"
bench="$build/common/hash/synth_hash_bench"
[[ -x "$worker" ]] || { echo "missing $worker (build target synth-worker)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Repetitions interleave synth-worker and the baseline, so load from other users of the machine
# hits both alike.
for ((r = 0; r < reps; r++)); do
  for threads in 1 2; do
    "$worker" --benchmark --json --seconds="$seconds" --threads="$threads" 2>/dev/null \
      >"$tmp/worker_t${threads}_r${r}.json"
  done
  if [[ -x "$bench" ]]; then
    "$bench" --benchmark_filter='sha-ni-plain' --benchmark_min_time="$seconds" \
      --benchmark_format=json 2>/dev/null >"$tmp/plain_r${r}.json"
  fi
done

python3 - "$tmp" "$reps" <<'PY'
import glob, json, os, statistics, sys
tmp, reps = sys.argv[1], int(sys.argv[2])
rates = {}  # (impl, threads) -> [MH/s]
cpu, selected = "?", "?"
for path in sorted(glob.glob(os.path.join(tmp, "worker_*.json"))):
    j = json.load(open(path))
    cpu, selected = j["cpu"], j["selected_cpu_impl"]
    for impl in j["implementations"]:
        rates.setdefault((impl["impl"], j["threads"]), []).append(impl["hashes_per_second"] / 1e6)
for plain in sorted(glob.glob(os.path.join(tmp, "plain_r*.json"))):
    for b in json.load(open(plain))["benchmarks"]:
        if b.get("run_type", "iteration") == "iteration":
            t = b["threads"]
            rates.setdefault(("sha-ni-plain (baseline)", t), []).append(b["items_per_second"] / 1e6)
cpuminer = {1: 26.1, 2: 51.8}
print(f"CPU: {cpu}; {reps} runs each; dispatcher picks: {selected}")
print(f"{'core':<24} {'thr':>3} {'median MH/s':>12} {'best MH/s':>10} {'vs cpuminer':>12} {'vs plain':>9}")
for (impl, t) in sorted(rates, key=lambda k: (k[1], -statistics.median(rates[k]))):
    v = rates[(impl, t)]
    base = rates.get(("sha-ni-plain (baseline)", t))
    vs_plain = f"{statistics.median(v) / statistics.median(base):.2f}x" if base else "-"
    print(f"{impl:<24} {t:>3} {statistics.median(v):>12.2f} {max(v):>10.2f} "
          f"{statistics.median(v) / cpuminer[t]:>11.2f}x {vs_plain:>9}")
PY
