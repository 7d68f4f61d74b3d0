#!/usr/bin/env bash
# Starts an N-node EmotionCluster on loopback (127.0.0.1) without Docker, from the built node
# (src/EmotionCluster.Node/bin/<Config>/net10.0/emotioncluster-node.dll; run `dotnet build -c Release` first).
# Node 1 is the seed; every node lists it as its seed. Each node gets three ports: remoting, HTTP and management.
# Logs, pid files and feature stores go into the cluster folder; stop with deploy/stop-local-cluster.sh FOLDER.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: deploy/start-local-cluster.sh [options] [-- extra node flags]
  -n, --nodes N           number of nodes (default 3)
  -p, --base-port P       node i (from 0) uses ports P+3i (remoting), P+3i+1 (HTTP), P+3i+2 (management);
                          default: free ports picked at random
  -d, --dir DIR           folder for logs, pids and feature stores (default out/local-cluster)
  -c, --configuration C   build configuration of the node (default Release, as the README builds it)
  -r, --roles R1,R2       roles of every node (default: the node's default, all but coordinator)
  -w, --wait S            wait up to S seconds until every node printed "node started:" (default: do not wait)
  -h, --help              this text
Anything after -- is passed to every node, e.g. -- --sbr-stable-after 3 --heartbeat-pause 2
Environment: EMOTIONCLUSTER_NODE_DLL overrides the node's path.
EOF
}

die() { echo "start-local-cluster: $*" >&2; exit 2; }

nodes=3 base_port="" dir="" config=Release roles="" wait_s=0 extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--nodes) nodes=${2:?"$1 needs a value"}; shift 2 ;;
    -p|--base-port) base_port=${2:?"$1 needs a value"}; shift 2 ;;
    -d|--dir) dir=${2:?"$1 needs a value"}; shift 2 ;;
    -c|--configuration) config=${2:?"$1 needs a value"}; shift 2 ;;
    -r|--roles) roles=${2:?"$1 needs a value"}; shift 2 ;;
    -w|--wait) wait_s=${2:?"$1 needs a value"}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
if ! is_uint "$nodes" || [ "$nodes" -lt 1 ]; then die "--nodes '$nodes' must be a whole number >= 1"; fi
is_uint "$wait_s" || die "--wait '$wait_s' must be a whole number of seconds"
if [ -n "$base_port" ] && ! { is_uint "$base_port" && [ "$base_port" -ge 1024 ] && [ $((base_port + 3 * nodes)) -le 65535 ]; }; then
  die "--base-port '$base_port' must be 1024..$((65535 - 3 * nodes)) for $nodes nodes"
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dll=${EMOTIONCLUSTER_NODE_DLL:-$repo/src/EmotionCluster.Node/bin/$config/net10.0/emotioncluster-node.dll}
[ -f "$dll" ] || die "node not built: $dll; run: dotnet build src/EmotionCluster.Node -c $config"
command -v dotnet >/dev/null || die "dotnet not found on PATH"
dir=${dir:-$repo/out/local-cluster}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# A pid counts as running unless it is gone or a zombie.
running() {
  local s
  s=$(sed -E 's/.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null || ps -o stat= -p "$1" 2>/dev/null) && [ -n "$s" ] && [[ "$s" != Z* ]]
}
for f in "$dir"/*.pid; do
  [ -e "$f" ] || continue
  if running "$(cat "$f")"; then die "a cluster is already running from $dir ($(basename "$f" .pid)); stop it with deploy/stop-local-cluster.sh $dir"; fi
  rm -f "$f"
done

# Nothing listening there: connecting to it is refused.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ports=()
if [ -n "$base_port" ]; then
  for ((p = base_port; p < base_port + 3 * nodes; p++)); do port_free "$p" || die "port $p is in use; choose another --base-port"; ports+=("$p"); done
else
  p=$((20000 + RANDOM % 30000))
  while [ ${#ports[@]} -lt $((3 * nodes)) ]; do
    if port_free "$p"; then ports+=("$p"); fi
    p=$((p + 1))
  done
fi

seed="akka.tcp://emotioncluster@127.0.0.1:${ports[0]}"
{ echo "SEED=$seed"; echo "NODES=$nodes"; } >"$dir/cluster.env"
echo "seed: $seed"
for ((i = 0; i < nodes; i++)); do
  name="node$((i + 1))" remoting=${ports[3 * i]} http=${ports[3 * i + 1]} management=${ports[3 * i + 2]}
  mkdir -p "$dir/$name"
  args=(run --hostname 127.0.0.1 --port "$remoting" --seed "$seed" --store "$dir/$name/features")
  [ -z "$roles" ] || args+=(--roles "$roles")
  (
    cd "$dir/$name"
    export EmotionCluster__Http__Hostname=127.0.0.1 EmotionCluster__Http__Port=$http
    export EmotionCluster__Discovery__Method=seed-nodes EmotionCluster__Discovery__ManagementPort=$management
    exec nohup dotnet "$dll" "${args[@]}" ${extra[@]+"${extra[@]}"} </dev/null >"$dir/$name.log" 2>&1
  ) &
  echo $! >"$dir/$name.pid"
  echo "$name pid=$! remoting=127.0.0.1:$remoting http=127.0.0.1:$http management=127.0.0.1:$management log=$dir/$name.log"
done

if [ "$wait_s" -gt 0 ]; then
  deadline=$((SECONDS + wait_s))
  for ((i = 1; i <= nodes; i++)); do
    until grep -q "^node started:" "$dir/node$i.log" 2>/dev/null; do
      if ! running "$(cat "$dir/node$i.pid")" || [ $SECONDS -ge $deadline ]; then
        echo "start-local-cluster: node$i did not start within ${wait_s}s; its log ends with:" >&2
        tail -n 20 "$dir/node$i.log" >&2 || true
        "$repo/deploy/stop-local-cluster.sh" "$dir" --grace 5 >&2 || true
        exit 1
      fi
      sleep 0.5
    done
  done
  echo "all $nodes nodes started"
fi
echo "for emotioncluster ctl: export EMOTIONCLUSTER_NODE=http://127.0.0.1:${ports[1]}"
echo "stop with: deploy/stop-local-cluster.sh $dir"
