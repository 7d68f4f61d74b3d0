#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 for the journal tests and prints the variables that point the tests at it:
#
#   eval "$(bash deploy/start-test-postgres.sh)"        # sets EMOTIONCLUSTER_PG and EMOTIONCLUSTER_PG_DIR
#   ... dotnet test ...
#   bash deploy/start-test-postgres.sh --stop "$EMOTIONCLUSTER_PG_DIR"
#
# The cluster lives in a fresh temporary folder (initdb), listens on 127.0.0.1 only, on a free port, trusts local
# connections (test data only), and runs without fsync. Run as root it runs the server as the 'postgres' user
# (PostgreSQL refuses to run as root). Needs Debian's postgresql-15 (deploy/install-deps.sh installs it).
# Only the export lines go to stdout; progress and errors go to stderr.
set -euo pipefail

bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
user=emotioncluster
database=emotioncluster

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-}" = "--stop" ]; then
  dir="${2:-}"
  if [ -z "$dir" ] || [ ! -d "$dir/data" ]; then echo "start-test-postgres: --stop needs the folder printed as EMOTIONCLUSTER_PG_DIR" >&2; exit 2; fi
  as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  echo "start-test-postgres: stopped and removed $dir" >&2
  exit 0
fi

for tool in initdb pg_ctl; do
  if [ ! -x "$bin/$tool" ]; then
    echo "start-test-postgres: $bin/$tool not found; install PostgreSQL 15 (bash deploy/install-deps.sh, Debian package postgresql-15) or set PG_BIN" >&2
    exit 1
  fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/ec-pg.XXXXXX")
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
  chown postgres "$dir"
fi

# A free port: the first one in a random window of 55000-59999 that nothing answers on.
port=""
start=$((55000 + RANDOM % 4000))
for candidate in $(seq "$start" $((start + 999))); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
if [ -z "$port" ]; then echo "start-test-postgres: no free port in $start..$((start + 999))" >&2; rm -rf "$dir"; exit 1; fi

cleanup_on_failure() {
  echo "start-test-postgres: failed; server log:" >&2
  cat "$dir/server.log" >&2 2>/dev/null || true
  as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup_on_failure ERR

as_owner "$bin/initdb" -D "$dir/data" -U "$user" --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; false; }
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE $database" >/dev/null
trap - ERR

echo "start-test-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $dir" >&2
echo "export EMOTIONCLUSTER_PG='Host=127.0.0.1;Port=$port;Database=$database;Username=$user'"
echo "export EMOTIONCLUSTER_PG_DIR='$dir'"
