#!/usr/bin/env bash
# Installs, idempotently, what a fresh machine lacks: node modules, the Temporal CLI, schemathesis, moto, Postgres,
# Redis and nginx (stream module). A second run with everything present takes a few seconds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

apt_packages=()
[ -n "$(pg_bindir)" ] || apt_packages+=(postgresql)
command -v redis-server >/dev/null || apt_packages+=(redis-server)
# nginx with its stream module: the TLS-terminating proxy of the Temporal mTLS test.
command -v nginx >/dev/null || apt_packages+=(nginx-light)
nginx -V 2>&1 | grep -q -- '--with-stream ' || [ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || apt_packages+=(libnginx-mod-stream)
# Debian's Chromium: the operator console's browser test drives it through playwright-core (SPEC §8).
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
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

if [ ! -x "$SCHEMATHESIS_HOME/bin/st" ]; then
  log "installing schemathesis ${SCHEMATHESIS_VERSION} (PyPI, into ${SCHEMATHESIS_HOME#$ROOT/})"
  rm -rf "$SCHEMATHESIS_HOME"
  python3 -m venv "$SCHEMATHESIS_HOME"
  "$SCHEMATHESIS_HOME/bin/pip" install --quiet --disable-pip-version-check "schemathesis==${SCHEMATHESIS_VERSION}"
fi

if [ ! -x "$MOTO_HOME/bin/moto_server" ]; then
  log "installing moto[server] ${MOTO_VERSION} (PyPI, into ${MOTO_HOME#$ROOT/})"
  rm -rf "$MOTO_HOME"
  python3 -m venv "$MOTO_HOME"
  "$MOTO_HOME/bin/pip" install --quiet --disable-pip-version-check "moto[server]==${MOTO_VERSION}"
fi

# Only when the lockfile changed since the last install. `npm install` (not `npm ci`) because the
# registries reachable here lack other platforms' optional @swc/core binaries, so the lockfile cannot
# list them and `npm ci` would refuse it; install still honours every version the lockfile pins.
lock_hash=$(sha256sum package.json package-lock.json | sha256sum | cut -c1-64)
if [ "$(cat node_modules/.installed-from 2>/dev/null)" != "$lock_hash" ]; then
  log "installing node modules"
  npm install --no-audit --no-fund --loglevel=error
  sha256sum package.json package-lock.json | sha256sum | cut -c1-64 >node_modules/.installed-from
fi
# The operator console (console/) has its own lockfile; same rule.
console_hash=$(sha256sum console/package.json console/package-lock.json | sha256sum | cut -c1-64)
if [ "$(cat console/node_modules/.installed-from 2>/dev/null)" != "$console_hash" ]; then
  log "installing the console's node modules"
  npm --prefix console ci --no-audit --no-fund --loglevel=error
  echo "$console_hash" >console/node_modules/.installed-from
fi
log "bootstrap complete"
