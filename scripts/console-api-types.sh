#!/usr/bin/env bash
# console-api-types.sh [CONTROL_URL]: refreshes the console's copy of the api's OpenAPI document
# (console/openapi.json) from a running api's /docs-json (default: `npm start`'s control plane), and
# the types generated from it (console/src/api/schema.d.ts). The console's build type-checks every
# call against them; the console test fails while the copy differs from what the api serves.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
url="${1:-http://127.0.0.1:${CONTROL_PORT:-4000}}"
curl -fsS "$url/docs-json" | node -e 'let s="";process.stdin.on("data",(c)=>s+=c).on("end",()=>process.stdout.write(JSON.stringify(JSON.parse(s),null,2)+"\n"))' >console/openapi.json
(cd console && npx openapi-typescript openapi.json -o src/api/schema.d.ts)
log "console/openapi.json and console/src/api/schema.d.ts refreshed from $url"
