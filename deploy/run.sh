#!/usr/bin/env bash
# synth quick start: installs what a fresh Debian 12 machine needs, builds, and then
#   deploy/run.sh demo   runs the main job (a local cluster mining against the local pool), or
#   deploy/run.sh test   runs the whole test suite.
# Run as root (or with sudo available) from anywhere inside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache keys on paths relative to the checkout, so a fresh clone elsewhere (CI) and git
# worktrees reuse each other's objects.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
mode=${1:-demo}
shift || true

PACKAGES=(build-essential cmake ninja-build ccache pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libgoogle-glog-dev libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libasio-dev libssl-dev libcpp-httplib-dev libsecp256k1-dev
  clang libclang-rt-14-dev procps iproute2 iptables python3 chromium chromium-driver
  docker-compose python3-yaml systemd patchelf prometheus tzdata)
# prometheus brings promtool, which the deploy-lint test of the alert rules runs.
# The deploy-lint tests render deploy/k8s with kubectl; another kubectl (e.g. a vendor package)
# conflicts with Debian's, so kubernetes-client only where none is present.
command -v kubectl >/dev/null || PACKAGES+=(kubernetes-client)

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

build() {
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)"
}

install_deps
build
# Bounded libFuzzer runs (clang, ASan+UBSan) of the Stratum codec (30 s), of the master's
# worker-message handling (25 s), of SV2 frames, messages and the client session (20 s) and of
# the downstream Stratum session (20 s), before the main suite so that the suite's summary is the
# last thing printed.
fuzz() {
  CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSYNTH_WITH_CUDA=OFF -DSYNTH_BUILD_FUZZERS=ON -DSYNTH_SANITIZE="address;undefined" >/dev/null
  cmake --build build/fuzz --target stratum_codec_fuzzer master_worker_fuzzer sv2_frame_fuzzer \
    hub_session_fuzzer \
    -j "$(nproc)"
  ctest --test-dir build/fuzz -L fuzz --output-on-failure
}

# Sanitizers (presets asan and tsan, CUDA off, -O1), on by default: each whole preset (ASan +
# UBSan, then TSan, over every test but the deploy/deploy-lint/soak/slow/gpu labels, the e2e
# tests with real pool, master, worker and synthctl processes included: lib.sh fails them on a
# report in any process's log). SYNTH_SANITIZE_STEP=0 skips the step. Measured on 2 cores
# (docs/RELIABILITY.md "Sanitizers"): asan cold build 12 min, tests 6-10 min; tsan tests 5.5
# min. Any report fails the step (halt_on_error; the exit status fails ctest); the suppression
# files name third-party code only.
sanitize() {
  local p mode=${SYNTH_SANITIZE_STEP:-1}
  case "$mode" in
    0) echo "== sanitizer presets skipped (SYNTH_SANITIZE_STEP=0)"; return 0 ;;
    1|full) ;;
    *) echo "SYNTH_SANITIZE_STEP must be 0 or 1 (got '$mode')" >&2; exit 2 ;;
  esac
  for p in asan tsan; do
    echo "== sanitizer preset $p"
    cmake --preset "$p" >/dev/null
    cmake --build --preset "$p" -j "$(nproc)"
    ctest --preset "$p" -j "$(nproc)"
  done
}

case "$mode" in
  demo) exec tests/bench/demo.sh "$@" ;;
  test)
    fuzz
    sanitize
    exec ctest --preset release -j "$(nproc)" "$@" ;;
  *) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac
