# Shared helpers for the project's scripts. Source it; do not run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPORAL_CLI_VERSION="v1.5.1"
# The API fuzzer of the test command (PyPI, SPEC §8), in a virtualenv of its own under .data/tools.
SCHEMATHESIS_VERSION="4.32.5"
SCHEMATHESIS_HOME="$ROOT/.data/tools/schemathesis-$SCHEMATHESIS_VERSION"
# The S3-compatible server the payload-store tests run against (PyPI, SPEC §8), likewise.
MOTO_VERSION="5.2.5"
MOTO_HOME="$ROOT/.data/tools/moto-$MOTO_VERSION"
# The bucket scripts/services.sh creates on it, and the credentials it accepts (moto takes any).
TEST_PAYLOAD_BUCKET="orchestrator-payloads"

log() { printf '\033[1;34m[orchestrator]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[orchestrator]\033[0m %s\n' "$*" >&2; exit 1; }

# Tool locations: Go-installed binaries and Debian's versioned Postgres directory.
pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
export PATH="$HOME/go/bin:$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin:$(pg_bindir):$PATH"

# A free TCP port on loopback: the preferred one when it is free, otherwise any.
free_port() {
  node -e '
    const net = require("net");
    const tryPort = (p) => new Promise((ok) => { const s = net.createServer(); s.once("error", () => ok(null)); s.listen(p, "127.0.0.1", () => { const port = s.address().port; s.close(() => ok(port)); }); });
    (async () => { console.log((process.argv[1] && await tryPort(Number(process.argv[1]))) || await tryPort(0)); })();
  ' "${1:-0}"
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.3 s.
wait_until() {
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || die "timed out waiting for $what"
    sleep 0.3
  done
}

# quietly DESCRIPTION COMMAND...: runs COMMAND with its output held back; on failure prints that
# output and the failure, and exits with the command's status (a build error is never silent).
quietly() {
  local what="$1" output status=0; shift
  output="$("$@" 2>&1)" || status=$?
  if [ "$status" -ne 0 ]; then
    printf '%s\n' "$output" >&2
    die "$what failed (exit $status)"
  fi
}

# The services' addresses and the local defaults for running the api and worker by hand
# (npm start, npm run dev). Needs $data (the services' folder). Exports everything it sets.
local_platform_env() {
  set -a
  # Local defaults first, then the developer's .env, then the services.
  AUTH_MODE=disabled NODE_ENV=development LOG_LEVEL=info
  # The demo connectors (and most local downstreams) live on loopback.
  ORCH_ALLOW_PRIVATE_NETWORK=true
  # shellcheck disable=SC1091
  [ -f "$ROOT/.env" ] && source "$ROOT/.env"
  # shellcheck disable=SC1091
  source "$data/services.env"
  CONTROL_PORT=$(free_port "${CONTROL_PORT:-4000}") EXEC_PORT=$(free_port "${EXEC_PORT:-4001}")
  OPERATOR_PORT=$(free_port "${OPERATOR_PORT:-4002}")
  WORKER_HEALTH_PORT=$(free_port "${WORKER_HEALTH_PORT:-4003}")
  WORKER_SDK_METRICS_PORT=$(free_port "${WORKER_SDK_METRICS_PORT:-9465}")
  # The console links a job to its workflow in the dev server's Web UI.
  ORCH_TEMPORAL_UI_URL="${ORCH_TEMPORAL_UI_URL:-$TEMPORAL_UI_URL}"
  API_METRICS_PORT=$(free_port "${API_METRICS_PORT:-9464}")
  unset PORT
  set +a
}

# The custom search attributes (domain/search-attributes.json, their one definition) as
# `temporal server start-dev` flags: --search-attribute Name=Type …
search_attribute_flags() {
  sed -n 's/^ *"\([A-Za-z]*\)": *"\([A-Za-z]*\)".*/--search-attribute \1=\2/p' "$ROOT/domain/search-attributes.json" | tr '\n' ' '
}
