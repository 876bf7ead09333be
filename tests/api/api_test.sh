#!/usr/bin/env bash
# End-to-end test of synth-master's cgminer API (docs/MONITORING.md "cgminer API"): two
# synth-pools, synth-master with --api-listen and --api-allow W:127.0.0.1, one CPU worker, all on
# loopback; tests/api/api_check.py (a client of the tests' own) reads summary, pools, devs in
# JSON and text, sends bad input, is refused a pool switch from 127.0.0.2 and switches from
# 127.0.0.1. No secret may appear in any answer or log.
#
#   tests/api/api_test.sh [POOL_BIN MASTER_BIN WORKER_BIN]
#
# Exit 0 pass, 1 fail, 77 skipped (binaries not built).
set -uo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 3 ] && { SYNTH_POOL=$1; SYNTH_MASTER=$2; SYNTH_WORKER=$3; }
source tests/cluster/lib.sh
synth_init
require_bins SYNTH_POOL SYNTH_MASTER SYNTH_WORKER
SECRET="api-pass-must-not-leak-$$"

POOL_A=$(free_port)
POOL_B=$(free_port)
MASTER_PORT=$(free_port)
API_PORT=$(free_port)
DIFFICULTY=$(share_difficulty 4)
start_bg pool_a "$SYNTH_POOL" --listen "127.0.0.1:$POOL_A" --difficulty "$DIFFICULTY" --password "$SECRET"
start_bg pool_b "$SYNTH_POOL" --listen "127.0.0.1:$POOL_B" --difficulty "$DIFFICULTY" --password "$SECRET"
wait_port "$POOL_A" 15 && wait_port "$POOL_B" 15 || fail "synth-pool did not listen"
start_bg master "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$POOL_A" \
  --pool "stratum+tcp://127.0.0.1:$POOL_B" --user api.rig --pass "$SECRET" \
  --listen "127.0.0.1:$MASTER_PORT" --http-listen= --api-listen "127.0.0.1:$API_PORT" \
  --api-allow W:127.0.0.1 --status-every 2
wait_port "$MASTER_PORT" 15 && wait_port "$API_PORT" 15 || fail "synth-master did not listen"
start_bg worker "$SYNTH_WORKER" --master "127.0.0.1:$MASTER_PORT" --devices cpu --threads 1 \
  --id api-w1 --status-seconds 1

(cd tests/api && python3 api_check.py "$API_PORT" api-w1 "$SECRET") || fail "cgminer API checks"
if grep -l -- "$SECRET" "$SYNTH_TMP"/master.log "$SYNTH_TMP"/worker.log; then
  fail "the pool password is logged"
fi
grep -q "denied 'switchpool'" "$SYNTH_TMP/master.log" || fail "the denied switchpool is not logged"
echo "PASS"
