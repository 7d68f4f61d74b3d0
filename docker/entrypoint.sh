#!/usr/bin/env bash
# Container entry point of the node image. When the node binds every interface (EmotionCluster__Node__Hostname
# 0.0.0.0) and no EmotionCluster__Node__PublicHostname is given, other nodes need a reachable address: the
# container's IPv4 address (from its hostname), else the hostname itself. Then the node replaces this shell
# (exec), so it runs as PID 1 and receives SIGTERM for Akka's coordinated shutdown.
set -euo pipefail

if [ -z "${EmotionCluster__Node__PublicHostname:-}" ]; then
  case "${EmotionCluster__Node__Hostname:-127.0.0.1}" in
    0.0.0.0 | :: | "[::]")
      name=${HOSTNAME:-$(cat /etc/hostname)}
      addr=$(getent ahostsv4 "$name" 2>/dev/null | awk 'NR == 1 { print $1 }' || true)
      case "$addr" in "" | 127.*) addr=$name ;; esac
      export EmotionCluster__Node__PublicHostname="$addr"
      ;;
  esac
fi
exec dotnet "${EMOTIONCLUSTER_NODE_DLL:-/app/emotioncluster-node.dll}" "$@"
