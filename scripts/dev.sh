#!/usr/bin/env bash
# npm run dev: the api and the worker rebuilt and restarted on every change (the workflow bundle
# too), against services that are already running — those of `npm start` (.data/dev) or of
# `npm run dev:services`. Ctrl-C stops the api, the worker and the compiler; the services stay.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

data="$ROOT/.data/dev"
if [ ! -f "$data/services.env" ] || ! (source "$data/services.env" && pg_isready -q -d "$DATABASE_URL"); then
  die "no running services in .data/dev: start them with \`npm run dev:services\` (or keep \`npm start\` running)"
fi
bash scripts/bootstrap.sh
log "first build"
quietly "the build" npm run --silent build
local_platform_env
quietly "the migrations" npm run --silent migrate

children=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# tsc rewrites dist/ on every change (type errors are printed, the last good output stays); nodemon
# restarts each process when its output changes, and the worker rebuilds the workflow bundle first.
npx tsc -p tsconfig.json --watch --preserveWatchOutput --pretty & children+=($!)
watch=(--watch dist/src --watch dist/domain --watch dist/activities --ext js --delay 1 --quiet)
npx nodemon "${watch[@]}" dist/src/main-api.js & children+=($!)
npx nodemon "${watch[@]}" --watch dist/workflows --exec 'node dist/scripts/build-workflow-bundle.js >/dev/null && node dist/src/main-worker.js' & children+=($!)
log "watching: api on :$CONTROL_PORT/:$EXEC_PORT, worker health on :$WORKER_HEALTH_PORT (Ctrl-C stops them; services stay up)"
wait -n "${children[@]}"
