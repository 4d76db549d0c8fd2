#!/usr/bin/env bash
# prodlike.sh — the topology of docker-compose.prod.yml, natively (no Docker), on free loopback
# ports: Postgres, Redis, a real Temporal server with Postgres persistence (schema + namespace
# one-shots), migrations, two api processes and two workers, and a proxy load-balancing both api
# planes: deploy/prodlike/proxy.mjs (readiness-aware, like a Kubernetes Service; the default) or
# nginx (passive failover only, like the compose proxy).
#
#   scripts/prodlike.sh install                   build the Temporal server and temporal-sql-tool
#                                                 (go install, once; a no-op when present)
#   scripts/prodlike.sh start DIR [NAME=VALUE…]   start everything with state in DIR; NAME=VALUE
#                                                 pairs go to every api and worker process
#   scripts/prodlike.sh restart DIR PROCESS… [NAME=VALUE…]
#                                                 graceful restart, one at a time (api-1, api-2,
#                                                 worker-1, worker-2): SIGTERM, wait for the exit,
#                                                 start, wait for /health/ready; NAME=VALUE pairs
#                                                 are kept for those processes from then on (e.g.
#                                                 WORKER_BUILD_ID=B: roll a worker to a new version)
#   scripts/prodlike.sh status DIR                which processes run
#   scripts/prodlike.sh stop DIR                  stop everything (state stays in DIR)
#
# `start` writes DIR/prodlike.env (URLs, addresses, pids; rewritten by `restart`); logs are in
# DIR/logs. The api and workers run the build in dist/ (`npx tsc -p .` or `npm run build`; the
# workers need dist/workflow-bundle.js) with AUTH_MODE=disabled, ORCH_ALLOW_PRIVATE_NETWORK=true,
# NODE_ENV=test unless NAME=VALUE says otherwise.
#
# Environment: PRODLIKE_APIS / PRODLIKE_WORKERS (2 / 2), PRODLIKE_PROXY (node | nginx; see
# docs/deploy.md for the difference during restarts), PRODLIKE_TEMPORAL (auto: the real server,
# or `temporal server start-dev` when it cannot be built — said loudly; `server`: fail instead),
# TEMPORAL_HISTORY_SHARDS (4), TEMPORAL_DYNAMIC_CONFIG (deploy/temporal/dynamicconfig/development.yaml).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TEMPORAL_SERVER_VERSION="v1.30.3"
GO_BIN="$(go env GOBIN 2>/dev/null || true)"
[ -n "$GO_BIN" ] || GO_BIN="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
export PATH="$GO_BIN:$PATH"

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2; }

