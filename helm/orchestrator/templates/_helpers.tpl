{{/* ---------------------------------------------------------------- names ---- */}}

{{- define "orchestrator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "orchestrator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "orchestrator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "orchestrator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "orchestrator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "orchestrator.configMapName" -}}
{{- include "orchestrator.fullname" . -}}
{{- end -}}

{{- define "orchestrator.secretName" -}}
{{- default (include "orchestrator.fullname" .) .Values.secret.existingSecret -}}
{{- end -}}

{{/* Name of a worker pool's Deployment (and its ScaledObject/HPA/PDB). Arg: dict root, pool. */}}
{{- define "orchestrator.workerName" -}}
{{- printf "%s-worker-%s" (include "orchestrator.fullname" .root) .pool.name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* --------------------------------------------------------------- labels ---- */}}

{{- define "orchestrator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "orchestrator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "orchestrator.labels" -}}
helm.sh/chart: {{ include "orchestrator.chart" . }}
{{ include "orchestrator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: orchestrator
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component. Arg: dict root, component[, pool]. */}}
{{- define "orchestrator.componentSelectorLabels" -}}
{{ include "orchestrator.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- with .pool }}
orchestrator.io/worker-pool: {{ .name }}
{{- end }}
{{- end -}}

{{- define "orchestrator.componentLabels" -}}
{{ include "orchestrator.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- with .pool }}
orchestrator.io/worker-pool: {{ .name }}
{{- end }}
{{- end -}}

{{/* --------------------------------------------------------------- images ---- */}}

{{/* Image reference. Arg: dict root, image (.Values.image.api / .worker). */}}
{{- define "orchestrator.image" -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (include "orchestrator.imageTag" .) -}}
{{- end -}}
{{- end -}}

{{/* An image's tag as text: a string, or a number (`tag: 42`, `--set image.api.tag=20251203`),
which YAML and --set hand over as float or int; whole numbers are printed without exponent
or decimals. Empty: the chart's appVersion. Arg: dict root, image. */}}
{{- define "orchestrator.imageTag" -}}
{{- $tag := .image.tag -}}
{{- if or (kindIs "float64" $tag) (kindIs "int64" $tag) (kindIs "int" $tag) -}}
{{- if eq (float64 $tag) (float64 (int64 $tag)) -}}
{{- int64 $tag -}}
{{- else -}}
{{- $tag -}}
{{- end -}}
{{- else -}}
{{- default .root.Chart.AppVersion (toString (default "" $tag)) -}}
{{- end -}}
{{- end -}}

{{/* ---------------------------------------------------------- worker pools ---- */}}

{{/*
Worker pools with workerDefaults merged underneath, as JSON {"pools": [...]}.
Usage: {{ $pools := (include "orchestrator.workerPools" . | fromJson).pools }}
*/}}
{{- define "orchestrator.workerPools" -}}
{{- $pools := list -}}
{{- range $pool := .Values.workers.pools -}}
{{- $merged := mergeOverwrite (deepCopy $.Values.workerDefaults) (deepCopy $pool) -}}
{{- $pools = append $pools $merged -}}
{{- end -}}
{{- toJson (dict "pools" $pools) -}}
{{- end -}}

{{/* ----------------------------------------------------------- validation ---- */}}

{{/*
Shutdown timing rule: preStop sleep + in-process grace must end before SIGKILL.
Arg: dict what, preStop, grace, graceName, termination.
*/}}
{{- define "orchestrator.assertShutdownTimings" -}}
{{- $preStop := int .preStop -}}
{{- $grace := int .grace -}}
{{- $termination := int .termination -}}
{{- if not (lt (add $preStop $grace) $termination) -}}
{{- fail (printf "%s: preStopSleepSeconds (%d) + %s (%d) must be less than terminationGracePeriodSeconds (%d)" .what $preStop .graceName $grace $termination) -}}
{{- end -}}
{{- end -}}

{{/* Checks shared by every workload (configuration, secrets, auth); included by the api,
worker and migration templates. */}}
{{- define "orchestrator.validate" -}}
{{- $v := .Values -}}
{{- if and (eq $v.config.authMode "disabled") (eq $v.config.nodeEnv "production") -}}
{{- fail "config.authMode=disabled is refused with config.nodeEnv=production" -}}
{{- end -}}
{{- if and (eq $v.config.authMode "jwt") (not $v.config.jwt.issuer) -}}
{{- fail "config.jwt.issuer is required when config.authMode=jwt" -}}
{{- end -}}
{{- $tls := $v.config.temporal.tls -}}
{{- if and $tls.existingSecret (ne (empty $tls.certKey) (empty $tls.keyKey)) -}}
{{- fail "config.temporal.tls: certKey and keyKey must be set together (mTLS) or both be empty" -}}
{{- end -}}
{{- if not $v.secret.existingSecret -}}
{{- if not $v.secret.values.DATABASE_URL -}}
{{- fail "secret.values.DATABASE_URL is required (or set secret.existingSecret)" -}}
{{- end -}}
{{- if not $v.secret.values.REDIS_URL -}}
{{- fail "secret.values.REDIS_URL is required (or set secret.existingSecret)" -}}
{{- end -}}
{{- if and (eq $v.config.authMode "jwt") (not $v.config.jwt.jwksUrl) (not $v.secret.values.ORCH_JWT_SHARED_SECRET) -}}
{{- fail "authMode=jwt needs config.jwt.jwksUrl or secret.values.ORCH_JWT_SHARED_SECRET" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* api checks (api-deployment.yaml): the drain delay (ORCH_SHUTDOWN_DRAIN_SECONDS) comes on
top of the in-flight drain. */}}
{{- define "orchestrator.validateApi" -}}
{{- $s := .Values.api.shutdown -}}
{{- $delay := int (default 0 $s.drainDelaySeconds) -}}
{{- $graceName := ternary "drainDelaySeconds + drainSeconds" "drainSeconds" (gt $delay 0) -}}
{{- include "orchestrator.assertShutdownTimings" (dict "what" "api.shutdown" "preStop" $s.preStopSleepSeconds "grace" (add $delay (int $s.drainSeconds)) "graceName" $graceName "termination" $s.terminationGracePeriodSeconds) -}}
{{- end -}}

{{/* Worker pool checks (worker-deployments.yaml). */}}
{{- define "orchestrator.validateWorkers" -}}
{{- $v := .Values -}}
{{- if eq (len $v.workers.pools) 0 -}}
{{- fail "workers.pools must list at least one pool" -}}
{{- end -}}
{{- $names := dict -}}
{{- $queues := dict -}}
{{- range $pool := (include "orchestrator.workerPools" . | fromJson).pools -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" (toString $pool.name)) -}}
{{- fail (printf "workers.pools: name %q must be a DNS label (lowercase letters, digits, '-')" (toString $pool.name)) -}}
{{- end -}}
{{- if hasKey $names $pool.name -}}
{{- fail (printf "workers.pools: duplicate pool name %q" $pool.name) -}}
{{- end -}}
{{- $_ := set $names $pool.name true -}}
{{- if not $pool.taskQueues -}}
{{- fail (printf "workers.pools[%s].taskQueues must list at least one task queue" $pool.name) -}}
{{- end -}}
{{- range $q := $pool.taskQueues -}}
{{- $_ := set $queues $q true -}}
{{- end -}}
{{- if not (has $pool.autoscaling.mode (list "keda" "hpa" "none")) -}}
{{- fail (printf "workers.pools[%s].autoscaling.mode must be keda, hpa or none (got %q)" $pool.name (toString $pool.autoscaling.mode)) -}}
{{- end -}}
{{- if and (ne $pool.autoscaling.mode "none") (gt (int $pool.autoscaling.minReplicas) (int $pool.autoscaling.maxReplicas)) -}}
{{- fail (printf "workers.pools[%s].autoscaling: minReplicas > maxReplicas" $pool.name) -}}
{{- end -}}
{{- if and (eq $pool.autoscaling.mode "hpa") (lt (int $pool.autoscaling.minReplicas) 1) -}}
{{- fail (printf "workers.pools[%s].autoscaling: mode hpa needs minReplicas >= 1 (use keda to scale to zero)" $pool.name) -}}
{{- end -}}
{{- include "orchestrator.assertShutdownTimings" (dict "what" (printf "workers.pools[%s]" $pool.name) "preStop" $pool.preStopSleepSeconds "grace" $pool.shutdownGraceSeconds "graceName" "shutdownGraceSeconds" "termination" $pool.terminationGracePeriodSeconds) -}}
{{- end -}}
{{- if not (hasKey $queues $v.config.defaultTaskQueue) -}}
{{- fail (printf "no worker pool serves config.defaultTaskQueue %q" $v.config.defaultTaskQueue) -}}
{{- end -}}
{{- end -}}

{{/* ------------------------------------------------------- configuration ---- */}}

{{/* ConfigMap data (non-secret environment): what the chart sets, then config.extraEnv, which
may not set any of the chart's own variables again (a duplicate key is invalid; the value has a
place in values.yaml). */}}
{{- define "orchestrator.configData" -}}
{{- $managed := include "orchestrator.managedConfigData" . -}}
{{- $keys := fromYaml $managed -}}
{{ $managed }}
{{- range $k, $val := .Values.config.extraEnv }}
{{- if hasKey $keys $k }}
{{- fail (printf "config.extraEnv.%s: the chart sets %s itself; use its value in values.yaml" $k $k) }}
{{- end }}
{{ $k }}: {{ $val | toString | quote }}
{{- end }}
{{- end -}}

{{- define "orchestrator.managedConfigData" -}}
{{- $c := .Values.config -}}
NODE_ENV: {{ $c.nodeEnv | quote }}
LOG_LEVEL: {{ $c.logLevel | quote }}
AUTH_MODE: {{ $c.authMode | quote }}
{{- if $c.jwt.issuer }}
ORCH_JWT_ISSUER: {{ $c.jwt.issuer | quote }}
{{- end }}
ORCH_JWT_AUDIENCE_CONTROL: {{ $c.jwt.audienceControl | quote }}
ORCH_JWT_AUDIENCE_EXEC: {{ $c.jwt.audienceExec | quote }}
{{- if $c.jwt.jwksUrl }}
ORCH_JWT_JWKS_URL: {{ $c.jwt.jwksUrl | quote }}
{{- end }}
ORCH_JWT_JWKS_COOLDOWN_SECONDS: {{ $c.jwt.jwksCooldownSeconds | int64 | toString | quote }}
ORCH_JWT_JWKS_CACHE_SECONDS: {{ $c.jwt.jwksCacheSeconds | int64 | toString | quote }}
TEMPORAL_ADDRESS: {{ $c.temporal.address | quote }}
TEMPORAL_NAMESPACE: {{ $c.temporal.namespace | quote }}
{{- $tls := $c.temporal.tls }}
{{- if or $tls.enabled $tls.existingSecret }}
TEMPORAL_TLS: "true"
{{- end }}
{{- if $tls.serverName }}
TEMPORAL_TLS_SERVER_NAME: {{ $tls.serverName | quote }}
{{- end }}
{{- if $tls.existingSecret }}
{{- if $tls.caKey }}
TEMPORAL_TLS_CA_PATH: {{ printf "%s/%s" $tls.mountPath $tls.caKey | quote }}
{{- end }}
{{- if $tls.certKey }}
TEMPORAL_TLS_CERT_PATH: {{ printf "%s/%s" $tls.mountPath $tls.certKey | quote }}
TEMPORAL_TLS_KEY_PATH: {{ printf "%s/%s" $tls.mountPath $tls.keyKey | quote }}
{{- end }}
{{- end }}
ORCH_TASK_QUEUE: {{ $c.defaultTaskQueue | quote }}
{{- if $c.otelExporterOtlpEndpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ $c.otelExporterOtlpEndpoint | quote }}
{{- end }}
{{- if $c.payloadStore.endpoint }}
PAYLOAD_STORE_ENDPOINT: {{ $c.payloadStore.endpoint | quote }}
PAYLOAD_STORE_BUCKET: {{ required "config.payloadStore.bucket is required with config.payloadStore.endpoint" $c.payloadStore.bucket | quote }}
PAYLOAD_STORE_REGION: {{ $c.payloadStore.region | quote }}
PAYLOAD_STORE_THRESHOLD_BYTES: {{ $c.payloadStore.thresholdBytes | int64 | toString | quote }}
PAYLOAD_STORE_INLINE_RESULT_MAX_BYTES: {{ $c.payloadStore.inlineResultMaxBytes | int64 | toString | quote }}
{{- end }}
CONNECTOR_MAX_RETRIES: {{ $c.connector.maxRetries | int64 | toString | quote }}
CONNECTOR_RETRY_BASE_SECONDS: {{ $c.connector.retryBaseSeconds | int64 | toString | quote }}
ORCH_IDEMPOTENCY_TTL: {{ $c.idempotency.ttlSeconds | int64 | toString | quote }}
ORCH_IDEMPOTENCY_CLEANUP_INTERVAL: {{ $c.idempotency.cleanupIntervalSeconds | int64 | toString | quote }}
ORCH_IDEMPOTENCY_CLEANUP_BATCH_SIZE: {{ $c.idempotency.cleanupBatchSize | int64 | toString | quote }}
ORCH_ALLOW_PRIVATE_NETWORK: {{ $c.allowPrivateNetwork | toString | quote }}
ORCH_MAX_BODY_BYTES: {{ $c.requests.maxBodyBytes | int64 | toString | quote }}
ORCH_REQUEST_TIMEOUT_MS: {{ $c.requests.timeoutMs | int64 | toString | quote }}
ORCH_TENANT_RATE_LIMIT_PER_SECOND: {{ $c.tenantRateLimit.perSecond | int64 | toString | quote }}
ORCH_TENANT_RATE_LIMIT_BURST: {{ $c.tenantRateLimit.burst | int64 | toString | quote }}
ORCH_EVENT_RETENTION_DAYS: {{ $c.events.retentionDays | int64 | toString | quote }}
ORCH_SSE_KEEPALIVE_SECONDS: {{ $c.events.sseKeepAliveSeconds | int64 | toString | quote }}
ORCH_SECRET_FILES_DIR: {{ $c.secretFilesDir | quote }}
{{- end -}}

{{/* Secret stringData (non-empty values only). */}}
{{- define "orchestrator.secretData" -}}
{{- range $k, $val := .Values.secret.values }}
{{- if $val }}
{{ $k }}: {{ $val | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* ------------------------------------------------------- pod fragments ---- */}}

{{/* Pod-level settings shared by every workload. Arg: root context, or dict root,
serviceAccountName (override). */}}
{{- define "orchestrator.podCommon" -}}
{{- $root := . -}}
{{- $sa := "" -}}
{{- if hasKey . "root" -}}
{{- $root = .root -}}
{{- $sa = .serviceAccountName -}}
{{- end -}}
serviceAccountName: {{ default (include "orchestrator.serviceAccountName" $root) $sa }}
automountServiceAccountToken: false
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $root.Values.pod.securityContext | nindent 2 }}
{{- end -}}

{{/* The Secret behind `file` secret refs (secretFiles.existingSecret), mounted read-only at
config.secretFilesDir. Only when secretFiles.existingSecret is set. */}}
{{- define "orchestrator.secretFilesVolume" -}}
- name: secret-files
  secret:
    secretName: {{ .Values.secretFiles.existingSecret }}
{{- end -}}

{{- define "orchestrator.secretFilesVolumeMount" -}}
- name: secret-files
  mountPath: {{ .Values.config.secretFilesDir }}
  readOnly: true
{{- end -}}

{{/* The Temporal client certificate Secret (config.temporal.tls.existingSecret), mounted
read-only; only the keys the configuration names, so a missing key fails the pod visibly. */}}
{{- define "orchestrator.temporalTlsVolume" -}}
{{- $tls := .Values.config.temporal.tls -}}
- name: temporal-tls
  secret:
    secretName: {{ $tls.existingSecret }}
    items:
      {{- range $key := compact (list $tls.caKey $tls.certKey $tls.keyKey) }}
      - key: {{ $key }}
        path: {{ $key }}
      {{- end }}
{{- end -}}

{{- define "orchestrator.temporalTlsVolumeMount" -}}
- name: temporal-tls
  mountPath: {{ .Values.config.temporal.tls.mountPath }}
  readOnly: true
{{- end -}}

{{/* Writable /tmp for a read-only root filesystem. */}}
{{- define "orchestrator.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.pod.tmpSizeLimit }}
{{- end -}}

{{- define "orchestrator.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* envFrom: ConfigMap + Secret. Arg: dict root, configMap, secret. */}}
{{/* The payload store's access keys from an existing Secret (config.payloadStore.credentials),
as env entries of api and worker containers; nothing without an endpoint or a Secret. */}}
{{- define "orchestrator.payloadStoreCredentialsEnv" -}}
{{- $p := .Values.config.payloadStore -}}
{{- if and $p.endpoint $p.credentials.existingSecret }}
- name: PAYLOAD_STORE_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ $p.credentials.existingSecret }}
      key: {{ $p.credentials.accessKeyIdKey }}
- name: PAYLOAD_STORE_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $p.credentials.existingSecret }}
      key: {{ $p.credentials.secretAccessKeyKey }}
{{- end }}
{{- end -}}

{{- define "orchestrator.envFrom" -}}
- configMapRef:
    name: {{ .configMap }}
- secretRef:
    name: {{ .secret }}
{{- end -}}

{{/* Topology spread constraints with this component's selector filled in when omitted.
Arg: dict root, component, pool (optional), constraints. */}}
{{- define "orchestrator.topologySpread" -}}
{{- $selector := fromYaml (include "orchestrator.componentSelectorLabels" .) -}}
{{- $out := list -}}
{{- range .constraints -}}
{{- $c := deepCopy . -}}
{{- if not $c.labelSelector -}}
{{- $_ := set $c "labelSelector" (dict "matchLabels" $selector) -}}
{{- end -}}
{{- $out = append $out $c -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* HTTP probe. Arg: dict path, port, settings, initial (optional). */}}
{{- define "orchestrator.httpProbe" -}}
httpGet:
  path: {{ .path }}
  port: {{ .port }}
periodSeconds: {{ .settings.periodSeconds }}
timeoutSeconds: {{ .settings.timeoutSeconds }}
failureThreshold: {{ .settings.failureThreshold }}
{{- end -}}

{{/* NetworkPolicy egress rule to one TCP port; no peers = any destination on that port.
Arg: dict port, peers. */}}
{{- define "orchestrator.egressTo" -}}
- ports:
    - protocol: TCP
      port: {{ .port }}
  {{- with .peers }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* --------------------------------------------------------- migrations ---- */}}

{{/* The migration Job's spec. Arg: dict root, image, configMap, secret, serviceAccount, hook. */}}
{{- define "orchestrator.migrationJobSpec" -}}
{{- $root := .root -}}
{{- $m := $root.Values.migrations -}}
{{- $ctx := dict "root" $root "component" "migrations" -}}
backoffLimit: {{ $m.backoffLimit }}
activeDeadlineSeconds: {{ $m.activeDeadlineSeconds }}
{{- if and (not .hook) (gt (int $m.ttlSecondsAfterFinished) 0) }}
ttlSecondsAfterFinished: {{ $m.ttlSecondsAfterFinished }}
{{- end }}
template:
  metadata:
    labels:
      {{- include "orchestrator.componentSelectorLabels" $ctx | nindent 6 }}
      {{- with $root.Values.pod.labels }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- with $root.Values.pod.annotations }}
    annotations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  spec:
    {{- include "orchestrator.podCommon" (dict "root" $root "serviceAccountName" .serviceAccount) | nindent 4 }}
    restartPolicy: Never
    containers:
      - name: migrate
        image: {{ .image }}
        imagePullPolicy: {{ $root.Values.image.pullPolicy }}
        command: ["sh", "scripts/migrate.sh", "up", "--timeout", {{ $m.lockTimeoutSeconds | int64 | toString | quote }}]
        envFrom:
          {{- include "orchestrator.envFrom" (dict "configMap" .configMap "secret" .secret) | nindent 10 }}
        resources:
          {{- toYaml $m.resources | nindent 10 }}
        securityContext:
          {{- toYaml $root.Values.pod.containerSecurityContext | nindent 10 }}
        volumeMounts:
          {{- include "orchestrator.tmpVolumeMount" $root | nindent 10 }}
    volumes:
      {{- include "orchestrator.tmpVolume" $root | nindent 6 }}
{{- end -}}

{{/* Job mode's name: <fullname>-migrate-<10 hex of sha256(spec, config, chart-managed secret)>.
Arg: dict root, spec. */}}
{{- define "orchestrator.migrationJobName" -}}
{{- $root := .root -}}
{{- $content := list .spec (include "orchestrator.configData" $root) -}}
{{- if not $root.Values.secret.existingSecret -}}
{{- $content = append $content (include "orchestrator.secretData" $root) -}}
{{- end -}}
{{- printf "%s-migrate-%s" (include "orchestrator.fullname" $root | trunc 44 | trimSuffix "-") (join "\n---\n" $content | sha256sum | trunc 10) -}}
{{- end -}}

{{/* Annotations on what the migration Job reads (ConfigMap, Secret, ServiceAccount) so Argo CD
creates them first in job mode. Emits nothing otherwise. */}}
{{- define "orchestrator.migrationPrereqAnnotations" -}}
{{- if and .Values.migrations.enabled (eq .Values.migrations.mode "job") -}}
argocd.argoproj.io/sync-wave: {{ sub (int .Values.migrations.argocd.syncWave) 1 | toString | quote }}
{{- end -}}
{{- end -}}

{{- define "orchestrator.validateMigrations" -}}
{{- if hasKey .Values.migrations "hook" -}}
{{- fail (printf "migrations.hook was replaced by migrations.mode: use mode: %s" (ternary "hook" "job" (eq (toString .Values.migrations.hook) "true"))) -}}
{{- end -}}
{{- if not (has .Values.migrations.mode (list "hook" "job")) -}}
{{- fail (printf "migrations.mode must be hook or job (got %q)" (toString .Values.migrations.mode)) -}}
{{- end -}}
{{- end -}}

{{/* Init container of api and worker pods: waits until no migration of this image is pending
(job mode: the Job runs alongside the rollout), so new code never meets an old schema.
Arg: dict root, image. */}}
{{- define "orchestrator.waitForMigrations" -}}
{{- $root := .root -}}
{{- $w := $root.Values.migrations.waitForMigrations -}}
- name: wait-for-migrations
  image: {{ .image }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  command: ["node", "dist/src/database/migrate.js", "wait", "--timeout", {{ $w.timeoutSeconds | int64 | toString | quote }}]
  envFrom:
    {{- include "orchestrator.envFrom" (dict "configMap" (include "orchestrator.configMapName" $root) "secret" (include "orchestrator.secretName" $root)) | nindent 4 }}
  resources:
    {{- toYaml $w.resources | nindent 4 }}
  securityContext:
    {{- toYaml $root.Values.pod.containerSecurityContext | nindent 4 }}
  volumeMounts:
    {{- include "orchestrator.tmpVolumeMount" $root | nindent 4 }}
{{- end -}}

{{/* ------------------------------------------------ rollout on config change ---- */}}

{{/* Pod template annotations of api and worker pods: a checksum of everything they read at
start, so a change rolls them. The chart-managed Secret is hashed from its values; an
existingSecret from its live data (`lookup` at install/upgrade; empty under `helm template`,
where secret.rotation — any string bumped on rotation — or Reloader takes over). */}}
{{- define "orchestrator.podRolloutAnnotations" -}}
checksum/config: {{ include "orchestrator.configData" . | sha256sum }}
{{- if not .Values.secret.existingSecret }}
checksum/secret: {{ include "orchestrator.secretData" . | sha256sum }}
{{- else }}
{{- $live := lookup "v1" "Secret" .Release.Namespace .Values.secret.existingSecret | default dict }}
checksum/secret: {{ toJson (dict "data" (get $live "data" | default dict) "rotation" (toString .Values.secret.rotation)) | sha256sum }}
{{- end }}
{{- end -}}

{{/* Deployment annotation for Stakater Reloader (reloader.enabled): restart on a change of
any Secret the pods read that the chart does not render itself. */}}
{{- define "orchestrator.reloaderAnnotations" -}}
{{- if .Values.reloader.enabled -}}
{{- $secrets := compact (list .Values.secret.existingSecret .Values.secretFiles.existingSecret .Values.config.temporal.tls.existingSecret .Values.config.payloadStore.credentials.existingSecret) | uniq -}}
{{- if $secrets -}}
secret.reloader.stakater.com/reload: {{ join "," $secrets | quote }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* ------------------------------------------------- connection budget ---- */}}

{{/* Postgres connections the release may open at its scale limits, as JSON {"total": n, ...}:
api (pool + 1 LISTEN connection per pod), workers (pool per pod), at max replicas plus the
rollout surge (25%, rounded up), plus the draining builds of worker versioning, plus 3 for a
migration run. */}}
{{- define "orchestrator.connectionBudget" -}}
{{- $api := .Values.api -}}
{{- $apiMax := int (ternary $api.autoscaling.maxReplicas $api.replicas $api.autoscaling.enabled) -}}
{{- $apiPods := add $apiMax (div (add $apiMax 3) 4) -}}
{{- $apiConns := mul $apiPods (add (int $api.databasePoolSize) 1) -}}
{{- $workerConns := 0 -}}
{{- range $pool := (include "orchestrator.workerPools" . | fromJson).pools -}}
{{- $max := int (ternary $pool.replicas $pool.autoscaling.maxReplicas (eq $pool.autoscaling.mode "none")) -}}
{{- $pods := add $max (div (add $max 3) 4) -}}
{{- $workerConns = add $workerConns (mul $pods (int $pool.databasePoolSize)) -}}
{{- if $.Values.workers.versioning.enabled -}}
{{- range $prev := $.Values.workers.versioning.previousBuilds -}}
{{- $workerConns = add $workerConns (mul (int (default 1 $prev.replicas)) (int $pool.databasePoolSize)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $migrate := ternary 3 0 .Values.migrations.enabled -}}
{{- toJson (dict "api" $apiConns "workers" $workerConns "migrations" $migrate "total" (add $apiConns $workerConns $migrate)) -}}
{{- end -}}

{{- define "orchestrator.validateConnectionBudget" -}}
{{- $limit := int .Values.database.maxConnections -}}
{{- if gt $limit 0 -}}
{{- $b := include "orchestrator.connectionBudget" . | fromJson -}}
{{- if gt (int $b.total) $limit -}}
{{- fail (printf "database.maxConnections (%d) is below what the release may open at its scale limits: %d (api %d, workers %d, migrations %d); lower api.databasePoolSize / workerDefaults.databasePoolSize or the max replicas, or raise the server's limit" $limit (int $b.total) (int $b.api) (int $b.workers) (int $b.migrations)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* -------------------------------------------------------- worker versions ---- */}}

{{/* A string as a label value (letters, digits, . _ -; at most 63). */}}
{{- define "orchestrator.labelValue" -}}
{{- regexReplaceAll "[^A-Za-z0-9._-]" (toString .) "-" | trunc 63 | trimAll "-._" -}}
{{- end -}}

{{/* The Temporal Worker Deployment of a pool (WORKER_DEPLOYMENT_NAME): <fullname>-<pool>.
Arg: dict root, pool. */}}
{{- define "orchestrator.temporalDeploymentName" -}}
{{- printf "%s-%s" (include "orchestrator.fullname" .root) .pool.name -}}
{{- end -}}

{{/* The build id of an image: workers.versioning.buildId, else the tag, else the digest's first
12 hex digits. Arg: dict root, image. */}}
{{- define "orchestrator.buildIdOf" -}}
{{- if .image.digest -}}
{{- trimPrefix "sha256:" .image.digest | trunc 12 -}}
{{- else -}}
{{- include "orchestrator.imageTag" . -}}
{{- end -}}
{{- end -}}

{{/*
The Deployments a pool runs, as JSON {"builds": [{name, image, id, current, replicas}]}.
Without versioning: one, named <fullname>-worker-<pool>, no build id. With
workers.versioning.enabled: one per build — the current image, named
<fullname>-worker-<pool>-<build id>, and each of workers.versioning.previousBuilds (fixed
replicas) that still drains the jobs pinned to it. Arg: dict root, pool.
*/}}
{{- define "orchestrator.workerBuilds" -}}
{{- $root := .root -}}
{{- $v := $root.Values.workers.versioning -}}
{{- $base := include "orchestrator.workerName" (dict "root" $root "pool" .pool) -}}
{{- $image := $root.Values.image.worker -}}
{{- $builds := list -}}
{{- if not $v.enabled -}}
{{- $builds = append $builds (dict "name" $base "image" (include "orchestrator.image" (dict "root" $root "image" $image)) "id" "" "current" true "replicas" 0) -}}
{{- else -}}
{{- $current := default (include "orchestrator.buildIdOf" (dict "root" $root "image" $image)) (toString (default "" $v.buildId)) -}}
{{- $builds = append $builds (dict "name" (include "orchestrator.workerBuildName" (dict "base" $base "id" $current)) "image" (include "orchestrator.image" (dict "root" $root "image" $image)) "id" $current "current" true "replicas" 0) -}}
{{- range $prev := $v.previousBuilds -}}
{{- $prevImage := dict "repository" (default $image.repository $prev.repository) "tag" (default "" $prev.tag) "digest" (default "" $prev.digest) -}}
{{- if and (not $prevImage.tag) (not $prevImage.digest) -}}
{{- $_ := set $prevImage "tag" $prev.buildId -}}
{{- end -}}
{{- $id := toString $prev.buildId -}}
{{- if ne $id $current -}}
{{- $builds = append $builds (dict "name" (include "orchestrator.workerBuildName" (dict "base" $base "id" $id)) "image" (include "orchestrator.image" (dict "root" $root "image" $prevImage)) "id" $id "current" false "replicas" (int (default 1 $prev.replicas))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson (dict "builds" $builds) -}}
{{- end -}}

{{/* <worker name>-<build id as a DNS label>, at most 63. Arg: dict base, id. */}}
{{- define "orchestrator.workerBuildName" -}}
{{- $suffix := regexReplaceAll "[^a-z0-9-]" (lower (toString .id)) "-" | trimAll "-" | trunc 20 | trimAll "-" -}}
{{- printf "%s-%s" (.base | trunc (int (sub 62 (len $suffix))) | trimSuffix "-") $suffix -}}
{{- end -}}

{{/* The Deployment an autoscaler of a pool targets: its current build's. Arg: dict root, pool. */}}
{{- define "orchestrator.workerScaleTarget" -}}
{{- (index (include "orchestrator.workerBuilds" . | fromJson).builds 0).name -}}
{{- end -}}
