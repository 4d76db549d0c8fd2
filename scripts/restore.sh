#!/bin/sh
# Restore the orchestrator database from a scripts/backup.sh dump (pg_restore).
#
#   scripts/restore.sh DUMP_FILE [--yes]
#
# Target: RESTORE_DATABASE_URL, else DATABASE_URL. Without --yes it refuses a database that
# already has tables; with it, the dump's objects are dropped and recreated (--clean --if-exists)
# in one transaction, so a failed restore changes nothing. Stop api and workers first (compose:
# `docker compose stop api worker`; Helm: scale both to 0), restore, then start them: the
# wait-for-migrations check and `scripts/migrate.sh status` show whether the restored schema is
# older than the image (then run `scripts/migrate.sh up`).
set -eu

dump="${1:?usage: restore.sh DUMP_FILE [--yes]}"
confirm="${2:-}"
url="${RESTORE_DATABASE_URL:-${DATABASE_URL:-}}"
[ -n "$url" ] || { echo "restore.sh: set RESTORE_DATABASE_URL or DATABASE_URL" >&2; exit 2; }
[ -f "$dump" ] || { echo "restore.sh: no such file: $dump" >&2; exit 2; }
pg_restore --list "$dump" > /dev/null || { echo "restore.sh: $dump is not a pg_dump custom-format archive" >&2; exit 2; }

tables="$(psql "$url" -XAtqc "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")"
if [ "$tables" != 0 ] && [ "$confirm" != "--yes" ]; then
  echo "restore.sh: the target database has $tables tables; rerun with --yes to replace them with the dump" >&2
  exit 3
fi

pg_restore --dbname="$url" --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error "$dump"
echo "restore.sh: restored $dump ($(psql "$url" -XAtqc "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'") tables)"
