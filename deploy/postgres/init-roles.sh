#!/bin/sh
# Postgres first-start script (docker-compose.prod.yml mounts it into
# /docker-entrypoint-initdb.d/, which runs once, on an empty data directory, as the superuser):
# one login role per client, each owning only its own databases — least privilege instead of
# everyone using the superuser.
#
#   ORCH_DB_USER (orchestrator) / ORCH_DB_PASSWORD         owns POSTGRES_DB (the app's database)
#   TEMPORAL_DB_USER (temporal) / TEMPORAL_DB_PASSWORD     owns TEMPORAL_DB (temporal) and
#                                                          TEMPORAL_VISIBILITY_DB (temporal_visibility)
#
# Neither role is a superuser or may create databases or roles; PUBLIC loses CONNECT on all
# three databases, so each role reaches only its own. An existing data directory is not touched:
# docs/deploy.md ("Postgres roles") has the same statements to run by hand.
# Also run natively by test/integration/postgres-roles.test.ts (PGHOST/PGPORT from the env).
set -eu

: "${POSTGRES_USER:?}" "${POSTGRES_DB:?}" "${ORCH_DB_PASSWORD:?ORCH_DB_PASSWORD is required}" "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is required}"
app="${ORCH_DB_USER:-orchestrator}"
temporal="${TEMPORAL_DB_USER:-temporal}"
temporal_db="${TEMPORAL_DB:-temporal}"
visibility_db="${TEMPORAL_VISIBILITY_DB:-temporal_visibility}"

as_super() { psql -v ON_ERROR_STOP=1 -X -q --username "$POSTGRES_USER" "$@"; }

as_super --dbname postgres \
  -v app="$app" -v app_password="$ORCH_DB_PASSWORD" \
  -v temporal="$temporal" -v temporal_password="$TEMPORAL_DB_PASSWORD" \
  -v app_db="$POSTGRES_DB" -v temporal_db="$temporal_db" -v visibility_db="$visibility_db" <<'SQL'
CREATE ROLE :"app" LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE :"temporal" LOGIN PASSWORD :'temporal_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
ALTER DATABASE :"app_db" OWNER TO :"app";
REVOKE ALL ON DATABASE :"app_db" FROM PUBLIC;
CREATE DATABASE :"temporal_db" OWNER :"temporal";
CREATE DATABASE :"visibility_db" OWNER :"temporal";
REVOKE ALL ON DATABASE :"temporal_db" FROM PUBLIC;
REVOKE ALL ON DATABASE :"visibility_db" FROM PUBLIC;
SQL
# The public schema goes to each database's owner (Postgres 15+ does it through
# pg_database_owner already; older servers need it spelled out).
for db in "$POSTGRES_DB" "$temporal_db" "$visibility_db"; do
  owner="$app"
  [ "$db" = "$POSTGRES_DB" ] || owner="$temporal"
  as_super --dbname "$db" -v owner="$owner" <<'SQL'
ALTER SCHEMA public OWNER TO :"owner";
SQL
done
echo "init-roles: roles $app (database $POSTGRES_DB) and $temporal ($temporal_db, $visibility_db) created"
