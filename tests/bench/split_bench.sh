#!/usr/bin/env bash
# The pool split over a long run (docs/CLUSTER.md "Pool split", figures in docs/BENCHMARKS.md):
# two synth-pools, a master with --weights 70,30 and two one-thread workers on loopback, mining
# for SECONDS (default 120) at about SHARES_PER_S accepted shares per second per worker (the
# difficulty sized from this build's measured rate). Prints per pool the weight, the hashes the
# master assigned and their share, the shares each pool accepted, their share and its distance
# from the weight in binomial standard deviations (Z). The CI variant of this run, shorter and
# with a looser bound, is the e2e test cluster_split_weights (tests/cluster/split.sh).
#
#   tests/bench/split_bench.sh [--seconds 120] [--shares-per-s 10] [--build build/release]
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=120 rate=10
BUILD=${BUILD:-build/release}
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --shares-per-s) rate=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
echo "split_bench: $(date -u +%Y-%m-%dT%H:%MZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
BUILD=$BUILD SPLIT_SECONDS=$seconds SPLIT_SHARES_PER_S=$rate bash tests/cluster/split.sh weights
