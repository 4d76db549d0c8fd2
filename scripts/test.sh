#!/usr/bin/env bash
# The whole test suite: bootstrap, lint, typecheck + build, deployment checks, then both jest projects
# (unit; integration against real Temporal, Postgres, Redis and local downstreams). Arguments go to
# jest: `npm test -- -t <pattern>` (or TEST_FILTER=<pattern>) narrows by test name.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

phases=()
phase() { # phase NAME COMMAND...: runs COMMAND and remembers how long it took
  local name="$1" started=$SECONDS; shift
  log "$name"
  "$@"
  phases+=("$name $((SECONDS - started))s")
}

# package.json `engines` lists the Node lines the suite is run on (the images use Node 24 LTS).
log "node $(node --version) (engines: $(node -p 'require("./package.json").engines.node'))"
phase "bootstrap" bash scripts/bootstrap.sh
phase "lint" npm run --silent lint
phase "build (typecheck + workflow bundle)" npm run --silent build
phase "deployment checks" bash scripts/check-deploy.sh

data="$(mktemp -d /tmp/orchestrator-test.XXXXXX)"
chmod 755 "$data"
cleanup() { bash scripts/services.sh stop "$data" >/dev/null; rm -rf "$data"; }
trap cleanup EXIT
phase "services" bash scripts/services.sh start "$data"
set -a; source "$data/services.env"; set +a

log "phases: ${phases[*]}"
log "tests (jest: unit + integration, in band)"
# Coverage (and its thresholds) only for the whole suite: a filtered run covers less by design.
coverage=(--coverage); [ -n "${TEST_FILTER:-}" ] || [ $# -gt 0 ] && coverage=()
# Kept after the run (per-test durations: which tests are slow).
mkdir -p .data
results="$ROOT/.data/jest-results.json"
rm -f "$results"
status=0
npx jest --runInBand "${coverage[@]}" --json --outputFile="$results" ${TEST_FILTER:+-t "$TEST_FILTER"} "$@" || status=$?
# The last line is the plain "N passed, N failed, N skipped" that CI reads (jest's own summary is not
# one it knows); a run that died before jest wrote its results says so instead.
if [ -s "$results" ]; then
  node -e 'const r = require(process.argv[1]);
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests + r.numRuntimeErrorTestSuites} failed, ${r.numPendingTests + r.numTodoTests} skipped`);' "$results"
else
  echo "jest wrote no results (exit $status)"
fi
exit "$status"
