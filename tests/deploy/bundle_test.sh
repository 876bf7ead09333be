#!/usr/bin/env bash
# tests/deploy/bundle_test.sh [WORKER POOL MASTER]: the library bundle of the GPU image
# (deploy/docker/bundle-libs.sh, used by Dockerfile.cuda) is self-contained, for real, on a CPU
# build of synth-worker (CTest label deploy-lint; ~15 s; needs root, patchelf, unshare, chroot):
#
#   1. bundle-libs.sh puts synth-worker and its libraries into ROOT/opt/synth;
#   2. ROOT gets only glibc and its loader from this host: no libstdc++, gRPC, OpenSSL, ... so
#      whatever the worker loads besides glibc must come from the bundle (as on an nvidia/cuda
#      Ubuntu base, whose own copies, if any, differ);
#   3. in ROOT (chroot, its own /dev and /proc, uid 10001 as in the image): the loader resolves
#      every library inside /opt/synth/lib, the hash cores pass their self-tests, and the
#      worker mines for a synth-master + synth-pool on this host's loopback: the pool accepts
#      its shares, and deploy/docker/healthz.sh (the image's HEALTHCHECK) passes on its /healthz
#      (and fails on a port nobody serves).
# Exit 0 pass, 1 fail, 77 skipped (a tool or binary missing, not root).
set -uo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 3 ] && { SYNTH_WORKER=$1; SYNTH_POOL=$2; SYNTH_MASTER=$3; }
source tests/cluster/lib.sh
for tool in patchelf unshare chroot python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (deploy/run.sh installs it)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (chroot, mount namespace)"; exit 77; }
synth_init
require_bins SYNTH_WORKER SYNTH_POOL SYNTH_MASTER

ROOT=$SYNTH_TMP/root
# The glibc part of the worker's dependencies, as ldd names them (same list as bundle-libs.sh).
glibc_files() {
  ldd "$SYNTH_WORKER" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3; next }
                               $1 ~ /^\// { n = $1; sub(/.*\//, "", n); print n, $1 }' |
    while read -r name path; do
      case "$name" in
        ld-linux*.so.* | libc.so.6 | libm.so.6 | libmvec.so.1 | libpthread.so.0 | libdl.so.2 | \
          librt.so.1 | libresolv.so.2 | libutil.so.1 | libanl.so.1 | libnsl.so.1) echo "$path" ;;
      esac
    done
}

# 1. The bundle.
deploy/docker/bundle-libs.sh "$ROOT/opt/synth" "$SYNTH_WORKER" >"$SYNTH_TMP/bundle.log" 2>&1 ||
  { cat "$SYNTH_TMP/bundle.log"; fail "bundle-libs.sh"; }
cat "$SYNTH_TMP/bundle.log"
[ -x "$ROOT/opt/synth/bin/synth-worker" ] || fail "no bundled synth-worker"
[ "$(patchelf --print-rpath "$ROOT/opt/synth/bin/synth-worker")" = '$ORIGIN/../lib' ] ||
  fail "RPATH is not \$ORIGIN/../lib"
for lib in libstdc++.so.6 libgrpc++.so.1.51 libprotobuf.so.32 libssl.so.3 libglog.so.1; do
  [ -f "$ROOT/opt/synth/lib/$lib" ] || fail "$lib not bundled"
done
for lib in libc.so.6 libm.so.6; do
  [ ! -e "$ROOT/opt/synth/lib/$lib" ] || fail "$lib (glibc) bundled"
done

# 2. A root with glibc only.
mkdir -p "$ROOT/dev" "$ROOT/proc" "$ROOT/tmp" && chmod 1777 "$ROOT/tmp"
while read -r f; do
  mkdir -p "$ROOT$(dirname "$f")" && cp -L "$f" "$ROOT$f"
done < <(glibc_files)
[ -x "$ROOT/lib64/ld-linux-x86-64.so.2" ] || [ -n "$(find "$ROOT" -name 'ld-linux*')" ] ||
  fail "no loader copied"
others=$(find "$ROOT" -path "$ROOT/opt" -prune -o -type f -print | sed "s|^$ROOT||" |
  grep -vE '/(ld-linux[^/]*|lib(c|m|mvec|pthread|dl|rt|resolv|util|anl|nsl)\.so\.[0-9]+)$')
[ -z "$others" ] || fail "the root holds more than glibc: $others"
echo "root: $(find "$ROOT" -path "$ROOT/opt" -prune -o -type f -print | wc -l) glibc files + the bundle"

