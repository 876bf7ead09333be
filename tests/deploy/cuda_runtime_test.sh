#!/usr/bin/env bash
# tests/deploy/cuda_runtime_test.sh [WORKER POOL MASTER]: the final stage of
# deploy/docker/Dockerfile.cuda, built for real with podman around the library bundle of a CPU
# synth-worker (CTest label "deploy", ~1 min; needs root, podman, patchelf):
#
#   1. bundle-libs.sh makes /opt/synth from WORKER, as the Dockerfile's build stage does;
#   2. the Dockerfile's lines from "FROM ${RUNTIME_BASE}" on are built unchanged except the
#      COPY --from=build, which copies that bundle. Base: RUNTIME_BASE's default (an nvidia/cuda
#      image) when podman has it locally, else SYNTH_RUNTIME_BASE, else the Debian 12 base that
#      tests/deploy/podman_test.sh uses, debian:bookworm (short names, as the Dockerfile's; each
#      looked up in podman's local storage only, and built with --pull=never: nothing is pulled);
#   3. the container (host network) mines for synth-pool + synth-master on this host's
#      loopback: the pool accepts its shares, `podman healthcheck run` passes, it runs as
#      10001:10001, and the image has the final stage's ENV/ENTRYPOINT.
# Everything it creates is named synth-cuda-rt-test-$$ and removed on exit.
# Exit 0 pass, 1 fail, 77 skipped (tool, base image or binary missing, not root).
set -uo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 3 ] && { SYNTH_WORKER=$1; SYNTH_POOL=$2; SYNTH_MASTER=$3; }
source tests/cluster/lib.sh
for tool in podman patchelf python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (deploy/run.sh installs it)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (rootful podman)"; exit 77; }
synth_init
require_bins SYNTH_WORKER SYNTH_POOL SYNTH_MASTER

DOCKERFILE=deploy/docker/Dockerfile.cuda
RUN=synth-cuda-rt-test-$$
IMAGE=localhost/$RUN:latest
ULIMITS=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)  # as podman_test.sh
podman_cleanup() {
  podman rm -f -t 3 "$RUN" >/dev/null 2>&1
  podman rmi -f "$IMAGE" >/dev/null 2>&1
}
SYNTH_CLEANUP_HOOKS+=(podman_cleanup)

default_base=$(sed -n 's/^ARG RUNTIME_BASE=//p' "$DOCKERFILE")
base=""
for b in "$default_base" "${SYNTH_RUNTIME_BASE:-}" debian:bookworm; do
  if [ -n "$b" ] && podman image exists "$b"; then base=$b; break; fi
done
[ -n "$base" ] || { echo "SKIP: no base image in podman ($default_base, or the Debian 12 base deploy_podman imports)"; exit 77; }
echo "base: $base$([ "$base" = "$default_base" ] || echo " (instead of $default_base, not available here)")"

# 1. The bundle, in a build context of its own.
ctx=$SYNTH_TMP/ctx
deploy/docker/bundle-libs.sh "$ctx/opt/synth" "$SYNTH_WORKER" >"$SYNTH_TMP/bundle.log" 2>&1 ||
  { cat "$SYNTH_TMP/bundle.log"; fail "bundle-libs.sh"; }
install -m 755 deploy/docker/healthz.sh "$ctx/opt/synth/bin/healthz"
strip "$ctx/opt/synth/bin/synth-worker"

# 2. The final stage, as written, on the chosen base.
# (An ARG before FROM, as the Dockerfile's global ARGs are, so that --build-arg reaches FROM.)
{ echo 'ARG RUNTIME_BASE'; awk '/^FROM \$\{RUNTIME_BASE\}/ { on = 1 } on' "$DOCKERFILE"; } >"$ctx/Containerfile"
grep -q '^COPY --from=build /opt/synth /opt/synth$' "$ctx/Containerfile" ||
  fail "$DOCKERFILE's final stage does not COPY --from=build /opt/synth"
sed -i 's|^COPY --from=build /opt/synth /opt/synth$|COPY opt/synth /opt/synth|' "$ctx/Containerfile"
timeout 300 podman build --format docker "${ULIMITS[@]}" --build-arg "RUNTIME_BASE=$base" \
  --pull=never -f "$ctx/Containerfile" -t "$IMAGE" "$ctx" >"$SYNTH_TMP/build.log" 2>&1 ||
  { tail -20 "$SYNTH_TMP/build.log"; fail "podman build of the final stage"; }
echo "image: $(podman image inspect -f '{{.Size}}' "$IMAGE") bytes ($(podman image inspect -f '{{.Size}}' "$base") for the base)"
[ "$(podman image inspect -f '{{.Config.User}}' "$IMAGE")" = 10001:10001 ] || fail "image user is not 10001:10001"
[ "$(podman image inspect -f '{{json .Config.Entrypoint}}' "$IMAGE")" = '["/opt/synth/bin/synth-worker"]' ] ||
  fail "entrypoint is not /opt/synth/bin/synth-worker"
envs=$(podman image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE")
for e in NVIDIA_DRIVER_CAPABILITIES=compute,utility 'NVIDIA_REQUIRE_CUDA=cuda>=11.8' \
         SYNTH_HTTP_LISTEN=0.0.0.0:9651; do
  grep -qxF "$e" <<<"$envs" || fail "image env lacks $e"
done

# 3. The container mines for a master on this host.
start_pool_and_master cuda-rt
# SYNTH_DEVICES=all (the image's) is the CPU only in a build without CUDA.
podman run -d --name "$RUN" --network host "${ULIMITS[@]}" \
  -e "SYNTH_HTTP_LISTEN=127.0.0.1:$HTTP_PORT" "$IMAGE" \
  --master "127.0.0.1:$MASTER_PORT" --threads 1 --id cuda-rt >/dev/null 2>"$SYNTH_TMP/run.err" ||
  { cat "$SYNTH_TMP/run.err"; fail "podman run"; }
accepted=0
for _ in $(seq 1 150); do
  accepted=$(json_get "$STATS" accepted 2>/dev/null || echo 0)
  [ "${accepted%.*}" -ge 3 ] && break
  [ "$(podman inspect -f '{{.State.Running}}' "$RUN" 2>/dev/null)" = true ] ||
    { podman logs --tail 15 "$RUN"; fail "the container exited"; }
  sleep 0.2
done
[ "${accepted%.*}" -ge 3 ] || { podman logs --tail 15 "$RUN"; fail "the pool accepted $accepted shares in 30 s"; }
echo "pool: $accepted shares accepted from the container"
ok=0
for _ in $(seq 1 20); do
  if podman healthcheck run "$RUN" >/dev/null 2>&1; then ok=1; break; fi
  sleep 1
done
[ "$ok" = 1 ] || fail "podman healthcheck run does not pass"
[ "$(podman exec "$RUN" id -u):$(podman exec "$RUN" id -g)" = 10001:10001 ] || fail "container not uid/gid 10001"
echo "PASS: Dockerfile.cuda's final stage on $base: shares accepted, HEALTHCHECK passes, uid 10001"
