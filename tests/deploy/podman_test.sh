#!/usr/bin/env bash
# tests/deploy/podman_test.sh: the container deployment, for real, with podman (CTest label
# "deploy", not in the default suite; ~10-40 min, mostly the image build).
#
#   1. the base deploy/docker/Dockerfile names by its short name, debian:bookworm: any local
#      image podman resolves that name to is used as it is (podman's short-name resolution
#      looks in local storage first: a configured alias, then localhost/); else a Debian 12
#      base made here with debootstrap (from this host's apt sources), imported as
#      localhost/debian:bookworm (the rootfs tarball is cached in $SYNTH_DEPLOY_CACHE);
#   2. the master and CPU worker images built from deploy/docker/Dockerfile with --pull=never,
#      so FROM debian:bookworm is that local image and nothing is pulled or prompted for (the
#      host's ccache is offered read-only to the build);
#   3. synth-pool, synth-master and two synth-workers as containers on a podman network made
#      for this run, configured the way docker-compose.yml does it (SYNTH_* variables, a
#      mounted config file, token and pool password as secret files);
#   4. checks: the pool accepts shares from both workers, synthctl sees both, every
#      HEALTHCHECK passes, and neither secret appears in logs, inspect output or the images.
# Everything it creates is named synth-deploy-test-$$-* and removed on exit (by name).
# Exit 77 (skipped) when podman or debootstrap is missing.
set -uo pipefail
cd "$(dirname "$0")/../.."
for tool in podman debootstrap python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (deploy/run.sh installs it)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (rootful podman, debootstrap)"; exit 77; }

RUN=synth-deploy-test-$$
BASE=debian:bookworm             # deploy/docker/Dockerfile's ARG BASE, a short name
LOCAL_BASE=localhost/$BASE       # what an import is tagged, found by short-name resolution
CACHE=${SYNTH_DEPLOY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/synth-deploy}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/$RUN.XXXXXX")
# This host caps rlimits below podman's defaults (nofile 1048576): ask for less, explicitly.
ULIMITS=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
MASTER_IMAGE=localhost/synth-master:$RUN
WORKER_IMAGE=localhost/synth-worker:$RUN
created_base=0
t0=$(date +%s)

log() { echo "[$(($(date +%s) - t0))s] $*"; }
cleanup() {
  local c
  for c in worker2 worker1 master pool; do podman rm -f -t 5 "$RUN-$c" >/dev/null 2>&1; done
  podman network rm "$RUN-net" >/dev/null 2>&1
  podman secret rm "$RUN-token" "$RUN-pool-pass" >/dev/null 2>&1
  podman rmi -f "$MASTER_IMAGE" "$WORKER_IMAGE" >/dev/null 2>&1
  [ "$created_base" = 1 ] && podman rmi -f "$LOCAL_BASE" >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
  echo "FAIL: $*" >&2
  local c
  for c in pool master worker1 worker2; do
    echo "---- last log lines of $c" >&2
    podman logs --tail 15 "$RUN-$c" 2>&1 | sed 's/^/    /' >&2
  done
  exit 1
}