# "${IN_ROOT[@]}" ARGS...: ARGS inside ROOT as uid 10001, with /dev and a /proc of its own
# mount namespace (gone with the process). The command's PID (the same after both execs) is
# appended to ROOT.pids: chroot's setuid clears unshare's --kill-child, so the test ends it by
# that PID itself.
IN_ROOT=(unshare --mount --fork --kill-child -- sh -c
  'echo $$ >>"$0.pids" && mount --rbind /dev "$0/dev" && mount -t proc proc "$0/proc" &&
   exec chroot --userspec=10001:10001 "$0" "$@"' "$ROOT")

# 3a. The loader, inside the root, finds every library in the bundle.
loader=$(cd "$ROOT" && find lib64 lib usr/lib -name 'ld-linux*' 2>/dev/null | head -n 1)
"${IN_ROOT[@]}" "/$loader" --list /opt/synth/bin/synth-worker >"$SYNTH_TMP/list.txt" 2>&1 ||
  { cat "$SYNTH_TMP/list.txt"; fail "the loader cannot resolve synth-worker in the root"; }
! grep -q 'not found' "$SYNTH_TMP/list.txt" || { cat "$SYNTH_TMP/list.txt"; fail "a library is missing"; }
outside=$(awk '$2 == "=>" { print $1, $3 }' "$SYNTH_TMP/list.txt" |
  grep -vE '^(libc|libm|libmvec|libpthread|libdl|librt|libresolv)\.so\.[0-9]+ ' |
  grep -v ' /opt/synth/bin/\.\./lib/')
[ -z "$outside" ] || fail "loaded from outside the bundle: $outside"
echo "loader: $(grep -c '/opt/synth/bin/../lib/' "$SYNTH_TMP/list.txt") libraries from /opt/synth/lib"

# 3b. The hash cores' self-tests, run by the bundled binary.
"${IN_ROOT[@]}" /opt/synth/bin/synth-worker --list-hash-cores >"$SYNTH_TMP/cores.txt" 2>&1 ||
  { cat "$SYNTH_TMP/cores.txt"; fail "synth-worker --list-hash-cores in the root"; }
grep -Eq '^scalar +ok +[0-9]' "$SYNTH_TMP/cores.txt" || { cat "$SYNTH_TMP/cores.txt"; fail "scalar core not ok"; }
echo "hash cores: $(grep -cE '^[a-z0-9-]+ +ok ' "$SYNTH_TMP/cores.txt") pass their self-test in the root"

# 3c. Mining for a master on this host, and the HEALTHCHECK probe.
start_pool_and_master bundle
rm -f "$ROOT.pids"
start_bg worker "${IN_ROOT[@]}" /opt/synth/bin/synth-worker --master "127.0.0.1:$MASTER_PORT" \
  --devices cpu --threads 1 --id bundled --status-seconds 1 --http-listen "127.0.0.1:$HTTP_PORT"
# The worker's own PID joins lib.sh's cleanup list (stopped first, it is the newest).
for _ in $(seq 1 50); do [ -s "$ROOT.pids" ] && break; sleep 0.1; done
worker_pid=$(tail -n 1 "$ROOT.pids" 2>/dev/null)
[ -n "$worker_pid" ] || fail "the bundled worker did not start"
SYNTH_PIDS+=("$worker_pid")
SYNTH_NAMES+=(worker-in-root)
accepted=0
for _ in $(seq 1 200); do
  accepted=$(json_get "$STATS" accepted 2>/dev/null || echo 0)
  [ "${accepted%.*}" -ge 3 ] && break
  alive "$worker_pid" || fail "the bundled worker exited"
  sleep 0.2
done
[ "${accepted%.*}" -ge 3 ] || fail "the pool accepted ${accepted} shares from the bundled worker in 40 s"
echo "pool: $accepted shares accepted from the bundled worker"
SYNTH_HTTP_LISTEN="127.0.0.1:$HTTP_PORT" timeout 5 deploy/docker/healthz.sh /healthz ||
  fail "healthz.sh fails on the bundled worker's /healthz"
if SYNTH_HTTP_LISTEN="127.0.0.1:$(free_port)" timeout 5 deploy/docker/healthz.sh 2>/dev/null; then
  fail "healthz.sh passes on a port nobody serves"
fi
echo "healthz.sh: passes on the worker's /healthz, fails on a closed port"
echo "PASS: bundled synth-worker runs on glibc alone"
