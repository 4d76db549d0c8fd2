#!/bin/sh
# Prepare the configuration Docker Compose reads. Idempotent: creates only what is missing,
# never overwrites a value you set, never prints a secret.
#
#   scripts/compose-env.sh                         development (docker-compose.yml)
#   scripts/compose-env.sh --prod [--domain D]     production (docker-compose.prod.yml)
#
# Both modes:
#   .env        created from .env.example when missing (mode 600); keys the stack needs to
#               boot are added when absent or empty: POSTGRES_PASSWORD (random, dev only),
#               ORCH_SECRETS_KEY (random), JWT issuer/audiences and a random
#               ORCH_JWT_SHARED_SECRET unless ORCH_JWT_JWKS_URL is set.
# --prod also:
#   .env        DOMAIN (from --domain), ORCH_VERSION (package.json version) when missing;
#               a fresh file gets NODE_ENV=production and AUTH_MODE=jwt.
#   $ORCH_SECRETS_DIR (default deploy/secrets, mode 700): db.env, temporal.env, redis.env,
#               orchestrator.env,
#               operator.htpasswd + operator.password (Temporal UI login),
#               tls/tls.crt + tls/tls.key (self-signed bootstrap certificate; replace it).
#
# Options: --env-file PATH (default .env), --example PATH (default .env.example),
#          --secrets-dir DIR (overrides ORCH_SECRETS_DIR), --domain DOMAIN, --prod, -h.
set -eu

cd "$(dirname "$0")/.."

mode=dev
env_file=.env
example=.env.example
secrets_dir=""
domain=""

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prod) mode=prod ;;
    --dev) mode=dev ;;
    --env-file) env_file="$2"; shift ;;
    --example) example="$2"; shift ;;
    --secrets-dir) secrets_dir="$2"; shift ;;
    --domain) domain="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compose-env: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

say() { echo "compose-env: $*"; }
fail() { echo "compose-env: error: $*" >&2; exit 1; }

# --- random values (no secret is ever echoed) ---------------------------------------------
rand_bytes() { head -c "$1" /dev/urandom; }
rand_hex() { rand_bytes "$1" | od -An -tx1 | tr -d ' \n'; }
rand_b64() { rand_bytes "$1" | base64 | tr -d '\n'; }

# --- KEY=VALUE files ----------------------------------------------------------------------
# get_value FILE KEY: last assignment of KEY, surrounding quotes removed ('' when absent).
get_value() {
  [ -f "$1" ] || { printf ''; return 0; }
  sed -n "s/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}$2[[:space:]]*=[[:space:]]*//p" "$1" | tail -n 1 |
    sed -e 's/[[:space:]]*$//' -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}

has_value() { [ -n "$(get_value "$1" "$2")" ]; }

# A value copied from .env.example that only says "replace me".
is_placeholder() {
  case "$(get_value "$1" "$2")" in
    *change-me* | *changeme* | *CHANGE_ME* | *replace-me* | '<'*'>') return 0 ;;
    *) return 1 ;;
  esac
}

