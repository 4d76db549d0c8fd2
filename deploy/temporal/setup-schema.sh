#!/bin/sh
# Compose one-shot `temporal-schema` (image temporalio/admin-tools): create Temporal's two
# Postgres databases and bring their schemas to the version the pinned server expects.
# Idempotent: runs on every `docker compose up` and only applies what is missing.
#
# Also run natively by scripts/prodlike.sh with a `go install`ed temporal-sql-tool: without the
# image's schema files on disk it applies the schemas embedded in the tool (--schema-name).
#
# Environment: SQL_HOST, SQL_PORT (5432), SQL_USER, SQL_PASSWORD, SQL_PLUGIN (postgres12),
#              TEMPORAL_DB (temporal), TEMPORAL_VISIBILITY_DB (temporal_visibility),
#              TEMPORAL_SCHEMA_ROOT (/etc/temporal/schema/postgresql/v12),
#              TEMPORAL_EMBEDDED_SCHEMA (postgresql/v12: embedded schema used when the root is absent)
set -eu

: "${SQL_HOST:?SQL_HOST is required}"
: "${SQL_USER:?SQL_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"
export SQL_PLUGIN="${SQL_PLUGIN:-postgres12}"
export SQL_PORT="${SQL_PORT:-5432}"

schema_root="${TEMPORAL_SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}"

setup() {
  db="$1"
  kind="$2"
  echo "temporal-schema: $db ($kind) on $SQL_HOST:$SQL_PORT"
  if temporal-sql-tool --db "$db" create-database; then
    echo "temporal-schema: created database $db"
  else
    # Fails when the database already exists; a real connection problem fails the next step.
    echo "temporal-schema: database $db not created (already exists?)"
  fi
  temporal-sql-tool --db "$db" setup-schema -v 0.0
  if [ -d "$schema_root/$kind/versioned" ]; then
    temporal-sql-tool --db "$db" update-schema -d "$schema_root/$kind/versioned"
  else
    temporal-sql-tool --db "$db" update-schema --schema-name "${TEMPORAL_EMBEDDED_SCHEMA:-postgresql/v12}/$kind"
  fi
}

setup "${TEMPORAL_DB:-temporal}" temporal
setup "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}" visibility
echo "temporal-schema: done"