# Postgres refuses to run as root: run it as the `postgres` user when we are root.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# free_ports N [LOW HIGH]: N distinct free loopback ports, one per line (all held open at once, so
# no duplicates); any port, or random ones in LOW..HIGH.
free_ports() {
  node -e '
    const net = require("net");
    const [count, low, high] = process.argv.slice(1).map(Number);
    const servers = [];
    const bind = (port) => new Promise((ok) => { const s = net.createServer(); s.once("error", () => ok(null)); s.listen(port, "127.0.0.1", () => ok(s)); });
    (async () => {
      for (let tries = 0; servers.length < count; tries++) {
        if (tries > 1000) throw new Error("no free ports");
        const s = await bind(low ? low + Math.floor(Math.random() * (high - low + 1)) : 0);
        if (s) servers.push(s);
      }
      console.log(servers.map((s) => s.address().port).join("\n"));
      servers.forEach((s) => s.close());
    })();
  ' "$@"
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
# env_get FILE NAME: the value of NAME in a NAME=VALUE file ('' when absent).
env_get() { sed -n "s/^$2=//p" "$1" 2>/dev/null | tail -n 1; }
pid_of() { cat "$run/$1.pid" 2>/dev/null || true; }

# ---- install ----------------------------------------------------------------------------------
# Main-module version a Go binary was built from ('' when absent).
go_bin_version() { [ -x "$1" ] && go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'; }

install_temporal_server() {
  if [ "$(go_bin_version "$GO_BIN/temporal-server")" = "$TEMPORAL_SERVER_VERSION" ] &&
    [ "$(go_bin_version "$GO_BIN/temporal-sql-tool")" = "$TEMPORAL_SERVER_VERSION" ]; then
    return 0
  fi
  command -v go >/dev/null || { log "Go is needed to build the Temporal server (SPEC §8)"; return 1; }
  local tmp started=$SECONDS
  tmp="$(mktemp -d)"
  log "building the Temporal server $TEMPORAL_SERVER_VERSION and temporal-sql-tool (go install; a few minutes the first time)"
  if GOBIN="$tmp" GOFLAGS="${GOFLAGS:--buildvcs=false}" nice -n 10 go install \
    "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" >"$tmp/build.log" 2>&1; then
    mkdir -p "$GO_BIN"
    mv "$tmp/server" "$GO_BIN/temporal-server"
    mv "$tmp/sql" "$GO_BIN/temporal-sql-tool"
    rm -rf "$tmp"
    log "Temporal server $TEMPORAL_SERVER_VERSION built in $((SECONDS - started)) s ($GO_BIN/temporal-server, temporal-sql-tool)"
  else
    log "go install of the Temporal server $TEMPORAL_SERVER_VERSION failed after $((SECONDS - started)) s:"
    tail -n 20 "$tmp/build.log" >&2
    rm -rf "$tmp"
    return 1
  fi
}

# ---- processes --------------------------------------------------------------------------------
# start_app NAME: api-N or worker-N, from the build, with common.env + app.env + NAME.env only
# (nothing leaks in from the caller's environment), in its own session, output in logs/NAME.log.
start_app() {
  local name="$1" kind="${1%%-*}"
  (
    cd "$ROOT"
    # shellcheck disable=SC2016 # expanded by the inner bash
    exec setsid env -i PATH="$PATH" HOME="$HOME" bash -c \
      'set -a; for f in "$@"; do . "$f"; done; set +a; exec node "$0"' \
      "dist/src/main-$kind.js" "$run/common.env" "$run/app.env" "$run/$name.env"
  ) >>"$logs/$name.log" 2>&1 </dev/null &
  echo $! >"$run/$name.pid"
}

ready_url() {
  case "$1" in
    api-*) echo "http://127.0.0.1:$(env_get "$run/$1.env" CONTROL_PORT)/health/ready" ;;
    worker-*) echo "http://127.0.0.1:$(env_get "$run/$1.env" WORKER_HEALTH_PORT)/health/ready" ;;
  esac
}

# wait_ready NAME: until GET /health/ready answers 200; fails early when the process dies.
wait_ready() {
  local name="$1" url pid deadline=$((SECONDS + 90))
  url="$(ready_url "$name")"
  pid="$(pid_of "$name")"
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    alive "$pid" || { tail -n 30 "$logs/$name.log" >&2; die "$name exited before it was ready (log: $logs/$name.log)"; }
    (( SECONDS < deadline )) || die "$name not ready after 90 s (log: $logs/$name.log)"
    sleep 0.2
  done
}

# Seconds a process gets between SIGTERM and SIGKILL: above its own drain/grace time.
stop_budget() {
  local drain grace
  drain="$(env_get "$run/app.env" ORCH_SHUTDOWN_DRAIN_SECONDS)"
  grace="$(env_get "$run/app.env" WORKER_SHUTDOWN_GRACE_SECONDS)"
  case "$1" in
    api-*) echo $((${drain:-0} + 30)) ;;
    *) echo $((${grace:-30} + 15)) ;;
  esac
}

# stop_pid NAME PID BUDGET [--signalled]: SIGTERM (once: a second one would cut Nest's graceful
# shutdown short), wait up to BUDGET s, then SIGKILL. Fails if it needed SIGKILL.
stop_pid() {
  local name="$1" pid="$2" budget="$3" deadline
  alive "$pid" || return 0
  [ "${4:-}" = --signalled ] || kill -TERM "$pid" 2>/dev/null || return 0
  deadline=$((SECONDS + budget))
  while alive "$pid"; do
    if (( SECONDS >= deadline )); then
      kill -KILL "$pid" 2>/dev/null || true
      log "$name (pid $pid) did not stop within ${budget}s of SIGTERM: killed"
      return 1
    fi
    sleep 0.1
  done
}

