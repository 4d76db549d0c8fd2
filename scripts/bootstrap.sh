#!/usr/bin/env bash
# Installs, idempotently, what a fresh machine lacks: node modules, the Temporal CLI, Postgres and
# Redis. A second run with everything present takes a few seconds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

apt_packages=()
[ -n "$(pg_bindir)" ] || apt_packages+=(postgresql)
command -v redis-server >/dev/null || apt_packages+=(redis-server)
if [ ${#apt_packages[@]} -gt 0 ]; then
  log "installing ${apt_packages[*]} (apt)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
  export PATH="$(pg_bindir):$PATH"
fi

if ! command -v temporal >/dev/null; then
  command -v go >/dev/null || die "Go is needed to install the Temporal CLI (SPEC §8)"
  log "installing the Temporal CLI ${TEMPORAL_CLI_VERSION} (go install; a few minutes the first time)"
  go install "github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}"
fi

# npm ci only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing node modules (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
log "bootstrap complete"
