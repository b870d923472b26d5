#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tuning tests (multi-worker studies on a real SQL server).
#
#   export TUNING_TEST_POSTGRES_URL="$(.ci/postgres.sh)"     # install if missing, start, print the URL
#   .ci/postgres.sh --stop                                    # stop it again
#
# Options: --dir DIR (cluster folder, default /tmp/tuning-postgres), --port PORT (default 55432),
# --no-install (never apt-get; exit 3 when no PostgreSQL binaries exist).
# Only the URL goes to stdout; messages go to stderr. Running it again reuses a running cluster.
set -euo pipefail

dir=/tmp/tuning-postgres
port=55432
install=1
stop=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --no-install) install=0; shift ;;
    --stop) stop=1; shift ;;
    *) echo "postgres.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

bin=$(find_bin || true)
if [ -z "$bin" ]; then
  if [ "$install" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "postgres.sh: installing PostgreSQL from the Debian archive" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
    bin=$(find_bin)
  else
    echo "postgres.sh: no PostgreSQL binaries (initdb, pg_ctl) found" >&2
    exit 3
  fi
fi

# initdb and postgres refuse to run as root: run the cluster as the `postgres` user then.
as_owner=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  as_owner=(runuser -u postgres --)
fi
mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown postgres: "$dir"

if [ "$stop" = 1 ]; then
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  exit 0
fi

if ! "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >&2
  fi
  # Local TCP only, socket in the cluster folder (not /var/run), enough connections for several workers.
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >&2
fi
# The running server's port (line 4 of postmaster.pid), in case an earlier run started it on another.
port=$(sed -n 4p "$dir/data/postmaster.pid")
echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
