#!/usr/bin/env bash
# Creates the farm's secrets as files, once: a random worker token and, unless you pass your
# pool password on stdin, a random one for the demo pool.
#   deploy/compose/make-secrets.sh                      # demo: both random
#   printf '%s' "$POOL_PASSWORD" | deploy/compose/make-secrets.sh --pool-pass-stdin
# Writes deploy/compose/secrets/{worker_token,pool_pass} (git-ignored) for docker-compose.yml and
# copies them (and deploy/config/synth.conf) to deploy/k8s/secrets/ for `kubectl kustomize deploy/k8s`. The containers run as
# uid 10001, so the files are owned by it (mode 0400) when run as root, else mode 0644.
# Also grafana_admin, the Grafana admin password of compose profile monitoring (compose only;
# owned by Grafana's uid 472 when run as root). Existing files are kept: rerun it after an upgrade.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p secrets ../k8s/secrets
umask 077
rand() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
[ -s secrets/worker_token ] || rand >secrets/worker_token
if [ "${1:-}" = "--pool-pass-stdin" ]; then cat >secrets/pool_pass; fi
[ -s secrets/pool_pass ] || rand >secrets/pool_pass
[ -s secrets/grafana_admin ] || rand >secrets/grafana_admin
cp secrets/worker_token ../k8s/secrets/worker-token
cp secrets/pool_pass ../k8s/secrets/pool-pass
# kustomize reads nothing outside deploy/k8s: the shared config goes next to the secrets (not one).
cp ../config/synth.conf ../k8s/secrets/synth.conf && chmod 0644 ../k8s/secrets/synth.conf
if [ "$(id -u)" -eq 0 ]; then
  chown 10001:10001 secrets/worker_token secrets/pool_pass && chown 472:0 secrets/grafana_admin \
    && chmod 0400 secrets/*
else
  chmod 0644 secrets/*
fi
echo "secrets in $(pwd)/secrets and deploy/k8s/secrets (never commit them)"
