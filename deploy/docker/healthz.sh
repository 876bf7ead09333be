#!/bin/bash
# deploy/docker/healthz.sh [PATH]: the images' HEALTHCHECK without curl (NVIDIA's CUDA base
# images ship none): GET http://127.0.0.1:PORT/PATH (default /healthz) over bash's /dev/tcp,
# PORT from SYNTH_HTTP_LISTEN (HOST:PORT, default 9651). Exit 0 on HTTP 200, else 1 with the
# status line on stderr. The HEALTHCHECK's --timeout bounds a server that never answers.
set -u
path=${1:-/healthz}
listen=${SYNTH_HTTP_LISTEN:-0.0.0.0:9651}
port=${listen##*:}
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
IFS=' ' read -r _ code rest <&3 || { echo "healthz: no answer on port $port" >&2; exit 1; }
[ "$code" = 200 ] && exit 0
echo "healthz: HTTP $code ${rest%$'\r'}" >&2
exit 1
