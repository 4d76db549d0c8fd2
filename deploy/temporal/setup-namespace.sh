#!/bin/sh
# Compose one-shot `temporal-namespace` (image temporalio/admin-tools, `temporal` CLI):
# wait for the frontend, create the namespace when missing and register the custom search
# attributes the orchestrator writes on every execution, as domain/search-attributes.json defines
# them (mounted next to this script), so Temporal Web UI can filter by tenant / connector / policy.
# Idempotent: existing namespace and attributes are left alone.
#
# Environment: TEMPORAL_ADDRESS (temporal:7233), TEMPORAL_NAMESPACE (default),
#              TEMPORAL_NAMESPACE_RETENTION (72h), SETUP_TIMEOUT_SECONDS (180)
set -eu

addr="${TEMPORAL_ADDRESS:-temporal:7233}"
ns="${TEMPORAL_NAMESPACE:-default}"
retention="${TEMPORAL_NAMESPACE_RETENTION:-72h}"
timeout="${SETUP_TIMEOUT_SECONDS:-180}"
# "Name": "Type" pairs, one per line, from their one definition.
attributes_file="${SEARCH_ATTRIBUTES_FILE:-$(dirname "$0")/search-attributes.json}"
attributes=$(sed -n 's/^ *"\([A-Za-z]*\)": *"\([A-Za-z]*\)".*/\1=\2/p' "$attributes_file")
[ -n "$attributes" ] || { echo "temporal-namespace: no search attributes in $attributes_file" >&2; exit 1; }

deadline=$(( $(date +%s) + timeout ))
retry() {
  # retry <description> <command...>: every 2 s until success or the deadline.
  what="$1"
  shift
  until "$@"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "temporal-namespace: gave up after ${timeout}s: $what" >&2
      exit 1
    fi
    sleep 2
  done
}

cluster_healthy() { temporal operator cluster health --address "$addr" >/dev/null 2>&1; }
namespace_exists() { temporal operator namespace describe --address "$addr" --namespace "$ns" >/dev/null 2>&1; }
attribute_registered() {
  temporal operator search-attribute list --address "$addr" --namespace "$ns" 2>/dev/null | grep -qw "$1"
}
ensure_attribute() { # ensure_attribute NAME TYPE
  attribute_registered "$1" ||
    temporal operator search-attribute create --address "$addr" --namespace "$ns" --name "$1" --type "$2"
}

echo "temporal-namespace: waiting for $addr"
retry "cluster health at $addr" cluster_healthy

if namespace_exists; then
  echo "temporal-namespace: namespace $ns exists"
else
  echo "temporal-namespace: creating namespace $ns (retention $retention)"
  temporal operator namespace create --address "$addr" --namespace "$ns" --retention "$retention"
  retry "namespace $ns visible" namespace_exists
fi

for attribute in $attributes; do
  name="${attribute%%=*}" type="${attribute#*=}"
  # A fresh namespace takes a moment to reach every frontend's cache: retry.
  retry "search attribute $name" ensure_attribute "$name" "$type"
  echo "temporal-namespace: search attribute $name ($type) registered"
done
echo "temporal-namespace: done"