# set_value FILE KEY VALUE: replace an existing (empty) assignment or append one.
set_value() {
  if grep -q "^[[:space:]]*$2[[:space:]]*=" "$1"; then
    tmp="$1.tmp.$$"
    awk -v k="$2" -v v="$3" '
      BEGIN { done = 0 }
      $0 ~ "^[[:space:]]*" k "[[:space:]]*=" { if (!done) { print k "=" v; done = 1 }; next }
      { print }
    ' "$1" > "$tmp"
    cat "$tmp" > "$1"
    rm -f "$tmp"
  else
    # Make sure the file ends with a newline before appending.
    if [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" != '\n' ]; then echo >> "$1"; fi
    printf '%s=%s\n' "$2" "$3" >> "$1"
  fi
}

# ensure FILE KEY VALUE [secret]: set KEY when absent or empty (a secret also when it is a
# placeholder); one line of output either way.
ensure() {
  if has_value "$1" "$2" && ! { [ "${4:-}" = secret ] && is_placeholder "$1" "$2"; }; then
    say "ok      $1: $2 is set"
  else
    set_value "$1" "$2" "$3"
    if [ "${4:-}" = secret ]; then say "added   $1: $2 (generated)"; else say "added   $1: $2=$3"; fi
  fi
}

new_private_file() {
  ( umask 077 && : > "$1" )
  chmod 600 "$1"
}

# --- .env -------------------------------------------------------------------------------------
fresh=false
if [ -f "$env_file" ]; then
  say "ok      $env_file exists"
else
  new_private_file "$env_file"
  if [ -f "$example" ]; then
    cat "$example" > "$env_file"
    say "created $env_file from $example"
  else
    printf '# Orchestrator configuration (see docs/deploy.md)\n' > "$env_file"
    say "created $env_file ($example not found; minimal file)"
  fi
  fresh=true
fi

if [ "$mode" = prod ] && [ "$fresh" = true ]; then
  set_value "$env_file" NODE_ENV production
  set_value "$env_file" AUTH_MODE jwt
  say "set     $env_file: NODE_ENV=production, AUTH_MODE=jwt"
fi

ensure "$env_file" ORCH_JWT_ISSUER orchestrator
ensure "$env_file" ORCH_JWT_AUDIENCE_CONTROL orchestrator-control
ensure "$env_file" ORCH_JWT_AUDIENCE_EXEC orchestrator-exec
ensure "$env_file" TEMPORAL_NAMESPACE default
ensure "$env_file" WORKER_TASK_QUEUES orchestrator

if [ "$mode" = dev ]; then
  # Dev keeps its secrets in .env (git-ignored); prod keeps them in the secrets directory.
  ensure "$env_file" POSTGRES_PASSWORD "$(rand_hex 24)" secret
  ensure "$env_file" ORCH_SECRETS_KEY "$(rand_b64 32)" secret
  if has_value "$env_file" ORCH_JWT_JWKS_URL; then
    say "ok      $env_file: ORCH_JWT_JWKS_URL is set (no shared secret needed)"
  else
    ensure "$env_file" ORCH_JWT_SHARED_SECRET "$(rand_b64 48)" secret
  fi
  say "done    development configuration ready: docker compose up -d --build"
  exit 0
fi

# --- production -------------------------------------------------------------------------------
if [ "$(get_value "$env_file" AUTH_MODE)" = disabled ]; then
  say "WARNING $env_file: AUTH_MODE=disabled is refused with NODE_ENV=production; set AUTH_MODE=jwt"
fi
case "$(get_value "$env_file" ORCH_JWT_ISSUER)" in
  *example.com*) say "WARNING $env_file: ORCH_JWT_ISSUER is the example value; set your issuer" ;;
esac
if [ -n "$domain" ]; then
  if has_value "$env_file" DOMAIN && [ "$(get_value "$env_file" DOMAIN)" != "$domain" ]; then
    fail "$env_file already sets DOMAIN=$(get_value "$env_file" DOMAIN); edit it by hand to change it"
  fi
  ensure "$env_file" DOMAIN "$domain"
fi
has_value "$env_file" DOMAIN || fail "DOMAIN is not set: rerun with --domain example.com (or add DOMAIN= to $env_file)"
domain="$(get_value "$env_file" DOMAIN)"
version="$(sed -n 's/^[[:space:]]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' package.json 2>/dev/null | head -n 1)"
ensure "$env_file" ORCH_VERSION "${version:-latest}"

[ -n "$secrets_dir" ] || secrets_dir="$(get_value "$env_file" ORCH_SECRETS_DIR)"
[ -n "$secrets_dir" ] || secrets_dir=deploy/secrets
mkdir -p "$secrets_dir"
chmod 700 "$secrets_dir"
say "ok      secrets directory $secrets_dir"

db_env="$secrets_dir/db.env"
if [ -f "$db_env" ]; then
  say "ok      $db_env exists"
else
  new_private_file "$db_env"
  {
    echo "# Postgres (generated). The superuser is for the postgres container and for you; the app"
    echo "# and Temporal log in as roles of their own (deploy/postgres/init-roles.sh, first start)."
    echo "POSTGRES_USER=postgres"
    echo "POSTGRES_PASSWORD=$(rand_hex 24)"
    echo "ORCH_DB_PASSWORD=$(rand_hex 24)"
    echo "TEMPORAL_DB_PASSWORD=$(rand_hex 24)"
  } > "$db_env"
  say "created $db_env (generated passwords)"
fi

# Temporal's login: its own role when db.env has one (fresh installs), else — a db.env from
# before the roles were split — the superuser, as then (docs/deploy.md, "Postgres roles").
temporal_env="$secrets_dir/temporal.env"
if [ -f "$temporal_env" ]; then
  say "ok      $temporal_env exists"
