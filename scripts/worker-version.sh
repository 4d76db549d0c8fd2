#!/usr/bin/env bash
# Moves new work between worker builds (Temporal Worker Deployment versioning; docs/deploy.md,
# "Worker versions"). A thin wrapper over `temporal worker deployment …` that reads the app's own
# connection settings, so it runs wherever api/worker config is at hand (a laptop with the env
# file, a `kubectl exec` into an api pod with the CLI, a CI job).
#
#   scripts/worker-version.sh status   DEPLOYMENT               current / ramping version, builds
#   scripts/worker-version.sh ramp     DEPLOYMENT BUILD PERCENT send PERCENT % of new jobs to BUILD
#   scripts/worker-version.sh promote  DEPLOYMENT BUILD         make BUILD current (ramp cleared)
#   scripts/worker-version.sh rollback DEPLOYMENT BUILD         the same, back to an earlier BUILD
#   scripts/worker-version.sh drained  DEPLOYMENT BUILD         exit 0 once no job is pinned to BUILD
#
# DEPLOYMENT is the pool's WORKER_DEPLOYMENT_NAME (Helm: <fullname>-<pool>), BUILD its
# WORKER_BUILD_ID. Promote refuses a build no worker polls yet (start its pods first).
# Connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_CA_PATH / _CERT_PATH / _KEY_PATH,
# TEMPORAL_TLS_SERVER_NAME, TEMPORAL_TLS, TEMPORAL_API_KEY (as in .env.example). TEMPORAL_CLI
# names the CLI binary (default: temporal on PATH, else ~/go/bin/temporal).
set -euo pipefail

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
[ "$#" -ge 2 ] || usage 2
action="$1" deployment="$2"
shift 2

cli="${TEMPORAL_CLI:-$(command -v temporal || echo "$HOME/go/bin/temporal")}"
[ -x "$cli" ] || { echo "worker-version.sh: Temporal CLI not found (set TEMPORAL_CLI)" >&2; exit 2; }

connection=(--address "${TEMPORAL_ADDRESS:-127.0.0.1:7233}" --namespace "${TEMPORAL_NAMESPACE:-default}")
[ -n "${TEMPORAL_TLS_CA_PATH:-}" ] && connection+=(--tls-ca-path "$TEMPORAL_TLS_CA_PATH")
[ -n "${TEMPORAL_TLS_CERT_PATH:-}" ] && connection+=(--tls-cert-path "$TEMPORAL_TLS_CERT_PATH" --tls-key-path "$TEMPORAL_TLS_KEY_PATH")
[ -n "${TEMPORAL_TLS_SERVER_NAME:-}" ] && connection+=(--tls-server-name "$TEMPORAL_TLS_SERVER_NAME")
[ -n "${TEMPORAL_API_KEY:-}" ] && connection+=(--api-key "$TEMPORAL_API_KEY")
if [ "${TEMPORAL_TLS:-}" = "true" ] || [ -n "${TEMPORAL_TLS_CA_PATH:-}${TEMPORAL_TLS_CERT_PATH:-}${TEMPORAL_API_KEY:-}" ]; then
  connection+=(--tls)
fi

deployment_cmd() { "$cli" worker deployment "$@" "${connection[@]}"; }

case "$action" in
  status)
    deployment_cmd describe --name "$deployment"
    ;;
  ramp)
    [ "$#" -eq 2 ] || usage 2
    deployment_cmd set-ramping-version --deployment-name "$deployment" --build-id "$1" --percentage "$2" --yes
    echo "worker-version.sh: $2% of new jobs of $deployment go to $1"
    ;;
  promote | rollback)
    [ "$#" -eq 1 ] || usage 2
    deployment_cmd set-current-version --deployment-name "$deployment" --build-id "$1" --yes
    echo "worker-version.sh: $1 is the current version of $deployment"
    ;;
  drained)
    [ "$#" -eq 1 ] || usage 2
    status="$(deployment_cmd describe-version --deployment-name "$deployment" --build-id "$1" -o json |
      sed -n 's/.*"drainageStatus": *"\([a-z]*\)".*/\1/p')"
    echo "worker-version.sh: $deployment/$1 drainage: ${status:-unknown (current, ramping, or never drained)}"
    [ "$status" = drained ]
    ;;
  -h | --help | help) usage 0 ;;
  *) usage 2 ;;
esac
