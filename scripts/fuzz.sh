#!/usr/bin/env bash
# The API fuzzer, longer than in the test command and with a new seed each run (printed, so a
# failure can be replayed with FUZZ_SEED=<seed> npm run fuzz). Services are started and stopped here.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

bash scripts/bootstrap.sh
quietly "the build" npm run --silent build
data="$(mktemp -d /tmp/orchestrator-fuzz.XXXXXX)"
chmod 755 "$data"
cleanup() { bash scripts/services.sh stop "$data"; rm -rf "$data"; }
trap cleanup EXIT
bash scripts/services.sh start "$data"
set -a; source "$data/services.env"; set +a

export FUZZ_SEED="${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
export FUZZ_MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-100}" FUZZ_MAX_SECONDS="${FUZZ_MAX_SECONDS:-300}"
log "schemathesis: seed $FUZZ_SEED, up to $FUZZ_MAX_EXAMPLES examples per operation and $FUZZ_MAX_SECONDS s per plane"
npx jest --runInBand test/integration/api-fuzz.test.ts