apps() { for f in "$run"/api-*.env "$run"/worker-*.env; do [ -e "$f" ] && basename "$f" .env; done; }

# ---- prodlike.env -----------------------------------------------------------------------------
write_env() {
  local name upper
  {
    echo "# scripts/prodlike.sh: $(date -u +%Y-%m-%dT%H:%M:%SZ). Source it (set -a; . prodlike.env; set +a)."
    echo "PRODLIKE_DIR=$data"
    echo "CONTROL_URL=http://127.0.0.1:$(cat "$run/proxy-control.port")"
    echo "EXEC_URL=http://127.0.0.1:$(cat "$run/proxy-exec.port")"
    grep -E '^(DATABASE_URL|REDIS_URL|TEMPORAL_ADDRESS|TEMPORAL_NAMESPACE)=' "$run/common.env"
    echo "TEMPORAL_MODE=$(cat "$run/temporal.mode")"
    echo "TEMPORAL_PID=$(pid_of temporal)"
    echo "POSTGRES_PID=$(head -n 1 "$data/pg/postmaster.pid" 2>/dev/null || true)"
    echo "REDIS_PID=$(pid_of redis)"
    echo "PROXY=$(cat "$run/proxy.kind")"
    echo "PROXY_PID=$(proxy_pid)"
    echo "PROXY_LOG=$logs/$(cat "$run/proxy.kind")-access.log"
    for name in $(apps); do
      upper="$(echo "$name" | tr 'a-z-' 'A-Z_')"
      echo "${upper}_PID=$(pid_of "$name")"
      echo "${upper}_READY_URL=$(ready_url "$name")"
      case "$name" in
        api-*)
          echo "${upper}_CONTROL_URL=http://127.0.0.1:$(env_get "$run/$name.env" CONTROL_PORT)"
          echo "${upper}_EXEC_URL=http://127.0.0.1:$(env_get "$run/$name.env" EXEC_PORT)"
          ;;
        worker-*) echo "${upper}_HEALTH_URL=http://127.0.0.1:$(env_get "$run/$name.env" WORKER_HEALTH_PORT)" ;;
      esac
    done
  } >"$data/prodlike.env.tmp"
  mv "$data/prodlike.env.tmp" "$data/prodlike.env"
}

# ---- stop -------------------------------------------------------------------------------------
stop_all() {
  local name pid failed=0
  # Every api and worker drains at once (SIGTERM to all first), then each is waited for.
  for name in $(apps); do
    pid="$(pid_of "$name")"
    if alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for name in $(apps); do
    stop_pid "$name" "$(pid_of "$name")" "$(stop_budget "$name")" --signalled || failed=1
    rm -f "$run/$name.pid"
  done
  pid="$(proxy_pid)"
  if alive "$pid"; then kill "-$([ "$(cat "$run/proxy.kind" 2>/dev/null)" = nginx ] && echo QUIT || echo TERM)" "$pid" 2>/dev/null || true; fi
  stop_pid temporal "$(pid_of temporal)" 30 || true
  pid="$(pid_of redis)"
  if alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  [ -f "$data/pg/postmaster.pid" ] && { as_pg pg_ctl -D "$data/pg" -m fast -w stop >/dev/null 2>&1 || true; }
  rm -f "$data/prodlike.env" "$run/temporal.pid"
  return "$failed"
}

# ---- start ------------------------------------------------------------------------------------
start_postgres() {
  local port="$1"
  if [ ! -f "$data/pg/PG_VERSION" ]; then
    mkdir -p "$data/pg"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$data/pg"; chmod 700 "$data/pg"; fi
    as_pg initdb -D "$data/pg" -U orchestrator --auth=trust --encoding=UTF8 --locale=C >"$logs/initdb.log" 2>&1 ||
      die "initdb failed: $logs/initdb.log"
  fi
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$data/pg"; fi
  as_pg pg_ctl -D "$data/pg" -w -t 30 -l "$data/pg/server.log" \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null ||
    die "Postgres did not start: $data/pg/server.log"
  psql -h 127.0.0.1 -p "$port" -U orchestrator -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='orchestrator'" | grep -q 1 ||
    psql -h 127.0.0.1 -p "$port" -U orchestrator -d postgres -qc "CREATE DATABASE orchestrator" >/dev/null
}

