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
# A lane still running when the command ends (interrupted, or a failed step) goes with it.
cleanup() { [ -z "${lane2:-}" ] || kill -- "-$lane2" 2>/dev/null || true; bash scripts/services.sh stop "$data" >/dev/null; rm -rf "$data"; }
trap cleanup EXIT
phase "services" bash scripts/services.sh start "$data"
set -a; source "$data/services.env"; set +a

log "phases: ${phases[*]}"
# Kept after the run (.data/jest-results*.json: per-test durations, `npm run test:durations`).
mkdir -p .data
rm -f .data/jest-results*.json .data/jest-lane-*.log
status=0
if [ -z "${TEST_FILTER:-}" ] && [ $# -eq 0 ] && [ "${TEST_LANES:-2}" = 2 ]; then
  # The whole suite, in two lanes at once (test/support/lanes.js decides which file runs where):
  # each lane runs its files one by one in one worker (-w 1), as the shared services expect, and most files wait on real
  # timers, so two cores carry both. Lane 1 has the unit files and the coverage thresholds. Lane 2
  # prints when it is done; both lanes' results make up the totals.
  log "tests (jest: unit + integration, two lanes of one file at a time; TEST_LANES=1 for one)"
  setsid npx jest -w 1 --shard=2/2 --json --outputFile=.data/jest-results-lane-2.json >.data/jest-lane-2.log 2>&1 &
  lane2=$!
  npx jest -w 1 --shard=1/2 --coverage --json --outputFile=.data/jest-results-lane-1.json || status=$?
  wait "$lane2" || status=$?
  lane2=""
  log "lane 2"
  cat .data/jest-lane-2.log
else
  log "tests (jest: unit + integration, one file at a time)"
  # Coverage (and its thresholds) only for the whole suite: a filtered run covers less by design.
  coverage=(--coverage); [ -n "${TEST_FILTER:-}" ] || [ $# -gt 0 ] && coverage=()
  npx jest -w 1 "${coverage[@]}" --json --outputFile=.data/jest-results.json ${TEST_FILTER:+-t "$TEST_FILTER"} "$@" || status=$?
fi
# The last line is the plain "N passed, N failed, N skipped" that CI reads (jest's own summary is not
# one it knows), over every lane; a run that died before jest wrote its results says so instead.
node scripts/test-totals.mjs .data/jest-results*.json || status=1
exit "$status"
