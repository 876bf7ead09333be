#!/usr/bin/env bash
# tests/cluster/lib_test.sh: the cleanup trap of lib.sh keeps a script's exit status, ends its
# processes, and fails a script whose processes printed a sanitizer report (as the asan/tsan
# presets' e2e runs rely on).
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
# The background sleep was ended by PID with its script.
if [ ! -s "$tmp/pid" ] || kill -0 "$(cat "$tmp/pid")" 2>/dev/null; then
  echo "FAIL: a process started with start_bg outlived its script"
  errors=$((errors + 1))
fi
[ "$errors" = 0 ] && echo "PASS" && exit 0
exit 1
