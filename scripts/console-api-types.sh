#!/usr/bin/env bash
# console-api-types.sh [CONTROL_URL EXEC_URL]: refreshes the console's copy of the api's OpenAPI
# document (console/openapi.json: both planes' documents merged, see scripts/console-api-document.ts)
# from a running api (default: `npm start`'s ports), and the types generated from it
# (console/src/api/schema.d.ts). The console's build type-checks every call against them; the
# console test fails while the copy differs from what the api serves. Needs `npm run build` first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
control="${1:-http://127.0.0.1:${CONTROL_PORT:-4000}}"
exec_url="${2:-http://127.0.0.1:${EXEC_PORT:-4001}}"
node dist/scripts/console-api-document.js "$control" "$exec_url" >console/openapi.json
(cd console && npx openapi-typescript openapi.json -o src/api/schema.d.ts)
log "console/openapi.json and console/src/api/schema.d.ts refreshed from $control and $exec_url"
