# tests/cluster/lib.sh: helpers for the end-to-end cluster tests and tests/bench scripts.
# Source it; set BUILD (default build/release) first or pass binaries through SYNTH_POOL,
# SYNTH_MASTER, SYNTH_WORKER. Every process started with start_bg is ended by PID on exit
# (cleanup trap), never by name.
#
#   source tests/cluster/lib.sh
#   synth_init "$@"                       # temp dir, binaries, cleanup trap
#   (or synth_setup "$@": binaries from the arguments, synth_init, skip unless all are built)
#   pool_port=$(free_port)
#   start_bg pool "$SYNTH_POOL" --listen 127.0.0.1:$pool_port ...
#   wait_port $pool_port 10 || fail "pool did not listen"

set -uo pipefail

SYNTH_PIDS=()
SYNTH_NAMES=()

# Prints a message and exits non-zero (the trap ends our processes).
fail() {
  echo "FAIL: $*" >&2
  if [ -n "${SYNTH_TMP:-}" ]; then
    for f in "$SYNTH_TMP"/*.log; do
      [ -f "$f" ] || continue
      echo "---- last lines of $(basename "$f")" >&2
      tail -n 15 "$f" | sed 's/^/    /' >&2
    done
  fi
  exit 1
}

# Finds a built binary by name under $BUILD.
find_bin() {
  local name=$1 found
  found=$(find "$BUILD" -type f -name "$name" -perm -u+x 2>/dev/null | head -n 1)
  [ -n "$found" ] || return 1
  echo "$found"
}

synth_init() {
  BUILD=${BUILD:-build/release}
  # Programs staged for another host (tests/bench/stage.sh) bring their libraries in BUILD/lib.
  if [ -d "$BUILD/lib" ]; then
    export LD_LIBRARY_PATH="$BUILD/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
  SYNTH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/synth-cluster.XXXXXX")
  trap synth_cleanup EXIT
  trap 'exit 130' INT TERM
  SYNTH_POOL=${SYNTH_POOL:-$(find_bin synth-pool)} || true
  SYNTH_MASTER=${SYNTH_MASTER:-$(find_bin synth-master)} || true
  SYNTH_WORKER=${SYNTH_WORKER:-$(find_bin synth-worker)} || true
  SYNTH_CTL=${SYNTH_CTL:-$(find_bin synthctl)} || true
  # The binaries read SYNTH_<FLAG> from the environment; these names are ours, not flags.
  export -n SYNTH_POOL SYNTH_MASTER SYNTH_WORKER SYNTH_CTL SYNTH_TMP 2>/dev/null || true
}

# Exits 77 (CTest: skipped) unless every named binary variable is set to an executable.
require_bins() {
  local v
  for v in "$@"; do
    if [ -z "${!v:-}" ] || [ ! -x "${!v}" ]; then
      echo "SKIP: $v not built under $BUILD" >&2
      exit 77
    fi
  done
}

# synth_setup [POOL MASTER WORKER CTL]: the preamble of the scripts that start all four binaries
# (tests/ctl, tests/security, tests/faults): takes them from the arguments when all four are
# given (CMake passes $<TARGET_FILE:...>), else finds them under $BUILD; then synth_init, and
# exit 77 (skipped) unless each is built.
synth_setup() {
  if [ $# -ge 4 ]; then
    SYNTH_POOL=$1 SYNTH_MASTER=$2 SYNTH_WORKER=$3 SYNTH_CTL=$4
  fi
  synth_init
  require_bins SYNTH_POOL SYNTH_MASTER SYNTH_WORKER SYNTH_CTL
}

# Prints a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_bg NAME CMD ARGS...: starts CMD in the background with its output in $SYNTH_TMP/NAME.log
# and remembers its PID under NAME (pid_of NAME).
start_bg() {
  local name=$1
  shift
  "$@" >"$SYNTH_TMP/$name.log" 2>&1 &
  SYNTH_PIDS+=($!)
  SYNTH_NAMES+=("$name")
}

# Prints the PID of the newest process started under NAME.
pid_of() {
  local i
  for ((i = ${#SYNTH_NAMES[@]} - 1; i >= 0; i--)); do
    if [ "${SYNTH_NAMES[$i]}" = "$1" ]; then
      echo "${SYNTH_PIDS[$i]}"
      return 0
    fi
  done
  return 1
}

# kill9 PID: SIGKILL, reaped quietly (no shell "Killed" line).
kill9() {
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  return 0
}

# True while PID runs.
alive() { kill -0 "$1" 2>/dev/null; }

# stop_pid PID [SIGNAL]: sends SIGNAL (default TERM), waits up to 5 s, then SIGKILL.
stop_pid() {
  local pid=$1 sig=${2:-TERM} i
  alive "$pid" || return 0
  kill -"$sig" "$pid" 2>/dev/null
  for i in $(seq 1 50); do
    alive "$pid" || break
    sleep 0.1
  done
  alive "$pid" && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# Sanitizer builds (the asan/tsan presets run these scripts too): a report in any process's log
# fails the test, whatever the script concluded; the report's head is printed.
SYNTH_SANITIZER_RE='SUMMARY: [A-Za-z]+Sanitizer|^WARNING: ThreadSanitizer|^==[0-9]+==ERROR: |runtime error: '

# The EXIT trap: ends every process started with start_bg, runs SYNTH_CLEANUP_HOOKS (commands a
# script adds, e.g. removing its network namespaces), then fails on a sanitizer report; else
# keeps the script's exit status.
SYNTH_CLEANUP_HOOKS=()
synth_cleanup() {
  local rc=$? i f found=0
  for ((i = ${#SYNTH_PIDS[@]} - 1; i >= 0; i--)); do
    stop_pid "${SYNTH_PIDS[$i]}"
  done
  for f in "${SYNTH_CLEANUP_HOOKS[@]}"; do $f; done
  while IFS= read -r f; do
    found=1
    echo "FAIL: sanitizer report in $(basename "$f"):" >&2
    grep -m 1 -A 60 -E "$SYNTH_SANITIZER_RE" "$f" | sed 's/^/    /' >&2
  done < <(grep -rlE "$SYNTH_SANITIZER_RE" --include='*.log' "${SYNTH_TMP:-/nonexistent}" 2>/dev/null)
  if [ -n "${SYNTH_KEEP_TMP:-}" ]; then
    echo "logs kept in $SYNTH_TMP" >&2
  else
    rm -rf "$SYNTH_TMP"
  fi
  [ "$found" = 1 ] && exit 1
  exit "$rc"
}

# wait_port PORT SECONDS: waits until 127.0.0.1:PORT accepts connections.
wait_port() {
  local port=$1 secs=${2:-10} i
  for i in $(seq 1 $((secs * 10))); do
    if python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# wait_until SECONDS CMD [ARGS...]: runs CMD every 0.2 s until it succeeds (returns 0) or
# SECONDS have passed (returns 1). Tests wait for the event they assert, never for a fixed window.
wait_until() {
  local secs=$1 deadline
  shift
  deadline=$(($(date +%s%N) + secs * 1000000000))
  while true; do
    "$@" && return 0
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# share_difficulty SHARES_PER_S [THREADS]: the share difficulty at which one worker of THREADS
# CPU threads of this build finds about SHARES_PER_S shares per second on this machine now,
# from a 0.5 s `synth-worker --benchmark`. Sanitizer builds hash 5-10x slower than release and a
# CI machine's load varies, so a test sizes its difficulty from the rate it measures instead of
# assuming one (a fixed 0.002 gave a TSan worker one share per 2 s). Falls back to 0.002.
share_difficulty() {
  local want=$1 threads=${2:-1} hps="" out="$SYNTH_TMP/share_difficulty.json"
  "$SYNTH_WORKER" --benchmark --json --seconds 0.5 --threads "$threads" --devices cpu \
    >"$out" 2>/dev/null && hps=$(json_get "$out" total_hashes_per_second 2>/dev/null)
  python3 - "${hps:-0}" "$want" <<'PY'
import sys
hps, want = float(sys.argv[1]), float(sys.argv[2])
print("%.3g" % (max(hps / (want * 2**32), 1e-7) if hps > 0 else 0.002))
PY
}

# wait_log NAME REGEX SECONDS: waits until NAME's log matches REGEX.
wait_log() {
  local name=$1 re=$2 secs=${3:-10} i
  for i in $(seq 1 $((secs * 10))); do
    grep -Eq "$re" "$SYNTH_TMP/$name.log" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# json_get FILE KEY[.SUB...]: prints a value from a JSON file (or the last JSON line of a log).
json_get() {
  python3 - "$1" "$2" <<'PY'
import json, sys
path, key = sys.argv[1], sys.argv[2]
text = open(path).read()
obj = None
try:
    obj = json.loads(text)
except ValueError:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
                break
            except ValueError:
                pass
if obj is None:
    sys.exit(1)
for part in key.split("."):
    if not isinstance(obj, dict) or part not in obj:
        sys.exit(1)
    obj = obj[part]
print(obj)
PY
}

# start_pool_and_master USER: synth-pool (difficulty $DIFFICULTY, else sized for ~4 shares/s per
# one-thread worker: share_difficulty) and synth-master for it on this host's loopback, both listening when it returns. Sets POOL_PORT, MASTER_PORT, HTTP_PORT (free,
# for a worker's /healthz) and STATS (the pool's --stats_json file).
start_pool_and_master() {
  POOL_PORT=$(free_port)
  MASTER_PORT=$(free_port)
  HTTP_PORT=$(free_port)
  STATS=$SYNTH_TMP/pool_stats.json
  DIFFICULTY=${DIFFICULTY:-$(share_difficulty 4)}
  start_bg pool "$SYNTH_POOL" --listen "127.0.0.1:$POOL_PORT" --difficulty "$DIFFICULTY" \
    --stats_json "$STATS"
  wait_port "$POOL_PORT" 15 || fail "synth-pool did not listen"
  start_bg master "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$POOL_PORT" --user "$1" \
    --pass x --listen "127.0.0.1:$MASTER_PORT" --status-every 2
  wait_port "$MASTER_PORT" 15 || fail "synth-master did not listen"
}
