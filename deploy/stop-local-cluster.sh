#!/usr/bin/env bash
# Stops a cluster started by deploy/start-local-cluster.sh: SIGTERM to every node, the seed (node1) last
# (coordinated shutdown: the node leaves the cluster and hands its shards over), then SIGKILL to any node still
# running when the grace period is over.
set -euo pipefail

usage() { echo "usage: deploy/stop-local-cluster.sh [DIR] [--grace SECONDS]   (DIR default out/local-cluster, grace default 20)"; }
die() { echo "stop-local-cluster: $*" >&2; exit 2; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir="" grace=20
while [ $# -gt 0 ]; do
  case "$1" in
    -g|--grace) grace=${2:?"$1 needs a value"}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option '$1'" ;;
    *) [ -z "$dir" ] || die "one folder only"; dir=$1; shift ;;
  esac
done
[[ "$grace" =~ ^[0-9]+$ ]] || die "--grace '$grace' must be a whole number of seconds"
dir=${dir:-$repo/out/local-cluster}
[ -d "$dir" ] || die "no cluster folder $dir"

running() {
  local s
  s=$(sed -E 's/.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null || ps -o stat= -p "$1" 2>/dev/null) && [ -n "$s" ] && [[ "$s" != Z* ]]
}
# Only a process that is still our node: a pid file may outlive its process and the pid be reused.
is_node() {
  local cmd
  cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || ps -o args= -p "$1" 2>/dev/null) || return 1
  [[ "$cmd" == *emotioncluster-node* ]]
}

names=() pids=()
for f in "$dir"/*.pid; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .pid) pid=$(cat "$f")
  if [[ "$pid" =~ ^[0-9]+$ ]] && running "$pid" && is_node "$pid"; then names+=("$name") pids+=("$pid"); fi
  rm -f "$f"
done
[ ${#pids[@]} -gt 0 ] || { echo "no running nodes in $dir"; exit 0; }
deadline=$((SECONDS + grace))

# SIGTERM to the given nodes (indexes), then wait until they are gone or the grace period is over.
terminate() {
  [ $# -gt 0 ] || return 0
  local i list=()
  for i; do kill -TERM "${pids[$i]}" 2>/dev/null || true; list+=("${names[$i]}"); done
  echo "SIGTERM sent to ${list[*]}"
  while [ $SECONDS -lt $deadline ]; do
    local alive=0
    for i; do if running "${pids[$i]}"; then alive=1; fi; done
    [ $alive = 1 ] || return 0
    sleep 0.2
  done
}
# The seed (node1) goes last: the others leave while it still runs, so their hand-over is not held up by a
# cluster whose every member is leaving at once.
seed=() others=()
for i in "${!names[@]}"; do if [ "${names[$i]}" = node1 ]; then seed+=("$i"); else others+=("$i"); fi; done
echo "stopping ${#pids[@]} node(s), grace ${grace}s"
terminate ${others[@]+"${others[@]}"}
# A node that left exits once the leader has confirmed it Exiting; the leader removes it from the membership on its
# next leader tick (1 s). Give the seed two ticks to finish that before it leaves itself.
if [ ${#others[@]} -gt 0 ] && [ ${#seed[@]} -gt 0 ] && [ $((SECONDS + 2)) -lt $deadline ]; then sleep 2; fi
terminate ${seed[@]+"${seed[@]}"}

left=()
for i in "${!pids[@]}"; do if running "${pids[$i]}"; then left+=("$i"); fi; done
for i in ${left[@]+"${left[@]}"}; do
  echo "${names[$i]} (pid ${pids[$i]}) still running after ${grace}s: SIGKILL"
  kill -KILL "${pids[$i]}" 2>/dev/null || true
done
for i in ${left[@]+"${left[@]}"}; do
  for _ in $(seq 50); do running "${pids[$i]}" || break; sleep 0.1; done
done
echo "stopped ${#pids[@]} node(s)"
