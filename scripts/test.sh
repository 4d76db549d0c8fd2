#!/usr/bin/env bash
# The whole test suite: bootstrap, lint, typecheck + build, migrations gate, unit and integration
# tests against real Temporal, Postgres, Redis and a local downstream, and the deployment checks.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

bash scripts/bootstrap.sh
log "lint";  npm run --silent lint
log "build (typecheck + workflow bundle)"; npm run --silent build

log "deployment checks"; bash scripts/check-deploy.sh

data="$(mktemp -d /tmp/orchestrator-test.XXXXXX)"
chmod 755 "$data"
cleanup() { bash scripts/services.sh stop "$data"; rm -rf "$data"; }
trap cleanup EXIT
bash scripts/services.sh start "$data"
set -a; source "$data/services.env"; set +a

log "tests"
shopt -s globstar
node --test --test-concurrency=1 --test-timeout=300000 ${TEST_FILTER:+--test-name-pattern="$TEST_FILTER"} \
  dist/test/**/*.test.js
