#!/usr/bin/env bash
# Client-side lint of the deployment files (CTest label deploy-lint, part of the default suite):
#   lint_test.sh compose   docker-compose config -q, every profile, secrets made in a temp copy
#   lint_test.sh k8s       kubectl kustomize deploy/k8s and deploy/k8s-ha (two masters), then
#                          structural checks (k8s_check.py)
#   lint_test.sh systemd   systemd-analyze verify deploy/systemd/*.service in a scratch root
#   lint_test.sh prometheus  promtool check config/rules and test rules (deploy/prometheus), the
#                          Alertmanager and Grafana files, metric names against the exporters
# A missing tool: exit 77 (skipped) with the reason. Needs no network, cluster or daemon.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
what=${1:?compose|k8s|systemd}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
skip() { echo "SKIP: $*"; exit 77; }
need() { command -v "$1" >/dev/null || skip "$1 not installed ($2)"; }

# A copy of the deploy files with throw-away secrets, so the checkout is never written to.
stage() {
  cp "$src/docker-compose.yml" "$tmp/"
  mkdir -p "$tmp/deploy" && cp -r "$src/deploy/compose" "$src/deploy/config" "$src/deploy/docker" \
    "$src/deploy/k8s" "$src/deploy/k8s-ha" "$src/deploy/prometheus" "$src/deploy/alertmanager" \
    "$src/deploy/grafana" "$tmp/deploy/"
  rm -rf "$tmp/deploy/compose/secrets" "$tmp/deploy/k8s/secrets"
  "$tmp/deploy/compose/make-secrets.sh" >/dev/null
}