# 1. The base image.
base_id() { podman image inspect -f '{{.Id}}' "$1" 2>/dev/null; }
make_base() {
  grep -qx "ARG BASE=$BASE" deploy/docker/Dockerfile || fail "deploy/docker/Dockerfile's ARG BASE is not $BASE"
  # `podman image exists` and `image inspect` look in local storage only, never pull.
  if podman image exists "$BASE"; then
    log "base $BASE exists locally: $(podman image inspect -f '{{.RepoTags}} {{.Id}}' "$BASE" | cut -c1-120); using it"
    return
  fi
  mkdir -p "$CACHE"
  if [ ! -s "$CACHE/debian-bookworm.tar" ]; then
    local mirror
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null)
    [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
    [ -n "$mirror" ] || fail "no Debian mirror in this host's apt sources"
    log "debootstrap bookworm (minbase) from this host's mirror"
    timeout 1200 debootstrap --variant=minbase bookworm "$TMP/rootfs" "$mirror" \
      >"$TMP/debootstrap.log" 2>&1 || { tail -5 "$TMP/debootstrap.log"; fail "debootstrap"; }
    rm -rf "$TMP/rootfs/var/cache/apt/archives/"*.deb "$TMP/rootfs/var/lib/apt/lists/"*
    tar -C "$TMP/rootfs" --numeric-owner -cf "$CACHE/debian-bookworm.tar.part" . &&
      mv "$CACHE/debian-bookworm.tar.part" "$CACHE/debian-bookworm.tar"
    rm -rf "$TMP/rootfs"
  fi
  podman import --change 'CMD ["bash"]' "$CACHE/debian-bookworm.tar" "$LOCAL_BASE" >/dev/null ||
    fail "podman import"
  created_base=1
  [ -n "$(base_id "$LOCAL_BASE")" ] && [ "$(base_id "$BASE")" = "$(base_id "$LOCAL_BASE")" ] ||
    fail "the short name $BASE does not resolve to the imported $LOCAL_BASE"
  log "imported $LOCAL_BASE; $BASE resolves to it"
}

# 2. The images. --format docker keeps HEALTHCHECK (OCI images have none).
build_images() {
  local args=(--format docker --pull=never "${ULIMITS[@]}" -f deploy/docker/Dockerfile)
  local host_cache
  host_cache=$(ccache -k cache_dir 2>/dev/null)
  if [ -n "$host_cache" ] && [ -d "$host_cache" ]; then
    args+=(-v "$host_cache:/hostccache:ro" --build-arg "CCACHE_SECONDARY_STORAGE=file:/hostccache|read-only")
  fi
  log "building $MASTER_IMAGE"
  timeout 1800 podman build "${args[@]}" --target master -t "$MASTER_IMAGE" . \
    >"$TMP/build-master.log" 2>&1 || { tail -30 "$TMP/build-master.log"; fail "master image build"; }
  log "building $WORKER_IMAGE"
  timeout 600 podman build "${args[@]}" --target worker -t "$WORKER_IMAGE" . \
    >"$TMP/build-worker.log" 2>&1 || { tail -30 "$TMP/build-worker.log"; fail "worker image build"; }
  log "images: $(podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep "$RUN" | tr '\n' ' ')"
}

# 3. The cluster, configured like docker-compose.yml.
start_cluster() {
  TOKEN="tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  POOL_PASS="pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$TOKEN" | podman secret create "$RUN-token" - >/dev/null || fail "secret"
  printf '%s\n' "$POOL_PASS" | podman secret create "$RUN-pool-pass" - >/dev/null || fail "secret"
  podman network create "$RUN-net" >/dev/null || fail "network create"
  cat >"$TMP/synth.conf" <<EOF
# As deploy/config/synth.conf: one file for the farm, a section per program.
[synth-master]
user = deploy-test
status_every = 5
[synth-worker]
threads = 1
status_seconds = 5
EOF
  chmod 644 "$TMP/synth.conf"
  local common=(-d "${ULIMITS[@]}" --network "$RUN-net" -v "$TMP/synth.conf:/etc/synth/synth.conf:ro"
    -e SYNTH_CONFIG=/etc/synth/synth.conf)
  local sec="uid=10001,gid=10001,mode=0400"
  podman run "${common[@]}" --name "$RUN-pool" --entrypoint synth-pool \
    --secret "$RUN-pool-pass,target=pool_pass,$sec" "$MASTER_IMAGE" \
    --listen 0.0.0.0:3333 --difficulty 0.002 --password-file /run/secrets/pool_pass \
    --stats-json /var/lib/synth/stats.json >/dev/null || fail "pool container"
  podman run "${common[@]}" --name "$RUN-master" \
    --secret "$RUN-token,target=token,$sec" --secret "$RUN-pool-pass,target=pool_pass,$sec" \
    -e SYNTH_POOL="stratum+tcp://$RUN-pool:3333" -e SYNTH_TOKEN_FILE=/run/secrets/token \
    -e SYNTH_PASS_FILE=/run/secrets/pool_pass "$MASTER_IMAGE" >/dev/null || fail "master container"
  local w
  for w in worker1 worker2; do
    podman run "${common[@]}" --name "$RUN-$w" --secret "$RUN-token,target=token,$sec" \
      -e SYNTH_MASTER="$RUN-master:4650" -e SYNTH_TOKEN_FILE=/run/secrets/token \
      "$WORKER_IMAGE" --id "$w" >/dev/null || fail "$w container"
  done
  log "containers started on network $RUN-net"
}