start_redis() {
  local port="$1"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$run/redis.pid" --logfile "$logs/redis.log" --dir "$data"
  wait_until 10 "Redis" redis-cli -p "$port" ping
}

# Real server: schema one-shot, server, namespace one-shot — as the compose services do it.
start_temporal_server() {
  local pg_port="$1" frontend="$2" http="$3" fm="$4" hp="$5" hm="$6" mp="$7" mm="$8" wp="$9" wm="${10}"
  SQL_HOST=127.0.0.1 SQL_PORT="$pg_port" SQL_USER=orchestrator SQL_PASSWORD=unused-with-trust-auth SQL_PLUGIN=postgres12 \
    TEMPORAL_SCHEMA_ROOT="$data/no-schema-files" \
    sh "$ROOT/deploy/temporal/setup-schema.sh" >"$logs/temporal-schema.log" 2>&1 ||
    { tail -n 20 "$logs/temporal-schema.log" >&2; die "Temporal schema setup failed: $logs/temporal-schema.log"; }
  (
    exec setsid env TEMPORAL_PG_HOST=127.0.0.1 TEMPORAL_PG_PORT="$pg_port" TEMPORAL_PG_USER=orchestrator \
      TEMPORAL_PG_PASSWORD="" TEMPORAL_HISTORY_SHARDS="${TEMPORAL_HISTORY_SHARDS:-4}" \
      TEMPORAL_FRONTEND_PORT="$frontend" TEMPORAL_FRONTEND_HTTP_PORT="$http" TEMPORAL_FRONTEND_MEMBERSHIP_PORT="$fm" \
      TEMPORAL_HISTORY_PORT="$hp" TEMPORAL_HISTORY_MEMBERSHIP_PORT="$hm" \
      TEMPORAL_MATCHING_PORT="$mp" TEMPORAL_MATCHING_MEMBERSHIP_PORT="$mm" \
      TEMPORAL_WORKER_PORT="$wp" TEMPORAL_WORKER_MEMBERSHIP_PORT="$wm" \
      TEMPORAL_DYNAMIC_CONFIG="${TEMPORAL_DYNAMIC_CONFIG:-$ROOT/deploy/temporal/dynamicconfig/development.yaml}" \
      TEMPORAL_LOG_LEVEL="${TEMPORAL_LOG_LEVEL:-warn}" \
      temporal-server --config-file "$ROOT/deploy/prodlike/temporal.yaml" --allow-no-auth start
  ) >"$logs/temporal.log" 2>&1 </dev/null &
  echo $! >"$run/temporal.pid"
  echo server >"$run/temporal.mode"
  local deadline=$((SECONDS + 60))
  until temporal operator cluster health --address "127.0.0.1:$frontend" >/dev/null 2>&1; do
    alive "$(pid_of temporal)" || { tail -n 5 "$logs/temporal.log" >&2; die "the Temporal server exited (log: $logs/temporal.log)"; }
    (( SECONDS < deadline )) || die "the Temporal server is not serving after 60 s (log: $logs/temporal.log)"
    sleep 0.3
  done
  TEMPORAL_ADDRESS="127.0.0.1:$frontend" TEMPORAL_NAMESPACE=default TEMPORAL_NAMESPACE_RETENTION=24h SETUP_TIMEOUT_SECONDS=120 \
    SEARCH_ATTRIBUTES_FILE="$ROOT/domain/search-attributes.json" \
    sh "$ROOT/deploy/temporal/setup-namespace.sh" >"$logs/temporal-namespace.log" 2>&1 ||
    { tail -n 20 "$logs/temporal.log" "$logs/temporal-namespace.log" >&2; die "Temporal namespace setup failed: $logs/temporal-namespace.log"; }
}

