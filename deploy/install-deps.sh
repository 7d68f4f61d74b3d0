#!/usr/bin/env bash
# Installs the system packages EmotionCluster's tests and tools need on Debian 12. Idempotent.
set -euo pipefail
need=()
for pkg in "$@"; do need+=("$pkg"); done
# Always: nothing beyond the .NET SDK is needed for the core tests yet.
base=()
missing=()
for pkg in "${base[@]}" "${need[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
