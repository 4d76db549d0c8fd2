#!/bin/sh
# Run database migrations (TypeORM, compiled data source) — the one entry point used by the
# compose `migrate` one-shot, the Helm migration Job and operators.
#
#   scripts/migrate.sh [up|down|status]     default: up
#
#   up      apply every pending migration (npm run migrate)
#   down    revert the most recent migration (npm run migrate:down)
#   status  list applied / pending migrations (npm run migrate:status)
#
# Needs DATABASE_URL and a build (dist/). Inside the images it runs from /app; elsewhere from
# the repository root. Exit status is the migration command's.
set -eu

cd "$(dirname "$0")/.."

action="${1:-up}"
case "$action" in
  up) script=migrate ;;
  down) script=migrate:down ;;
  status) script=migrate:status ;;
  -h|--help|help)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "migrate.sh: unknown action '$action' (expected up, down or status)" >&2
    exit 2
    ;;
esac

if [ -z "${DATABASE_URL:-}" ]; then
  echo "migrate.sh: DATABASE_URL is not set (e.g. set -a; . ./.env; set +a)" >&2
  exit 2
fi

if [ ! -d dist ]; then
  echo "migrate.sh: dist/ not found; run 'npm run build' first" >&2
  exit 2
fi

# The host part only: never print credentials.
target="$(printf '%s' "$DATABASE_URL" | sed -E 's#^[a-z]+://([^@/]*@)?([^/?]*).*#\2#')"
echo "migrate.sh: $action against $target"

# npm writes logs and cache under $HOME by default; point them at /tmp so the command also
# runs with a read-only root filesystem (Kubernetes Job).
export NPM_CONFIG_CACHE="${NPM_CONFIG_CACHE:-/tmp/.npm}"
export NPM_CONFIG_LOGS_MAX="${NPM_CONFIG_LOGS_MAX:-0}"
export NPM_CONFIG_UPDATE_NOTIFIER=false

exec npm run --silent "$script"
