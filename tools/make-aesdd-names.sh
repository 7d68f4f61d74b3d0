#!/usr/bin/env bash
# Writes the AESDD name list: one line per file, "FOLDER/NAME.wav" (anger/ disgust/ fear/ happiness/ sadness/), sorted,
# from the ground-truth list AESDD_GT.csv ("filename;emotion", 604 rows). Names only: AESDD audio is never in the repo.
# The list is embedded in EmotionCluster.Acquisition and checked by `emotioncluster dataset verify aesdd`.
#
# usage: tools/make-aesdd-names.sh [AESDD_GT.csv] [OUT]
#   AESDD_GT.csv  default: $EMOTIONCLUSTER_DATASETS/aesdd-filelist/AESDD_GT.csv, else ../shared/datasets/...
#   OUT           default: src/EmotionCluster.Acquisition/Manifests/aesdd.names
set -euo pipefail
export LC_ALL=C

repo="$(cd "$(dirname "$0")/.." && pwd)"
datasets="${EMOTIONCLUSTER_DATASETS:-$repo/../shared/datasets}"
csv="${1:-$datasets/aesdd-filelist/AESDD_GT.csv}"
out="${2:-$repo/src/EmotionCluster.Acquisition/Manifests/aesdd.names}"
expected=604

if [ ! -f "$csv" ]; then
  echo "error: $csv does not exist; pass AESDD_GT.csv as the first argument" >&2
  exit 2
fi

tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
tr -d '\r' < "$csv" | awk -F';' '
  BEGIN { folder["Angry"] = "anger"; folder["Disgust"] = "disgust"; folder["Fear"] = "fear"
          folder["Happy"] = "happiness"; folder["Sad"] = "sadness" }
  NR == 1 && $1 == "filename" { next }
  NF == 0 { next }
  {
    if (!($2 in folder)) { printf "error: line %d: unknown emotion \"%s\"\n", NR, $2 > "/dev/stderr"; exit 1 }
    print folder[$2] "/" $1
  }' | sort > "$tmp"
count=$(wc -l < "$tmp")
if [ "$count" -ne "$expected" ]; then
  echo "error: $csv lists $count files, expected $expected" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out ($expected names)"