# Fallback when the server cannot be built: the CLI's dev server (SQLite), like scripts/services.sh.
start_temporal_dev() {
  local frontend="$1" ui="$2"
  if [ "${PRODLIKE_TEMPORAL:-auto}" = dev ]; then
    log "PRODLIKE_TEMPORAL=dev: running \`temporal server start-dev\` (SQLite), not the real server with Postgres persistence"
  else
    log "FALLBACK: the Temporal server could not be built; running \`temporal server start-dev\` (SQLite) instead of the real server with Postgres persistence"
  fi
  local search_attributes
  read -ra search_attributes <<<"$(search_attribute_flags)"
  (
    exec setsid temporal server start-dev --ip 127.0.0.1 --port "$frontend" --ui-port "$ui" \
      --db-filename "$data/temporal-dev.db" --namespace default --log-level warn \
      "${search_attributes[@]}"
  ) >"$logs/temporal.log" 2>&1 </dev/null &
  echo $! >"$run/temporal.pid"
  echo dev-server >"$run/temporal.mode"
  wait_until 60 "Temporal dev server" temporal operator search-attribute list --address "127.0.0.1:$frontend" --namespace default
}

proxy_pid() {
  case "$(cat "$run/proxy.kind" 2>/dev/null)" in
    nginx) cat "$data/nginx/nginx.pid" 2>/dev/null || true ;;
    *) pid_of proxy ;;
  esac
}

start_proxy() {
  local control_port="$1" exec_port="$2" kind="${PRODLIKE_PROXY:-node}"
  echo "$control_port" >"$run/proxy-control.port"
  echo "$exec_port" >"$run/proxy-exec.port"
  echo "$kind" >"$run/proxy.kind"
  case "$kind" in
    node) start_node_proxy "$control_port" "$exec_port" ;;
    nginx) start_nginx "$control_port" "$exec_port" ;;
    *) die "PRODLIKE_PROXY must be node or nginx (got $kind)" ;;
  esac
  wait_until 10 "the proxy" curl -fsS -o /dev/null "http://127.0.0.1:$control_port/health/ready"
  wait_until 10 "the proxy" curl -fsS -o /dev/null "http://127.0.0.1:$exec_port/health/ready"
}

start_node_proxy() {
  local control_port="$1" exec_port="$2" api_names
  mapfile -t api_names < <(apps | grep "^api-")
  # shellcheck disable=SC2016 # JavaScript
  node -e '
    const fs = require("fs");
    const [out, run, log, controlPort, execPort, ...apis] = process.argv.slice(1);
    const get = (api, name) => fs.readFileSync(`${run}/${api}.env`, "utf8").match(new RegExp(`^${name}=(.*)$`, "m"))[1];
    const backends = (name) => apis.map((api) => ({ api, port: Number(get(api, name)) }));
    fs.writeFileSync(out, JSON.stringify({
      planes: [{ name: "control", port: Number(controlPort), backends: backends("CONTROL_PORT") }, { name: "exec", port: Number(execPort), backends: backends("EXEC_PORT") }],
      apis: Object.fromEntries(apis.map((api) => [api, `http://127.0.0.1:${get(api, "CONTROL_PORT")}/health/ready`])),
      accessLog: log,
    }, null, 2));
  ' "$run/proxy.json" "$run" "$logs/node-access.log" "$control_port" "$exec_port" "${api_names[@]}"
  (
    cd "$ROOT"
    exec setsid node deploy/prodlike/proxy.mjs "$run/proxy.json"
  ) >>"$logs/proxy.log" 2>&1 </dev/null &
  echo $! >"$run/proxy.pid"
}

