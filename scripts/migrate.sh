#!/bin/sh
# Run database migrations (TypeORM, compiled) — the one entry point used by the compose
# `migrate` one-shot, the Helm migration Job, the pods' wait-for-migrations init container and
# operators.
#
#   scripts/migrate.sh [up|down|status|wait] [--timeout SECONDS]     default: up
#
#   up      apply every pending migration (npm run migrate)
#   down    revert the most recent migration (npm run migrate:down)
#   status  list applied [X] / pending [ ] migrations (npm run migrate:status)
#   wait    return once no migration of this build is pending (npm run migrate:wait)
#
# up and down hold a Postgres advisory lock for their whole run, so overlapping runs (a GitOps
# Job re-synced, a hook and a manual run) wait for each other instead of racing. --timeout
# bounds the wait for that lock (up, down) or for the schema (wait); default 300 s; exit 75
# when it passes.
#
# Needs DATABASE_URL and a build (dist/). Inside the images it runs from /app; elsewhere from
# the repository root. Exit status is the migration command's.
set -eu

cd "$(dirname "$0")/.."

action="${1:-up}"
case "$action" in
  up | down | status | wait) [ "$#" -gt 0 ] && shift ;;
  -h | --help | help)
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  --timeout*) action=up ;;
  *)
    echo "migrate.sh: unknown action '$action' (expected up, down, status or wait)" >&2
    exit 2
    ;;
esac

if [ -z "${DATABASE_URL:-}" ]; then
  echo "migrate.sh: DATABASE_URL is not set (e.g. set -a; . ./.env; set +a)" >&2
  exit 2
fi

if [ ! -f dist/src/database/migrate.js ]; then
  echo "migrate.sh: dist/ not found; run 'npm run build' first" >&2
  exit 2
fi

# The host part only: never print credentials.
target="$(printf '%s' "$DATABASE_URL" | sed -E 's#^[a-z]+://([^@/]*@)?([^/?]*).*#\2#')"
echo "migrate.sh: $action against $target"

# node directly (not npm): nothing is written under $HOME, so it runs with a read-only root
# filesystem (Kubernetes Job, init container).
exec node dist/src/database/migrate.js "$action" "$@"
