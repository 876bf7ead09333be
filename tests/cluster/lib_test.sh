#!/usr/bin/env bash
# tests/cluster/lib_test.sh: the cleanup trap of lib.sh keeps a script's exit status, ends its
# processes, and fails a script whose processes printed a sanitizer report (as the asan/tsan
# presets' e2e runs rely on); wait_until keeps its deadline; share_difficulty sizes a
# difficulty from a measured rate.
set -uo pipefail
lib="$(cd "$(dirname "$0")" && pwd)/lib.sh"
errors=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run_case WANT_RC BODY: runs BODY in a script that sources lib.sh; checks its exit status.
run_case() {
  local want=$1 body=$2 got
  bash -c "source '$lib'; synth_init; $body" >$tmp/out 2>&1
  got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: want exit $want, got $got for: $body"
    sed 's/^/    /' $tmp/out
    errors=$((errors + 1))
  else
    echo "ok: exit $got for: $body"
  fi
}

run_case 0 "start_bg quiet sleep 30; pid_of quiet > '$tmp/pid'; exit 0"
run_case 3 'start_bg quiet sleep 30; exit 3'
run_case 77 'exit 77'
run_case 1 'start_bg racy bash -c "echo WARNING: ThreadSanitizer: data race; sleep 30"; sleep 0.5; exit 0'
run_case 1 'start_bg leaky bash -c "echo SUMMARY: AddressSanitizer: 64 byte(s) leaked"; sleep 0.5; exit 0'
run_case 1 'start_bg ub bash -c "echo x.cc:3:5: runtime error: signed integer overflow"; sleep 0.5; exit 0'
run_case 0 "hook() { echo hooked > '$tmp/hook'; }; SYNTH_CLEANUP_HOOKS+=(hook); exit 0"
if [ "$(cat $tmp/hook 2>/dev/null)" != hooked ]; then
  echo "FAIL: the cleanup hook did not run"
  errors=$((errors + 1))
fi
# wait_until: true as soon as the condition holds; false once the deadline passes.
run_case 0 "touch '$tmp/later'; wait_until 5 test -e '$tmp/later'"
run_case 1 "t0=\$(date +%s); wait_until 1 false; rc=\$?; [ \$((\$(date +%s) - t0)) -le 3 ] && exit \$rc"
# share_difficulty: from a fake worker's benchmark JSON (100 MH/s, 4 shares/s wanted ->
# 1e8 / (4 * 2^32) = 0.00582), and 0.002 when the benchmark fails.
cat >"$tmp/fake_worker" <<'SH'
#!/usr/bin/env bash
echo '{"threads":1,"total_hashes_per_second":100000000.0}'
SH
chmod +x "$tmp/fake_worker"
run_case 0 "SYNTH_WORKER='$tmp/fake_worker'; [ \"\$(share_difficulty 4)\" = 0.00582 ]"
run_case 0 "SYNTH_WORKER=false; [ \"\$(share_difficulty 4)\" = 0.002 ]"
# The background sleep was ended by PID with its script.
if [ ! -s "$tmp/pid" ] || kill -0 "$(cat "$tmp/pid")" 2>/dev/null; then
  echo "FAIL: a process started with start_bg outlived its script"
  errors=$((errors + 1))
fi
[ "$errors" = 0 ] && echo "PASS" && exit 0
exit 1