start_nginx() {
  local control_port="$1" exec_port="$2" name control_servers="" exec_servers=""
  command -v nginx >/dev/null || die "nginx is needed (apt-get install nginx-light)"
  command -v envsubst >/dev/null || die "envsubst is needed (apt-get install gettext-base)"
  for name in $(apps); do
    case "$name" in
      api-*)
        # max_fails=0: never quarantined (a quarantine outlasting a restart leaves "no live
        # upstreams" when the next api restarts); a refused connect on loopback costs nothing.
        control_servers+="        server 127.0.0.1:$(env_get "$run/$name.env" CONTROL_PORT) max_fails=0;"$'\n'
        exec_servers+="        server 127.0.0.1:$(env_get "$run/$name.env" EXEC_PORT) max_fails=0;"$'\n'
        ;;
    esac
  done
  mkdir -p "$data/nginx/tmp"
  # shellcheck disable=SC2016 # envsubst takes the variable list literally
  PRODLIKE_NGINX_DIR="$data/nginx" PRODLIKE_LOG_DIR="$logs" PRODLIKE_CONTROL_PORT="$control_port" PRODLIKE_EXEC_PORT="$exec_port" \
    PRODLIKE_CONTROL_SERVERS="${control_servers%$'\n'}" PRODLIKE_EXEC_SERVERS="${exec_servers%$'\n'}" \
    envsubst '${PRODLIKE_NGINX_DIR} ${PRODLIKE_LOG_DIR} ${PRODLIKE_CONTROL_PORT} ${PRODLIKE_EXEC_PORT} ${PRODLIKE_CONTROL_SERVERS} ${PRODLIKE_EXEC_SERVERS}' \
    <"$ROOT/deploy/prodlike/nginx.conf.template" >"$data/nginx/nginx.conf"
  nginx -q -t -p "$data/nginx" -c "$data/nginx/nginx.conf" -e "$logs/nginx-error.log" 2>"$logs/nginx-test.log" ||
    { cat "$logs/nginx-test.log" >&2; die "nginx configuration rejected: $data/nginx/nginx.conf"; }
  nginx -p "$data/nginx" -c "$data/nginx/nginx.conf" -e "$logs/nginx-error.log" || die "nginx did not start: $logs/nginx-error.log"
}

start_all() {
  local started=$SECONDS apis="${PRODLIKE_APIS:-2}" workers="${PRODLIKE_WORKERS:-2}" pair i mode="${PRODLIKE_TEMPORAL:-auto}"
  for f in dist/src/main-api.js dist/src/main-worker.js dist/workflow-bundle.js; do
    [ -f "$ROOT/$f" ] || die "$f is missing: build first (npm run build)"
  done
  [ ! -f "$data/prodlike.env" ] || ! alive "$(pid_of temporal)" || die "already running in $data (scripts/prodlike.sh stop $data)"
  { [ -n "$(pg_bindir)" ] && command -v redis-server >/dev/null; } || die "Postgres and Redis are needed (scripts/bootstrap.sh)"
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$data"; then
    die "Postgres runs as the postgres user and cannot reach $data: use a directory under /tmp (or make its parents searchable)"
  fi
  # A start that fails half-way stops what it started.
  trap 'stop_all >/dev/null 2>&1 || true' EXIT
  rm -f "$run"/api-*.env "$run"/worker-*.env

  # Caller's NAME=VALUE pairs, for every api and worker.
  : >"$run/app.env"
  for pair in "$@"; do
    [[ "$pair" =~ ^[A-Za-z_][A-Za-z0-9_]*=.*$ ]] || die "not NAME=VALUE: $pair"
    printf '%s=%q\n' "${pair%%=*}" "${pair#*=}" >>"$run/app.env"
  done

  if [ "$mode" != dev ] && ! install_temporal_server; then
    [ "$mode" = auto ] || die "the Temporal server could not be built (PRODLIKE_TEMPORAL=server)"
    mode=dev
  fi

  local ports temporal_ports
  mapfile -t ports < <(free_ports $((4 + 4 * apis + 2 * workers)))
  # Temporal stores membership ports as smallint: its ports come from below 32768 (Linux hands
  # out ephemeral ports from 32768 up, so these rarely collide with outgoing connections either).
  mapfile -t temporal_ports < <(free_ports 10 20000 32000)
  local pg_port=${ports[0]} redis_port=${ports[1]} proxy_control=${ports[2]} proxy_exec=${ports[3]} next=4
  start_postgres "$pg_port"
  start_redis "$redis_port"
  if [ "$mode" = dev ]; then
    start_temporal_dev "${temporal_ports[0]}" "${temporal_ports[1]}"
  else
    start_temporal_server "$pg_port" "${temporal_ports[@]}"
  fi

  cat >"$run/common.env" <<ENV
NODE_ENV=test
LOG_LEVEL=info
AUTH_MODE=disabled
ORCH_ALLOW_PRIVATE_NETWORK=true
DATABASE_URL=postgres://orchestrator@127.0.0.1:$pg_port/orchestrator
REDIS_URL=redis://127.0.0.1:$redis_port
TEMPORAL_ADDRESS=127.0.0.1:${temporal_ports[0]}
TEMPORAL_NAMESPACE=default
ENV

  # Migrations, as the compose `migrate` one-shot and the Helm Job run them.
  # shellcheck disable=SC1091 # written just above
  (set -a; . "$run/common.env"; set +a; cd "$ROOT" && sh scripts/migrate.sh up) >"$logs/migrate.log" 2>&1 ||
    { tail -n 20 "$logs/migrate.log" >&2; die "migrations failed: $logs/migrate.log"; }

  for ((i = 1; i <= apis; i++)); do
    printf 'CONTROL_PORT=%s\nEXEC_PORT=%s\nAPI_METRICS_PORT=%s\nOPERATOR_PORT=%s\n' "${ports[next]}" "${ports[next + 1]}" "${ports[next + 2]}" "${ports[next + 3]}" >"$run/api-$i.env"
    next=$((next + 4))
  done
  for ((i = 1; i <= workers; i++)); do
    printf 'WORKER_HEALTH_PORT=%s\nWORKER_SDK_METRICS_PORT=%s\n' "${ports[next]}" "${ports[next + 1]}" >"$run/worker-$i.env"
    next=$((next + 2))
  done
  for name in $(apps); do start_app "$name"; done
  for name in $(apps); do wait_ready "$name"; done
  start_proxy "$proxy_control" "$proxy_exec"
  write_env
  trap - EXIT
  log "prod-like topology up in $((SECONDS - started)) s (temporal: $(cat "$run/temporal.mode")); see $data/prodlike.env"
  sed -n 's/^\(CONTROL_URL\|EXEC_URL\|TEMPORAL_ADDRESS\)=/  \1 /p' "$data/prodlike.env" >&2
}