case "$what" in
  compose)
    need docker-compose "Debian package docker-compose"
    stage
    cd "$tmp"
    # Every profile's services must resolve; the gpu one must use Dockerfile.cuda, which exists.
    docker-compose -f docker-compose.yml config -q
    COMPOSE_PROFILES=demo,gpu,ha,monitoring docker-compose -f docker-compose.yml config -q
    COMPOSE_PROFILES=demo,gpu,ha,monitoring docker-compose -f docker-compose.yml config >"$tmp/rendered.yml"
    for s in master master-b worker worker-gpu pool prometheus alertmanager grafana; do
      grep -q "^  $s:" "$tmp/rendered.yml" || { echo "FAIL: service $s missing"; exit 1; }
    done
    # Profile ha: workers list both masters; master-b signs in under its own worker name.
    [ "$(grep -c 'SYNTH_MASTER: master:4650,master-b:4650' "$tmp/rendered.yml")" -eq 2 ] \
      || { echo "FAIL: workers do not list both masters"; exit 1; }
    grep -q 'SYNTH_USER: synth-b' "$tmp/rendered.yml" || { echo "FAIL: master-b's user"; exit 1; }
    grep -q "dockerfile: deploy/docker/Dockerfile.cuda" "$tmp/rendered.yml"
    [ -f deploy/docker/Dockerfile.cuda ] || { echo "FAIL: Dockerfile.cuda missing"; exit 1; }
    grep -q "driver: nvidia" "$tmp/rendered.yml" && grep -q -- "- gpu" "$tmp/rendered.yml"
    # Every image by short name (no registry host), like the Dockerfiles' bases below; the
    # monitoring services mount the files the prometheus lint checks.
    if grep -E '^ +image: ' "$tmp/rendered.yml" | grep -Eq 'image: ([^/ ]*[.:][^/ ]*|localhost)/'; then
      echo "FAIL: an image is named with a host: $(grep -E '^ +image: ' "$tmp/rendered.yml" | tr -s ' \n' ' ')"
      exit 1
    fi
    for f in deploy/prometheus/prometheus.yml deploy/prometheus/alerts.yml \
             deploy/alertmanager/alertmanager.yml deploy/grafana/dashboards/synth.json; do
      [ -f "$f" ] || { echo "FAIL: $f missing"; exit 1; }
    done
    # The secrets are files, never values in the rendered config.
    for f in deploy/compose/secrets/*; do
      ! grep -qF "$(cat "$f")" "$tmp/rendered.yml" || { echo "FAIL: secret value rendered"; exit 1; }
    done
    # Dockerfiles: non-root final stages with a /healthz HEALTHCHECK.
    for d in deploy/docker/Dockerfile deploy/docker/Dockerfile.cuda; do
      grep -q '^USER 10001' "$d" && grep -q '^HEALTHCHECK' "$d" && grep -q '/healthz' "$d" \
        || { echo "FAIL: $d: USER/HEALTHCHECK"; exit 1; }
      # Base images by short name (debian:bookworm, nvidia/cuda:TAG): no host part, so Docker
      # and podman resolve them with their own configuration (podman_test.sh: a local image).
      if grep -E '^(ARG [A-Z_]*BASE=|FROM )' "$d" | grep -Eq '(=|FROM )([^/ $]*[.:][^/ ]*|localhost)/'; then
        echo "FAIL: $d: a base image is named with a host: $(grep -E '^(ARG [A-Z_]*BASE=|FROM )' "$d" | tr '\n' ' ')"
        exit 1
      fi
    done
    grep -q 'NVIDIA_DRIVER_CAPABILITIES=compute,utility' deploy/docker/Dockerfile.cuda
    # The GPU image's final stage: an nvidia/cuda base, no distribution package (the builder's
    # bundle-libs.sh brings every library but glibc; tests/deploy/bundle_test.sh runs it), and
    # a HEALTHCHECK without curl (deploy/docker/healthz.sh).
    d=deploy/docker/Dockerfile.cuda
    grep -q '^ARG RUNTIME_BASE=nvidia/cuda:[0-9.]*-base-ubuntu24.04$' "$d" \
      || { echo "FAIL: $d: RUNTIME_BASE is not an nvidia/cuda -base-ubuntu24.04 tag"; exit 1; }
    final=$(awk '/^FROM \$\{RUNTIME_BASE\}/ { on = 1 } on && !/^#/' "$d")
    [ -n "$final" ] || { echo "FAIL: $d: no FROM \${RUNTIME_BASE} stage"; exit 1; }
    ! grep -Eq 'apt-get|apt |dnf|yum|apk|useradd' <<<"$final" \
      || { echo "FAIL: $d: the final stage uses the distribution's packages/tools"; exit 1; }
    grep -q 'bundle-libs.sh /opt/synth' "$d" && grep -q '^COPY --from=build /opt/synth /opt/synth' "$d" \
      && grep -q 'CMD \["/opt/synth/bin/healthz", "/healthz"\]' <<<"$final" \
      && grep -q 'NVIDIA_REQUIRE_CUDA="cuda>=11.8"' <<<"$final" \
      || { echo "FAIL: $d: bundle, healthz or NVIDIA_REQUIRE_CUDA missing"; exit 1; }
    for f in deploy/docker/bundle-libs.sh deploy/docker/healthz.sh; do
      [ -x "$f" ] && bash -n "$f" || { echo "FAIL: $f missing, not executable or not bash"; exit 1; }
    done
    echo "compose: OK" ;;
  k8s)
    need kubectl "Debian package kubernetes-client"
    python3 -c 'import yaml' 2>/dev/null || skip "python3 yaml module missing (python3-yaml)"
    stage
    kubectl kustomize "$tmp/deploy/k8s" >"$tmp/out.yaml"
    python3 "$here/k8s_check.py" "$tmp/out.yaml" "$tmp/deploy/k8s/secrets" "$src/deploy/config/synth.conf"
    kubectl kustomize "$tmp/deploy/k8s-ha" >"$tmp/ha.yaml"
    python3 "$here/k8s_check.py" "$tmp/ha.yaml" "$tmp/deploy/k8s/secrets" "$src/deploy/config/synth.conf" 2
    # Without a cluster, client dry-run only works where kubectl needs no API discovery; try it.
    if timeout 20 kubectl apply --request-timeout=5s --dry-run=client --validate=false -f "$tmp/out.yaml" >"$tmp/dry.txt" 2>&1; then
      echo "kubectl apply --dry-run=client: OK"
    else
      echo "note: kubectl apply --dry-run=client needs a cluster here: $(head -1 "$tmp/dry.txt")"
    fi
    echo "k8s: OK" ;;
  systemd)
    need systemd-analyze "Debian package systemd"
    [ -d /lib/systemd/system ] || skip "no /lib/systemd/system to build a scratch root from"
    root="$tmp/root"
    mkdir -p "$root/usr/local/bin" "$root/etc/systemd/system" "$root/usr/lib/systemd"
    cp -r /lib/systemd/system "$root/usr/lib/systemd/"
    for b in synth-master synth-worker synth-pool; do
      printf '#!/bin/sh\n' >"$root/usr/local/bin/$b" && chmod +x "$root/usr/local/bin/$b"
    done
    units=()
    for u in "$src"/deploy/systemd/*.service; do
      cp "$u" "$root/etc/systemd/system/" && units+=("$(basename "$u")")
    done
    [ ${#units[@]} -ge 2 ] || { echo "FAIL: units missing"; exit 1; }
    # A template is verified through an instance (synth-master@.service as synth-master@b).
    instances=()
    for u in "${units[@]}"; do instances+=("${u/@.service/@b.service}"); done
    mkdir -p "$root/etc/synth" && printf 'SYNTH_LISTEN=0.0.0.0:4651\n' >"$root/etc/synth/master-b.env"
    # verify warns (rc 0) on unknown keys: any line naming our units is a failure too.
    if ! systemd-analyze verify --root="$root" "${instances[@]}" >"$tmp/verify.txt" 2>&1 \
        || grep -q 'synth-' "$tmp/verify.txt"; then
      cat "$tmp/verify.txt"; echo "FAIL: systemd-analyze verify"; exit 1
    fi
    for u in "${units[@]}"; do
      f="$root/etc/systemd/system/$u"
      for k in 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'Restart=on-failure' 'DynamicUser=yes' \
               'LoadCredential=' '--config=/etc/synth/synth.conf' '%d/'; do
        grep -qF -- "$k" "$f" || { echo "FAIL: $u lacks $k"; exit 1; }
      done
    done
    echo "systemd: OK (${units[*]})" ;;
  prometheus)
    need promtool "Debian package prometheus"
    python3 -c 'import yaml' 2>/dev/null || skip "python3 yaml module missing (python3-yaml)"
    stage
    # check config also checks the rule files it names (alerts.yml).
    promtool check config "$tmp/deploy/prometheus/prometheus.yml"
    (cd "$tmp/deploy/prometheus" && promtool test rules alerts_test.yml)
    python3 "$here/monitoring_check.py" files "$src"
    echo "prometheus: OK" ;;
  *) echo "usage: $0 compose|k8s|systemd|prometheus" >&2; exit 2 ;;
esac