else
  if has_value "$db_env" TEMPORAL_DB_PASSWORD; then
    temporal_user=temporal temporal_password="$(get_value "$db_env" TEMPORAL_DB_PASSWORD)"
  else
    temporal_user="$(get_value "$db_env" POSTGRES_USER)" temporal_password="$(get_value "$db_env" POSTGRES_PASSWORD)"
    say "WARNING $db_env has no TEMPORAL_DB_PASSWORD: Temporal keeps the superuser login"
  fi
  new_private_file "$temporal_env"
  {
    echo "# Temporal's Postgres login (generated), under the names temporal-server and temporal-sql-tool read."
    echo "POSTGRES_USER=$temporal_user"
    echo "POSTGRES_PWD=$temporal_password"
    echo "SQL_USER=$temporal_user"
    echo "SQL_PASSWORD=$temporal_password"
  } > "$temporal_env"
  say "created $temporal_env"
fi

redis_env="$secrets_dir/redis.env"
if [ -f "$redis_env" ]; then
  say "ok      $redis_env exists"
else
  new_private_file "$redis_env"
  printf '# Redis requirepass (generated).\nREDIS_PASSWORD=%s\n' "$(rand_hex 24)" > "$redis_env"
  say "created $redis_env (generated password)"
fi

app_env="$secrets_dir/orchestrator.env"
if [ -f "$app_env" ]; then
  say "ok      $app_env exists"
else
  if has_value "$db_env" ORCH_DB_PASSWORD; then
    db_user=orchestrator db_password="$(get_value "$db_env" ORCH_DB_PASSWORD)"
  else
    db_user="$(get_value "$db_env" POSTGRES_USER)" db_password="$(get_value "$db_env" POSTGRES_PASSWORD)"
  fi
  redis_password="$(get_value "$redis_env" REDIS_PASSWORD)"
  if [ -z "$db_user" ] || [ -z "$db_password" ]; then fail "$db_env lacks ORCH_DB_PASSWORD (or POSTGRES_USER / POSTGRES_PASSWORD)"; fi
  [ -n "$redis_password" ] || fail "$redis_env lacks REDIS_PASSWORD"
  new_private_file "$app_env"
  {
    echo "# Secrets for api, worker and migrate (generated). Overrides .env."
    echo "DATABASE_URL=postgres://$db_user:$db_password@postgres:5432/orchestrator"
    echo "REDIS_URL=redis://:$redis_password@redis:6379"
    echo "ORCH_SECRETS_KEY=$(rand_b64 32)"
    if ! has_value "$env_file" ORCH_JWT_JWKS_URL; then
      echo "ORCH_JWT_SHARED_SECRET=$(rand_b64 48)"
    fi
  } > "$app_env"
  say "created $app_env (generated secrets)"
fi

need_openssl() { command -v openssl >/dev/null 2>&1 || fail "openssl is required to create $1"; }

htpasswd="$secrets_dir/operator.htpasswd"
if [ -f "$htpasswd" ]; then
  say "ok      $htpasswd exists"
else
  need_openssl "$htpasswd"
  operator_password="$(rand_hex 16)"
  new_private_file "$htpasswd"
  printf 'operator:%s\n' "$(openssl passwd -apr1 "$operator_password")" > "$htpasswd"
  new_private_file "$secrets_dir/operator.password"
  printf '%s\n' "$operator_password" > "$secrets_dir/operator.password"
  # nginx reads the file as its worker user.
  chmod 644 "$htpasswd"
  say "created $htpasswd (user 'operator'; password in $secrets_dir/operator.password)"
fi

tls_dir="$secrets_dir/tls"
if [ -f "$tls_dir/tls.crt" ] && [ -f "$tls_dir/tls.key" ]; then
  say "ok      $tls_dir/tls.crt and tls.key exist"
else
  need_openssl "$tls_dir/tls.crt"
  mkdir -p "$tls_dir"
  chmod 755 "$tls_dir"
  ( umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 90 \
      -subj "/CN=orchestrator-control.$domain" \
      -addext "subjectAltName=DNS:operator.$domain,DNS:temporal.$domain,DNS:orchestrator-control.$domain,DNS:orchestrator-exec.$domain" \
      -keyout "$tls_dir/tls.key" -out "$tls_dir/tls.crt" >/dev/null 2>&1 ) ||
    fail "openssl could not create the self-signed certificate"
  chmod 644 "$tls_dir/tls.crt"
  chmod 600 "$tls_dir/tls.key"
  say "created $tls_dir/tls.crt (self-signed for *.$domain, 90 days: replace with a real certificate)"
fi

say "done    production configuration ready: docker compose -f docker-compose.prod.yml up -d"
