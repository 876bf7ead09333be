#!/usr/bin/env bash
# Interop of synth-master's cgminer API with clients nobody here wrote (not part of CI; the
# results are recorded in docs/MONITORING.md "cgminer API"):
#   - cgminer's api-example.c (built here with gcc; stub headers stand for cgminer's config.h,
#     compat.h and util.h, of which it uses only SOCKETTYPE), in its text and JSON modes;
#   - cgminer's api-example.py (Python 2, when a python2 is found);
#   - pyasic's cgminer RPC client (tests/api/pyasic_check.py loads it from pyasic's sources).
# Their sources are read from a checkout or a bare git mirror of ckolivas/cgminer and
# UpstreamData/pyasic; nothing is written into them and nothing is committed.
#
#   tests/api/interop.sh CGMINER_SRC PYASIC_SRC [POOL_BIN MASTER_BIN WORKER_BIN]
#
# The master allows writes from 127.0.0.2 only, so the clients (from 127.0.0.1) read and are
# refused switchpool. Exit 0 pass, 1 fail, 77 skipped (a source, gcc or a binary missing).
set -uo pipefail
cgminer_src=$(cd "${1:?usage: interop.sh CGMINER_SRC PYASIC_SRC}" && pwd)
pyasic_src=$(cd "${2:?usage: interop.sh CGMINER_SRC PYASIC_SRC}" && pwd)
cd "$(dirname "$0")/../.."
[ $# -ge 5 ] && { SYNTH_POOL=$3; SYNTH_MASTER=$4; SYNTH_WORKER=$5; }
source tests/cluster/lib.sh
synth_init
require_bins SYNTH_POOL SYNTH_MASTER SYNTH_WORKER
command -v gcc >/dev/null || { echo "SKIP: gcc missing"; exit 77; }
ext=$SYNTH_TMP/ext

# copy_out SRC PATH: copies PATH of a checkout or of a bare git mirror (HEAD) into $ext.
copy_out() {
  mkdir -p "$ext/$(dirname "$2")"
  if [ -f "$1/$2" ]; then
    cp "$1/$2" "$ext/$2"
  else
    git --git-dir="$1" show "HEAD:$2" >"$ext/$2" 2>/dev/null ||
      { echo "SKIP: $2 not in $1"; exit 77; }
  fi
}
for f in api-example.c api-example.py; do copy_out "$cgminer_src" "$f"; done
for f in pyasic/rpc/cgminer.py pyasic/rpc/base.py pyasic/misc/__init__.py \
         pyasic/errors/__init__.py; do
  copy_out "$pyasic_src" "$f"
done
# cgminer's util.h defines SOCKETTYPE (long on Unix); the rest of it is not used.
mkdir -p "$ext/stub" && touch "$ext/stub/config.h" "$ext/stub/compat.h" &&
  echo '#define SOCKETTYPE long' >"$ext/stub/util.h"
gcc -w -I "$ext/stub" -o "$ext/cgminer-api" "$ext/api-example.c" || fail "api-example.c did not build"

POOL_PORT=$(free_port)
MASTER_PORT=$(free_port)
API_PORT=$(free_port)
start_bg pool "$SYNTH_POOL" --listen "127.0.0.1:$POOL_PORT" --difficulty 0.002
wait_port "$POOL_PORT" 15 || fail "synth-pool did not listen"
start_bg master "$SYNTH_MASTER" --pool "stratum+tcp://127.0.0.1:$POOL_PORT" --user interop.rig \
  --pass x --listen "127.0.0.1:$MASTER_PORT" --http-listen= --api-listen "0.0.0.0:$API_PORT" \
  --api-allow W:127.0.0.2
wait_port "$API_PORT" 15 || fail "synth-master did not listen"
start_bg worker "$SYNTH_WORKER" --master "127.0.0.1:$MASTER_PORT" --devices cpu --threads 1 \
  --id interop-w1
ok=""
for _ in $(seq 1 150); do
  python3 tests/api/cgminer_client.py 127.0.0.1 "$API_PORT" '{"command":"summary"}' \
    >"$SYNTH_TMP/s.json" 2>/dev/null &&
    python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["SUMMARY"][0]; sys.exit(0 if s["Accepted"] > 0 and s["MHS 5s"] > 0 else 1)' \
      "$SYNTH_TMP/s.json" && { ok=1; break; }
  sleep 0.2
done
[ -n "$ok" ] || fail "no accepted share and rate in 30 s"

api() { "$ext/cgminer-api" "$@" 127.0.0.1 "$API_PORT"; }
echo "== api-example.c summary (text form, its own parser)"
api summary | tee "$SYNTH_TMP/c_summary.txt" | head -12
grep -q "^Reply was 'STATUS=S,When=" "$SYNTH_TMP/c_summary.txt" &&
  grep -q '^\[SUMMARY\] =>' "$SYNTH_TMP/c_summary.txt" &&
  grep -q '^   \[MHS av\] => ' "$SYNTH_TMP/c_summary.txt" || fail "api-example.c text summary"
echo "== api-example.c -o devs"
api -o devs | tee "$SYNTH_TMP/c_devs.txt"
grep -q '|ASC=0,Name=CPU,ID=0,Enabled=Y,Status=Alive,' "$SYNTH_TMP/c_devs.txt" || fail "devs"
echo "== api-example.c -o JSON summary+pools+devs"
api -o '{"command":"summary+pools+devs","parameter":""}' | tee "$SYNTH_TMP/c_joined.json" | cut -c1-300
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["id"]==1 and j["pools"][0]["POOLS"][0]["User"]=="interop.rig", j' \
  "$SYNTH_TMP/c_joined.json" || fail "api-example.c JSON joined answer"
echo "== api-example.c switchpool|0 (read-only address)"
api -o 'switchpool|0' | tee "$SYNTH_TMP/c_switch.txt"
grep -q "^STATUS=E,When=[0-9]*,Code=45,Msg=Access denied to 'switchpool' command," \
  "$SYNTH_TMP/c_switch.txt" || fail "switchpool not denied"

# api-example.py is Python 2 (print statement); a pyenv shim may exist without a runnable one.
py2=""
for c in python2.7 python2 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/2.7*/bin/python2.7; do
  if "$c" -c 'import json' 2>/dev/null; then py2=$c; break; fi
done
if [ -n "$py2" ]; then
  for c in summary devs 'pools' 'summary+pools+devs' 'check|switchpool'; do
    echo "== api-example.py $c"
    "$py2" "$ext/api-example.py" "$c" 127.0.0.1 "$API_PORT" | tee "$SYNTH_TMP/p2.txt" | cut -c1-300
    grep -q "u'STATUS': u'S'" "$SYNTH_TMP/p2.txt" || fail "api-example.py $c"
  done
else
  echo "note: no python2: cgminer's api-example.py not run"
fi

echo "== pyasic CGMinerRPCAPI"
python3 tests/api/pyasic_check.py "$ext" "$API_PORT" || fail "pyasic"
echo "PASS: api-example.c (text and JSON), api-example.py, pyasic's cgminer RPC client"
