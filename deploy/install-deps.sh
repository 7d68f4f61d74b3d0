#!/usr/bin/env bash
# Installs the system packages EmotionCluster's tests and tools need on Debian 12. Idempotent.
set -euo pipefail
need=()
for pkg in "$@"; do need+=("$pkg"); done
# Always needed by the tests:
# postgresql-15: deploy/start-test-postgres.sh runs a throwaway server for the journal tests (EMOTIONCLUSTER_PG).
# chromium: the live page's browser test (tests/EmotionCluster.Streaming.Tests, headless with a fake microphone).
# sox, libsox-fmt-mp3: the MP3 round trip of the robustness conditions (EmotionCluster.Audio.CodecRoundTrip, crossval --robustness).
# python3-onnx, python3-numpy: ONNX's own checker on exported models and the docs' Python snippet
#   (tests/EmotionCluster.Model.Tests/OnnxTests.cs, run with /usr/bin/python3).
base=(postgresql-15 chromium sox libsox-fmt-mp3 python3-onnx python3-numpy)
# kubectl renders the Kubernetes overlays in the deployment tests; any kubectl on PATH will do (Debian's is 1.20).
command -v kubectl >/dev/null 2>&1 || base+=(kubernetes-client)
missing=()
for pkg in "${base[@]}" "${need[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
