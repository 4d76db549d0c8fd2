#!/usr/bin/env bash
# The platform on this machine: Temporal dev server, Postgres, Redis, migrations, api and worker.
# Ctrl-C stops all of it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

bash scripts/bootstrap.sh
log "building"
quietly "the build" npm run --silent build

data="$ROOT/.data/dev"
children=()
cleanup() {
  trap - INT TERM EXIT
  log "stopping"
  for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${children[@]}"; do wait "$pid" 2>/dev/null || true; done
  bash scripts/services.sh stop "$data"
  log "stopped"
}
trap cleanup INT TERM EXIT

bash scripts/services.sh start "$data" --preferred-ports
local_platform_env
quietly "the migrations" npm run --silent migrate
node dist/src/main-api.js & children+=($!)
node dist/src/main-worker.js & children+=($!)
wait_until 60 "the api" curl -fs "http://127.0.0.1:$CONTROL_PORT/health/ready"
wait_until 60 "the worker" curl -fs "http://127.0.0.1:$WORKER_HEALTH_PORT/health/ready"
sleep 1 # pino writes from a worker thread: let both processes' start-up lines land before the banner

cat >&2 <<MSG

  Orchestrator is running (AUTH_MODE=$AUTH_MODE, tenant "dev" when disabled)
    Console         http://127.0.0.1:$OPERATOR_PORT   (operator console: jobs, connectors, policies, DLQ, …)
    Control plane   http://127.0.0.1:$CONTROL_PORT   (connectors, policies, …)
    Exec plane      http://127.0.0.1:$EXEC_PORT   (POST /execute, /jobs, /events)
    Swagger UI      http://127.0.0.1:$CONTROL_PORT/docs   (control plane; exec plane: http://127.0.0.1:$EXEC_PORT/docs)
    Temporal Web UI $TEMPORAL_UI_URL
    Payload store   ${PAYLOAD_STORE_ENDPOINT:-none}   (S3-compatible, bucket ${PAYLOAD_STORE_BUCKET:-none}: payloads above 128 KiB)
    Worker health   http://127.0.0.1:$WORKER_HEALTH_PORT/health/ready   (and /metrics)
    api metrics     http://127.0.0.1:$API_METRICS_PORT/metrics
  Press Ctrl-C to stop.

MSG
wait -n "${children[@]}"