restart_apps() {
  local name pair t0 stopped graceful failed=0 names=() pairs=()
  for name in "$@"; do
    if [[ "$name" == *=* ]]; then
      [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*=.*$ ]] || die "not NAME=VALUE: $name"
      pairs+=("$name")
      continue
    fi
    [ -f "$run/$name.env" ] || die "no process $name in $data (one of: $(apps | tr '\n' ' '))"
    names+=("$name")
  done
  [ "${#names[@]}" -gt 0 ] || usage
  for name in "${names[@]}"; do
    # The process's own file is read last: its pairs override the start's.
    for pair in "${pairs[@]}"; do printf '%s=%q\n' "${pair%%=*}" "${pair#*=}" >>"$run/$name.env"; done
  done
  for name in "${names[@]}"; do
    t0=$SECONDS
    graceful=true
    stop_pid "$name" "$(pid_of "$name")" "$(stop_budget "$name")" || { graceful=false; failed=1; }
    stopped=$((SECONDS - t0))
    start_app "$name"
    wait_ready "$name"
    write_env
    if $graceful; then
      log "$name restarted: stopped ${stopped}s after SIGTERM, ready again after $((SECONDS - t0))s"
    else
      log "$name restarted, but it needed SIGKILL: not a graceful stop (log: $logs/$name.log)"
    fi
  done
  return "$failed"
}

action="${1:-}"
case "$action" in
  install) install_temporal_server; exit $? ;;
  start | stop | restart | status) ;;
  *) usage ;;
esac
[ -n "${2:-}" ] || usage
mkdir -p "$2"
data="$(cd "$2" && pwd)"
run="$data/run"
logs="$data/logs"
mkdir -p "$run" "$logs"
# Postgres runs as `postgres` when we are root: it must reach DIR/pg.
chmod 755 "$data"
shift 2

case "$action" in
  start) start_all "$@" ;;
  stop) stop_all ;;
  restart) [ $# -gt 0 ] || usage; restart_apps "$@" ;;
  status)
    for name in temporal redis proxy $(apps); do
      if [ "$name" = proxy ]; then pid="$(proxy_pid)"; else pid="$(pid_of "$name")"; fi
      if alive "$pid"; then echo "$name running (pid $pid)"; else echo "$name stopped"; fi
    done
    ;;
esac
