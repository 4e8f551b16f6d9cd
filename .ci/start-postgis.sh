#!/usr/bin/env bash
# Start a throw-away PostgreSQL + PostGIS cluster on 127.0.0.1 and print its URL.
# Usage: eval "$(bash .ci/start-postgis.sh)"   -> exports ASSETMAP_TEST_DATABASE_URL
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PORT=${ASSETMAP_PG_PORT:-55432}
DIR=${ASSETMAP_PG_DIR:-/tmp/assetmap-pg-$PORT}
RUNAS=postgres
if [ "$(id -u)" != 0 ]; then RUNAS=""; fi
run() { if [ -n "$RUNAS" ]; then su "$RUNAS" -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
if [ -f "$DIR/postmaster.pid" ] && run "$PGBIN/pg_ctl -D $DIR status" >/dev/null 2>&1; then
  :
else
  rm -rf "$DIR"; mkdir -p "$DIR"
  [ -n "$RUNAS" ] && chown "$RUNAS" "$DIR"
  run "$PGBIN/initdb -D $DIR -U assetmap --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
  run "$PGBIN/pg_ctl -D $DIR -o '-c listen_addresses=127.0.0.1 -p $PORT -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200' -l $DIR/log -w start" >/dev/null
fi
echo "export ASSETMAP_TEST_DATABASE_URL=postgresql://assetmap@127.0.0.1:$PORT/postgres"