stats() { podman exec "$RUN-pool" cat /var/lib/synth/stats.json 2>/dev/null; }

# 4. The checks.
check_shares() {
  local i accepted=0 workers=""
  for i in $(seq 1 90); do
    accepted=$(stats | python3 -c 'import json,sys; print(json.load(sys.stdin).get("accepted",0))' 2>/dev/null || echo 0)
    workers=$(podman exec "$RUN-master" synthctl --master 127.0.0.1:4650 \
      --token-file /run/secrets/token --json workers 2>/dev/null |
      python3 -c 'import json,sys; print(" ".join(sorted(w.get("worker_id","?") for w in json.load(sys.stdin).get("workers",[]))))' 2>/dev/null)
    if [ "${accepted:-0}" -ge 4 ] && [ "$workers" = "worker1 worker2" ]; then break; fi
    sleep 2
  done
  log "pool accepted $accepted shares; synthctl workers: $workers"
  [ "${accepted:-0}" -ge 4 ] || fail "pool accepted only ${accepted:-0} shares"
  [ "$workers" = "worker1 worker2" ] || fail "synthctl sees workers '$workers', want both"
  if podman exec "$RUN-master" synthctl --master 127.0.0.1:4650 --token wrong status >/dev/null 2>&1; then
    fail "synthctl with a wrong token was not refused"
  fi
}

check_health() {
  local c i ok
  for c in master worker1 worker2; do
    ok=0
    for i in $(seq 1 30); do
      if podman healthcheck run "$RUN-$c" >/dev/null 2>&1; then ok=1; break; fi
      sleep 2
    done
    [ "$ok" = 1 ] || fail "healthcheck of $c does not pass"
  done
  [ "$(podman inspect -f '{{.Config.User}}' "$RUN-master")" = "10001:10001" ] || fail "master runs as root"
  [ "$(podman exec "$RUN-worker1" id -u)" = 10001 ] || fail "worker runs as root"
  log "healthchecks pass (master, worker1, worker2); containers run as uid 10001"
}

check_secrets() {
  local where
  : >"$TMP/haystack"
  for c in pool master worker1 worker2; do
    podman logs "$RUN-$c" >>"$TMP/haystack" 2>&1
    podman inspect "$RUN-$c" >>"$TMP/haystack" 2>&1
  done
  podman exec "$RUN-master" synthctl --master 127.0.0.1:4650 --token-file /run/secrets/token \
    --json status >>"$TMP/haystack" 2>&1
  for img in "$MASTER_IMAGE" "$WORKER_IMAGE"; do
    podman image inspect "$img" >>"$TMP/haystack" 2>&1
    podman history --no-trunc "$img" >>"$TMP/haystack" 2>&1
    podman save "$img" >"$TMP/image.tar" 2>/dev/null || fail "podman save $img"
    if grep -aqF -e "$TOKEN" -e "$POOL_PASS" "$TMP/image.tar"; then fail "a secret is in image $img"; fi
    rm -f "$TMP/image.tar"
  done
  if grep -qF -e "$TOKEN" -e "$POOL_PASS" "$TMP/haystack"; then
    where=$(grep -nF -e "$TOKEN" -e "$POOL_PASS" "$TMP/haystack" | head -3 | cut -c1-60)
    fail "a secret appears in logs/inspect/status output: $where"
  fi
  log "no secret in logs, inspect output, synthctl status or image layers"
}

make_base
build_images
start_cluster
check_shares
check_health
check_secrets
log "PASS: podman deploy test (master + pool + 2 workers) in $(($(date +%s) - t0)) s"
