#!/bin/sh
# Logical backup of the orchestrator database (pg_dump, custom format), rotated. The compose
# `backup` service (docker-compose.prod.yml) runs it on a schedule; operators run it by hand
# before an upgrade. Temporal's own databases are Temporal's to back up (docs/deploy.md).
#
#   scripts/backup.sh [DIR]          write DIR/orchestrator-<UTC timestamp>.dump (default
#                                    $BACKUP_DIR, else ./backups), keep the newest $BACKUP_KEEP (14)
#   scripts/backup.sh --every SECONDS [DIR]
#                                    the same in a loop, once every SECONDS (the compose service);
#                                    DIR/.last-status is `ok` or `failed` after each run
#
# Connection: BACKUP_DATABASE_URL, else DATABASE_URL (postgres://…); pg_dump and the server
# should be the same major version. The dump is written to a temporary name and renamed when
# complete, so a file named *.dump is always whole. Exit status: pg_dump's.
set -eu

every=""
if [ "${1:-}" = "--every" ]; then
  every="${2:?--every needs SECONDS}"
  shift 2
fi
dir="${1:-${BACKUP_DIR:-./backups}}"
keep="${BACKUP_KEEP:-14}"
url="${BACKUP_DATABASE_URL:-${DATABASE_URL:-}}"
[ -n "$url" ] || { echo "backup.sh: set BACKUP_DATABASE_URL or DATABASE_URL" >&2; exit 2; }
mkdir -p "$dir"

backup_once() {
  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  target="$dir/orchestrator-$stamp.dump"
  # No owners or grants in the dump: a restore recreates the objects as the restoring role.
  pg_dump --dbname="$url" --format=custom --no-owner --no-privileges --file="$target.partial"
  mv "$target.partial" "$target"
  echo "backup.sh: wrote $target ($(wc -c < "$target") bytes)"
  # Rotation: the newest $keep dumps stay (names sort by time).
  # shellcheck disable=SC2012 # names are ours: orchestrator-<timestamp>.dump
  ls -1 "$dir"/orchestrator-*.dump 2>/dev/null | sort -r | tail -n +"$((keep + 1))" | while read -r old; do
    rm -f "$old"
    echo "backup.sh: removed $old (keeping $keep)"
  done
}

if [ -z "$every" ]; then
  backup_once
  exit 0
fi
# DIR/.last-status says whether the latest run succeeded (the compose healthcheck reads it).
while :; do
  if backup_once; then
    echo ok > "$dir/.last-status"
  else
    echo failed > "$dir/.last-status"
    echo "backup.sh: backup failed; next try in ${every}s" >&2
  fi
  sleep "$every"
done
