#!/usr/bin/env bash
# services.sh start|stop DATA_DIR [--preferred-ports]
# Starts (or stops) a Temporal dev server, Postgres, Redis and an S3-compatible server (moto) on free loopback ports, with state in
# DATA_DIR, and writes their addresses to DATA_DIR/services.env for the caller to source.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

action="${1:?usage: services.sh start|stop DATA_DIR [--preferred-ports]}"
data="$(mkdir -p "${2:?data dir}" && cd "$2" && pwd)"
preferred="${3:-}"
pref() { [ "$preferred" = "--preferred-ports" ] && echo "$1" || echo 0; }

# Postgres refuses to run as root: run it as the `postgres` user when we are root.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop_services() {
  [ -f "$data/temporal.pid" ] && kill "$(cat "$data/temporal.pid")" 2>/dev/null || true
  [ -f "$data/redis.pid" ] && kill "$(cat "$data/redis.pid")" 2>/dev/null || true
  [ -f "$data/moto.pid" ] && kill "$(cat "$data/moto.pid")" 2>/dev/null || true
  [ -f "$data/pg/postmaster.pid" ] && as_pg pg_ctl -D "$data/pg" -m fast -w stop >/dev/null 2>&1 || true
  rm -f "$data/temporal.pid" "$data/moto.pid" "$data/services.env"
}

if [ "$action" = "stop" ]; then stop_services; exit 0; fi
[ "$action" = "start" ] || die "unknown action $action"

pg_port=$(free_port "$(pref 5433)")
redis_port=$(free_port "$(pref 6380)")
temporal_port=$(free_port "$(pref 7233)")
temporal_ui_port=$(free_port "$(pref 8233)")
moto_port=$(free_port "$(pref 9000)")

# --- Postgres -------------------------------------------------------------------------------
if [ ! -f "$data/pg/PG_VERSION" ]; then
  mkdir -p "$data/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data/pg" && chmod 700 "$data/pg"
  as_pg initdb -D "$data/pg" -U orchestrator --auth=trust --encoding=UTF8 --locale=C >"$data/initdb.log" 2>&1 || die "initdb failed: $data/initdb.log"
fi
[ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$data/pg"
as_pg pg_ctl -D "$data/pg" -w -t 30 -l "$data/pg/server.log" \
  -o "-p $pg_port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
  || die "Postgres did not start: $data/pg/server.log"
psql -h 127.0.0.1 -p "$pg_port" -U orchestrator -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='orchestrator'" | grep -q 1 \
  || psql -h 127.0.0.1 -p "$pg_port" -U orchestrator -d postgres -qc "CREATE DATABASE orchestrator" >/dev/null

# --- Redis ----------------------------------------------------------------------------------
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$data/redis.pid" --logfile "$data/redis.log" --dir "$data"
wait_until 10 "Redis" redis-cli -p "$redis_port" ping

# --- Temporal dev server (SQLite file, Web UI, our search attributes) -------------------------
read -ra search_attributes <<<"$(search_attribute_flags)"
nohup temporal server start-dev --ip 127.0.0.1 --port "$temporal_port" --ui-port "$temporal_ui_port" \
  --db-filename "$data/temporal.db" --namespace default --log-level warn \
  "${search_attributes[@]}" \
  >"$data/temporal.log" 2>&1 &
echo $! >"$data/temporal.pid"
wait_until 60 "Temporal" temporal operator search-attribute list --address "127.0.0.1:$temporal_port" --namespace default

# --- S3-compatible payload store (moto, in memory) -------------------------------------------
# Only tests that ask for it (test/support/services.ts payloadStoreEnv) get these settings; the
# api and worker of every other test run without a store.
[ -x "$MOTO_HOME/bin/moto_server" ] || die "moto is not installed: run scripts/bootstrap.sh"
nohup "$MOTO_HOME/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$data/moto.log" 2>&1 &
echo $! >"$data/moto.pid"
wait_until 30 "moto" curl -sf "http://127.0.0.1:$moto_port/moto-api/"
# A PUT on the bucket's path creates it (path-style addressing; moto accepts any credentials).
curl -sf -X PUT "http://127.0.0.1:$moto_port/$TEST_PAYLOAD_BUCKET" >/dev/null || die "could not create bucket $TEST_PAYLOAD_BUCKET on moto"

cat >"$data/services.env" <<ENV
DATABASE_URL=postgres://orchestrator@127.0.0.1:$pg_port/orchestrator
REDIS_URL=redis://127.0.0.1:$redis_port
TEMPORAL_ADDRESS=127.0.0.1:$temporal_port
TEMPORAL_NAMESPACE=default
TEMPORAL_UI_URL=http://127.0.0.1:$temporal_ui_port
PAYLOAD_STORE_ENDPOINT=http://127.0.0.1:$moto_port
PAYLOAD_STORE_BUCKET=$TEST_PAYLOAD_BUCKET
PAYLOAD_STORE_REGION=us-east-1
PAYLOAD_STORE_ACCESS_KEY_ID=test
PAYLOAD_STORE_SECRET_ACCESS_KEY=test
ENV
log "services up: postgres :$pg_port, redis :$redis_port, temporal :$temporal_port (UI :$temporal_ui_port), s3 :$moto_port"
