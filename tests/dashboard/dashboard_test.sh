#!/usr/bin/env bash
# End-to-end monitoring test: synth-pool + synth-master (--http-listen) + synth-worker
# (--http-listen) on loopback ephemeral ports, then
#   metrics   parses both /metrics pages (tests/dashboard/expo.py, not grep) for the documented
#             series, checks that every series the alert rules and the Grafana board name is
#             served, checks /healthz, 404/405 answers and that no secret is served;
#   chromium  loads the dashboard in headless Chromium, checks the DOM shows the worker and a
#             nonzero cluster rate, and saves a screenshot (dashboard.png in the temp dir, and
#             in $DASHBOARD_ARTIFACTS when set).
#
#   tests/dashboard/dashboard_test.sh MODE [POOL_BIN MASTER_BIN WORKER_BIN]
#
# Exit 0 pass, 1 fail, 77 skipped (binary not built, chromium not installed).
# SYNTH_KEEP_TMP=1 keeps the logs, pages and screenshot.
set -uo pipefail
cd "$(dirname "$0")/../.."
mode=${1:?usage: dashboard_test.sh metrics|chromium [POOL MASTER WORKER]}
[ $# -ge 4 ] && { SYNTH_POOL=$2; SYNTH_MASTER=$3; SYNTH_WORKER=$4; }
source tests/cluster/lib.sh
synth_init
require_bins SYNTH_POOL SYNTH_MASTER SYNTH_WORKER
EXPO="python3 tests/dashboard/expo.py"
SECRET="pw-must-not-leak-4711"

CHROMIUM=""
if [ "$mode" = chromium ]; then
  CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
  if [ -z "$CHROMIUM" ]; then
    echo "SKIP: chromium not installed (apt-get install -y chromium chromium-driver)"
    exit 77
  fi
fi

POOL_PORT=$(free_port)
MASTER_PORT=$(free_port)
MASTER_HTTP=$(free_port)
WORKER_HTTP=$(free_port)

# fetch NAME URL [METHOD]: saves the body to $SYNTH_TMP/NAME, prints the HTTP status (python3,
# so the test needs no curl).
fetch() {
  python3 - "$SYNTH_TMP/$1" "$2" "${3:-GET}" <<'PY'
import sys, urllib.request, urllib.error
out, url, method = sys.argv[1:4]
req = urllib.request.Request(url, method=method, data=b"x" if method == "POST" else None)
try:
    with urllib.request.urlopen(req, timeout=5) as r:
        code, body = r.status, r.read()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read()
except OSError:
    code, body = 0, b""
open(out, "wb").write(body)
print(code)
PY
}

# About 4 shares/s for the one-thread worker of this build, measured (sanitizer builds are slower).
DIFFICULTY=${DIFFICULTY:-$(share_difficulty 4)}
start_bg pool "$SYNTH_POOL" --listen "127.0.0.1:$POOL_PORT" --difficulty "$DIFFICULTY"
wait_port "$POOL_PORT" 15 || fail "synth-pool did not listen"
start_bg master "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$POOL_PORT" --user dash \
  --pass "$SECRET" --listen "127.0.0.1:$MASTER_PORT" --http-listen "127.0.0.1:$MASTER_HTTP" \
  --status-every 2
wait_port "$MASTER_PORT" 15 || fail "synth-master did not listen"
wait_port "$MASTER_HTTP" 15 || fail "synth-master HTTP did not listen on $MASTER_HTTP"
start_bg worker "$SYNTH_WORKER" --master "127.0.0.1:$MASTER_PORT" --devices cpu --threads 1 \
  --id dash-w1 --status-seconds 1 --http-listen "127.0.0.1:$WORKER_HTTP"
wait_port "$WORKER_HTTP" 20 || fail "synth-worker HTTP did not listen on $WORKER_HTTP"

# Wait until the master has an accepted share and the worker's rate reached it.
ok=""
for _ in $(seq 1 150); do
  if [ "$(fetch master.prom "http://127.0.0.1:$MASTER_HTTP/metrics")" = 200 ] &&
     $EXPO "$SYNTH_TMP/master.prom" check 'synth_shares_total{verdict=accepted}>=1' \
       'synth_hashrate_hashes_per_second{worker=dash-w1}>0' >/dev/null 2>&1; then
    ok=1
    break
  fi
  sleep 0.2
done
[ -n "$ok" ] || fail "no accepted share and worker rate on the master's /metrics in 30 s"

check_metrics() {
  $EXPO "$SYNTH_TMP/master.prom" check \
    'synth_pool_up==1' 'synth_workers>=1' 'synth_healthy==1' \
    'synth_hashrate_hashes_per_second{worker=dash-w1,device=cpu0}>0' \
    'synth_cluster_hashrate_hashes_per_second{source=reported}>0' \
    'synth_shares_total{verdict=accepted}>=1' 'synth_shares_total{verdict=rejected}==0' \
    'synth_shares_total{verdict=stale}>=0' 'synth_shares_found_total>=1' \
    'type:synth_shares_total=counter' 'type:synth_pool_up=gauge' \
    'histogram:synth_lease_duration_seconds' 'histogram:synth_job_switch_seconds' ||
    fail "master /metrics"
  [ "$(fetch worker.prom "http://127.0.0.1:$WORKER_HTTP/metrics")" = 200 ] ||
    fail "worker /metrics status"
  $EXPO "$SYNTH_TMP/worker.prom" check \
    'synth_hashrate_hashes_per_second{worker=dash-w1,device=cpu0}>0' \
    'synth_hashes_total{worker=dash-w1,device=cpu0}>0' 'synth_worker_master_connected==1' \
    'synth_shares_found_total>=1' 'type:synth_hashes_total=counter' || fail "worker /metrics"
  [ "$(fetch m.health "http://127.0.0.1:$MASTER_HTTP/healthz")" = 200 ] || fail "master /healthz"
  [ "$(fetch w.health "http://127.0.0.1:$WORKER_HTTP/healthz")" = 200 ] || fail "worker /healthz"
  [ "$(fetch nope "http://127.0.0.1:$MASTER_HTTP/nope")" = 404 ] || fail "unknown path not 404"
  [ "$(fetch post "http://127.0.0.1:$MASTER_HTTP/metrics" POST)" = 405 ] ||
    fail "POST not 405"
  [ "$(fetch status.json "http://127.0.0.1:$MASTER_HTTP/api/status")" = 200 ] || fail "api/status"
  [ "$(fetch page.html "http://127.0.0.1:$MASTER_HTTP/")" = 200 ] || fail "dashboard page"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["workers"][0]["worker_id"]=="dash-w1", d' \
    "$SYNTH_TMP/status.json" || fail "api/status JSON"
  # The alert rules and the Grafana board name only series a real master and worker serve
  # (GPU telemetry aside: a CPU worker has none).
  if python3 -c 'import yaml' 2>/dev/null; then
    python3 tests/deploy/monitoring_check.py live . "$SYNTH_TMP/master.prom" "$SYNTH_TMP/worker.prom" \
      --absent-ok synth_device_temperature_celsius,synth_device_power_watts ||
      fail "deploy/prometheus/alerts.yml or deploy/grafana names a series nobody serves"
  fi
  if grep -l -- "$SECRET" "$SYNTH_TMP"/*.prom "$SYNTH_TMP/status.json" "$SYNTH_TMP/page.html"; then
    fail "the pool password is served"
  fi
  echo "PASS: master and worker /metrics, /healthz, /api/status, 404/405, no secrets"
}

check_chromium() {
  local profile="$SYNTH_TMP/chromium-profile" url="http://127.0.0.1:$MASTER_HTTP/" dom
  local flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --disable-dev-shm-usage --user-data-dir="$profile")
  sleep 4  # Two more history samples for the chart.
  timeout 60 "$CHROMIUM" "${flags[@]}" --virtual-time-budget=6000 --dump-dom "$url" \
    >"$SYNTH_TMP/dom.html" 2>"$SYNTH_TMP/chromium.log" || fail "chromium --dump-dom failed"
  dom="$SYNTH_TMP/dom.html"
  grep -q 'data-worker="dash-w1"' "$dom" || fail "dashboard DOM has no row for dash-w1"
  python3 - "$dom" <<'PY' || fail "dashboard DOM: rate or pool state wrong"
import re, sys
dom = open(sys.argv[1]).read()
m = re.search(r'id="cluster-rate"[^>]*data-hps="([0-9.e+]+)"|data-hps="([0-9.e+]+)"[^>]*id="cluster-rate"', dom)
assert m and float(m.group(1) or m.group(2)) > 0, "no nonzero data-hps on #cluster-rate"
assert re.search(r'id="pool-state"[^>]*>connected<', dom), "pool-state is not 'connected'"
assert re.search(r'data-verdict="accepted"', dom), "no shares-by-verdict table"
PY
  rm -rf "$profile"
  timeout 60 "$CHROMIUM" "${flags[@]}" --virtual-time-budget=6000 --hide-scrollbars \
    --window-size=1280,900 --screenshot="$SYNTH_TMP/dashboard.png" "$url" \
    >>"$SYNTH_TMP/chromium.log" 2>&1 || fail "chromium --screenshot failed"
  python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); assert d[:8]==b"\x89PNG\r\n\x1a\n" and len(d)>5000' \
    "$SYNTH_TMP/dashboard.png" || fail "no PNG screenshot"
  if [ -n "${DASHBOARD_ARTIFACTS:-}" ]; then
    mkdir -p "$DASHBOARD_ARTIFACTS" && cp "$SYNTH_TMP/dashboard.png" "$DASHBOARD_ARTIFACTS/"
  fi
  echo "PASS: dashboard DOM shows dash-w1 and a nonzero rate; screenshot $SYNTH_TMP/dashboard.png"
}

case "$mode" in
  metrics) check_metrics ;;
  chromium) check_chromium ;;
  *) fail "unknown mode $mode" ;;
esac
