#!/usr/bin/env bash
# Health check of a node container without curl or wget (neither is in the .NET runtime images): one HTTP/1.0 GET
# over bash's /dev/tcp to the node's own HTTP endpoint (EmotionCluster__Http__*), with the bearer token when set.
#   healthcheck.sh [live|ready]    (default live: /healthz/live; ready: /healthz/ready)
# Exit 0 when the answer is 2xx; 1 otherwise (refused, timed out, other status), with the reason on stderr.
set -uo pipefail

case "${1:-live}" in
  live) path=/healthz/live ;;
  ready) path=/healthz/ready ;;
  *) echo "usage: healthcheck.sh [live|ready]" >&2; exit 2 ;;
esac
host=${EmotionCluster__Http__Hostname:-127.0.0.1}
case "$host" in 0.0.0.0 | "*" | + | :: | "[::]") host=127.0.0.1 ;; esac
port=${EmotionCluster__Http__Port:-8080}
auth=""
if [ -n "${EmotionCluster__Http__Token:-}" ]; then auth="Authorization: Bearer ${EmotionCluster__Http__Token}"$'\r\n'; fi

# shellcheck disable=SC2016 # the inner script expands its own positional parameters
status=$(timeout "${HEALTHCHECK_TIMEOUT_SECONDS:-4}" bash -c '
  exec 3<>"/dev/tcp/$1/$2" || exit 1
  printf "GET %s HTTP/1.0\r\nHost: %s:%s\r\n%sConnection: close\r\n\r\n" "$3" "$1" "$2" "$4" >&3
  IFS= read -r line <&3 && printf "%s" "$line"' healthcheck "$host" "$port" "$path" "$auth" 2>/dev/null) || status=""
status=${status%$'\r'}
case "$status" in
  "HTTP/"*" 2"[0-9][0-9] | "HTTP/"*" 2"[0-9][0-9]" "*) exit 0 ;;
esac
echo "unhealthy: GET http://$host:$port$path answered '${status:-nothing}'" >&2
exit 1
