import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBase64,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  ValidationOptions,
  Max,
  Min,
  ValidateIf,
  getMetadataStorage,
  registerDecorator,
  validateSync,
} from 'class-validator';
import { accessSync, constants } from 'node:fs';

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);
const toBool = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
const toList = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;

const URL_OPTS = { require_tld: false, require_protocol: true };

/** A path the process can read now (mounted certificates): a typo fails the boot, not the first call. */
function IsReadableFile(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isReadableFile',
      target: target.constructor,
      propertyName,
      options: { message: 'must be a readable file', ...options },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'string' || !value.startsWith('/')) return false;
          try {
            accessSync(value, constants.R_OK);
            return true;
          } catch {
            return false;
          }
        },
      },
    });
}

/**
 * Every environment variable either process reads. Validated once at boot; a bad value stops the
 * process with one line per variable (see `loadEnvironment`). Defaults suit local development.
 */
export class Environment {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsUrl({ ...URL_OPTS, protocols: ['postgres', 'postgresql'] }, { message: 'must be a postgres:// URL' })
  DATABASE_URL: string;

  /**
   * Postgres connections this process may open for queries (the pool's max). The database must
   * allow the sum over every process: (api replicas x (this + 1 LISTEN connection)) + (worker
   * replicas x this) + 3 per running migration (its pool of 2 and the lock), at the autoscalers' maximum replica counts.
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(200)
  DATABASE_POOL_SIZE = 10;

  @IsUrl({ ...URL_OPTS, protocols: ['redis', 'rediss'] }, { message: 'must be a redis:// URL' })
  REDIS_URL: string;

  /** When set, one port serves both planes (dev); otherwise CONTROL_PORT and EXEC_PORT. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(65535)
  PORT?: number;

  @Transform(toInt) @IsInt() @Min(1) @Max(65535)
  CONTROL_PORT = 4000;

  @Transform(toInt) @IsInt() @Min(1) @Max(65535)
  EXEC_PORT = 4001;

  /** Worker: `/health/*` and `/metrics`; 0 = none. (4002 is the operator console's.) */
  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  WORKER_HEALTH_PORT = 4003;

  /** Worker: the Temporal SDK's own Prometheus exporter, on loopback only; its `temporal_*` series are served in the worker's `/metrics`. 0 = off. */
  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  WORKER_SDK_METRICS_PORT = 9465;

  /** api: the operator console (SPEC §11) — the web app, and /control/* and /exec/* forwarded to the planes; 0 = none. */
  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  OPERATOR_PORT = 4002;

  /** Console sign-in: the OpenID Connect issuer (authorization code + PKCE); its tokens must pass ORCH_JWT_* as usual. */
  @IsOptional() @IsUrl({ ...URL_OPTS, protocols: ['http', 'https'] })
  ORCH_OIDC_ISSUER?: string;

  /** Console sign-in: the public client id registered at ORCH_OIDC_ISSUER. */
  @IsOptional() @IsString() @IsNotEmpty()
  ORCH_OIDC_CLIENT_ID?: string;

  /** Console: base URL of Temporal Web UI, for links from a job to its workflow. */
  @IsOptional() @IsUrl({ ...URL_OPTS, protocols: ['http', 'https'] })
  ORCH_TEMPORAL_UI_URL?: string;

  /** api: Prometheus `/metrics` on a port of its own, never one of the public planes; 0 = none. */
  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  API_METRICS_PORT = 9464;

  @IsIn(['jwt', 'disabled'])
  AUTH_MODE: 'jwt' | 'disabled' = 'jwt';

  @ValidateIf((e: Environment) => e.AUTH_MODE === 'jwt') @IsNotEmpty({ message: 'is required when AUTH_MODE=jwt' })
  ORCH_JWT_ISSUER?: string;

  @ValidateIf((e: Environment) => e.AUTH_MODE === 'jwt') @IsNotEmpty({ message: 'is required when AUTH_MODE=jwt' })
  ORCH_JWT_AUDIENCE_CONTROL?: string;

  @ValidateIf((e: Environment) => e.AUTH_MODE === 'jwt') @IsNotEmpty({ message: 'is required when AUTH_MODE=jwt' })
  ORCH_JWT_AUDIENCE_EXEC?: string;

  @ValidateIf((e: Environment) => e.AUTH_MODE === 'jwt' && !e.ORCH_JWT_SHARED_SECRET)
  @IsUrl({ ...URL_OPTS, protocols: ['http', 'https'] }, { message: 'must be an http(s) URL (or set ORCH_JWT_SHARED_SECRET)' })
  ORCH_JWT_JWKS_URL?: string;

  @ValidateIf((e: Environment) => e.AUTH_MODE === 'jwt' && !e.ORCH_JWT_JWKS_URL)
  @Matches(/^.{32,}$/s, { message: 'must be at least 32 characters (or set ORCH_JWT_JWKS_URL)' })
  ORCH_JWT_SHARED_SECRET?: string;

  @IsOptional() @IsUrl({ ...URL_OPTS, protocols: ['http', 'https'] })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  /** Read by OpenTelemetry itself (src/telemetry/tracing.ts); validated here so a blank one fails the boot. */
  @IsOptional() @IsString() @Matches(/\S/, { message: 'must not be blank' })
  OTEL_SERVICE_NAME?: string;

  /**
   * S3-compatible store for large payloads (SPEC §12); unset = no store, and bodies above
   * HISTORY_SAFE_BODY_BYTES are refused. Path-style addressing, so MinIO and moto work as well as S3.
   */
  @IsOptional() @IsUrl({ ...URL_OPTS, protocols: ['http', 'https'] }, { message: 'must be an http(s) URL' })
  PAYLOAD_STORE_ENDPOINT?: string;

  @ValidateIf((e: Environment) => e.PAYLOAD_STORE_ENDPOINT !== undefined)
  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'must be an S3 bucket name (and is required when PAYLOAD_STORE_ENDPOINT is set)' })
  PAYLOAD_STORE_BUCKET?: string;

  @IsString() @Matches(/^[a-z0-9-]+$/, { message: 'must be a region name such as us-east-1' })
  PAYLOAD_STORE_REGION = 'us-east-1';

  /** Static credentials; unset = the standard AWS chain (env, web identity, instance role). Needs PAYLOAD_STORE_SECRET_ACCESS_KEY. */
  @IsOptional() @IsString() @IsNotEmpty()
  PAYLOAD_STORE_ACCESS_KEY_ID?: string;

  @IsOptional() @IsString() @IsNotEmpty()
  PAYLOAD_STORE_SECRET_ACCESS_KEY?: string;

  /** Payloads (Temporal payloads, job input/result, webhook bodies) larger than this go to the store as a reference. */
  @Transform(toInt) @IsInt() @Min(1024) @Max(2 * 1024 * 1024)
  PAYLOAD_STORE_THRESHOLD_BYTES = 128 * 1024;

  /** `GET /jobs/:id` returns a stored result inline up to this size; above it, a link to `GET /jobs/:id/result`. */
  @Transform(toInt) @IsInt() @Min(1024) @Max(256 * 1024 * 1024)
  PAYLOAD_STORE_INLINE_RESULT_MAX_BYTES = 16 * 1024 * 1024;

  /** Retries after the first attempt in the default policy. */
  @Transform(toInt) @IsInt() @Min(0) @Max(100)
  CONNECTOR_MAX_RETRIES = 3;

  @Transform(toInt) @IsInt() @Min(0) @Max(3600)
  CONNECTOR_RETRY_BASE_SECONDS = 1;

  @Matches(/^[^\s:]+:\d{1,5}$/, { message: 'must be host:port' })
  TEMPORAL_ADDRESS = '127.0.0.1:7233';

  @IsString() @IsNotEmpty()
  TEMPORAL_NAMESPACE = 'default';

  /** TLS to the Temporal frontend. Unset: on when any TEMPORAL_TLS_* file or TEMPORAL_API_KEY is set. */
  @IsOptional() @Transform(toBool) @IsBoolean({ message: 'must be true or false' })
  TEMPORAL_TLS?: boolean;

  /** PEM CA bundle that signed the frontend's certificate; unset = the system's trusted CAs (Temporal Cloud). */
  @IsOptional() @IsReadableFile({ message: 'must be the absolute path of a readable PEM file' })
  TEMPORAL_TLS_CA_PATH?: string;

  /** mTLS client certificate (PEM); needs TEMPORAL_TLS_KEY_PATH. */
  @IsOptional() @IsReadableFile({ message: 'must be the absolute path of a readable PEM file' })
  TEMPORAL_TLS_CERT_PATH?: string;

  /** mTLS client private key (PEM); needs TEMPORAL_TLS_CERT_PATH. */
  @IsOptional() @IsReadableFile({ message: 'must be the absolute path of a readable PEM file' })
  TEMPORAL_TLS_KEY_PATH?: string;

  /** Name checked against the frontend's certificate and sent as SNI, when it differs from TEMPORAL_ADDRESS's host. */
  @IsOptional() @Matches(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, { message: 'must be a DNS name' })
  TEMPORAL_TLS_SERVER_NAME?: string;

  /** API key (Temporal Cloud), sent as `Authorization: Bearer`; implies TLS. */
  @IsOptional() @IsString() @Matches(/^\S+$/, { message: 'must be a non-empty key without whitespace' })
  TEMPORAL_API_KEY?: string;

  /** Task queue for connectors that do not name one. */
  @IsString() @Matches(/^[\w.-]+$/, { message: 'must be a task queue name ([A-Za-z0-9_.-])' })
  ORCH_TASK_QUEUE = 'orchestrator';

  /** Queues this worker process polls; defaults to ORCH_TASK_QUEUE. */
  @IsOptional() @Transform(toList) @Matches(/^[\w.-]+$/, { each: true, message: 'must be a comma-separated list of task queue names' })
  WORKER_TASK_QUEUES?: string[];

  @Transform(toInt) @IsInt() @Min(1) @Max(3600)
  WORKER_SHUTDOWN_GRACE_SECONDS = 30;

  /** A job's workflow continues as new after this many history events (Temporal's own suggestion may come first). */
  @Transform(toInt) @IsInt() @Min(50) @Max(2000)
  ORCH_HISTORY_EVENTS_LIMIT = 2000;

  /** worker: how often (seconds) the reconciler looks for job workflows that closed without recording their end. */
  @Transform(toInt) @IsInt() @Min(1) @Max(86_400)
  ORCH_RECONCILE_INTERVAL_SECONDS = 60;

  /**
   * worker: a concurrency lease or half-open probe slot outlives its holder's last renewal (every
   * second) by this much, so the slots of a dead worker free themselves within it.
   */
  @Transform(toInt) @IsInt() @Min(1000) @Max(300_000)
  ORCH_LEASE_TTL_MS = 10_000;

  /**
   * Worker Deployment versioning: the build this worker runs (image tag or commit). Set, the
   * worker registers as version WORKER_DEPLOYMENT_NAME/WORKER_BUILD_ID and receives only the
   * tasks Temporal routes to that version (new workflows go to the deployment's current version,
   * set with `temporal worker deployment set-current-version`); unset, it is unversioned.
   */
  @IsOptional() @Matches(/^[A-Za-z0-9][\w.+-]{0,254}$/, { message: 'must be a build id (letters, digits, . _ + -)' })
  WORKER_BUILD_ID?: string;

  /** The Worker Deployment (one per pool: the pool's task queues) this worker's versions belong to. */
  @Matches(/^[A-Za-z0-9][\w.-]{0,254}$/, { message: 'must be a deployment name (letters, digits, . _ -)' })
  WORKER_DEPLOYMENT_NAME = 'orchestrator';

  /**
   * How the workflows a versioned worker starts move between versions: PINNED (default) keeps a
   * running job on the build that started it, so a workflow change needs no patch; AUTO_UPGRADE
   * moves it to the current version at its next task (the change must then be replay-safe).
   */
  @IsIn(['PINNED', 'AUTO_UPGRADE'])
  WORKER_VERSIONING_BEHAVIOR: 'PINNED' | 'AUTO_UPGRADE' = 'PINNED';

  /** api: after SIGTERM, seconds it keeps serving (not ready, `Connection: close`) before it stops accepting. */
  @Transform(toInt) @IsInt() @Min(0) @Max(300)
  ORCH_SHUTDOWN_DRAIN_SECONDS = 0;

  /** Base64 of 32 random bytes; encrypts `local` secret refs at rest. */
  @IsOptional() @IsBase64() @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be base64 of exactly 32 bytes' })
  ORCH_SECRETS_KEY?: string;

  /** Earlier ORCH_SECRETS_KEY values (comma-separated) still accepted for decryption during a key rotation. */
  @IsOptional() @Transform(toList) @Matches(/^[A-Za-z0-9+/]{43}=$/, { each: true, message: 'must be a comma-separated list of base64 32-byte keys' })
  ORCH_SECRETS_KEY_PREVIOUS?: string[];

  /** The only directory `file` secret refs may point into (mounted secrets); absolute. */
  @IsString() @Matches(/^\/(?!.*(^|\/)\.\.?(\/|$)).*[^/]$/, { message: 'must be an absolute directory path without "." or ".." segments' })
  ORCH_SECRET_FILES_DIR = '/run/secrets/orchestrator';

  /** Seconds an Idempotency-Key is remembered. */
  @Transform(toInt) @IsInt() @Min(1)
  ORCH_IDEMPOTENCY_TTL = 86_400;

  /** Seconds between runs of the retention schedule (expired keys, old events and inbox rows). */
  @Transform(toInt) @IsInt() @Min(10)
  ORCH_IDEMPOTENCY_CLEANUP_INTERVAL = 3_600;

  @Transform(toInt) @IsInt() @Min(1) @Max(100_000)
  ORCH_IDEMPOTENCY_CLEANUP_BATCH_SIZE = 1_000;

  /** Comment lines on idle SSE streams, so proxies keep them open. */
  @Transform(toInt) @IsInt() @Min(1) @Max(300)
  ORCH_SSE_KEEPALIVE_SECONDS = 15;

  /** Events (and webhook inbox rows) older than this are deleted by the retention schedule. */
  @Transform(toInt) @IsInt() @Min(1) @Max(3650)
  ORCH_EVENT_RETENTION_DAYS = 30;

  /** Deployment-level switch: without it no connector may reach private or loopback addresses. */
  @Transform(toBool) @IsBoolean()
  ORCH_ALLOW_PRIVATE_NETWORK = false;

  /**
   * Largest request body (and, with a payload store, connector response kept as a result). Without
   * PAYLOAD_STORE_ENDPOINT the effective limit is at most HISTORY_SAFE_BODY_BYTES (1 MiB).
   */
  @Transform(toInt) @IsInt() @Min(1024) @Max(256 * 1024 * 1024)
  ORCH_MAX_BODY_BYTES = 1024 * 1024;

  /** JWKS: an unknown `kid` refetches the key set at most this often (rotation). */
  @Transform(toInt) @IsInt() @Min(0) @Max(3600)
  ORCH_JWT_JWKS_COOLDOWN_SECONDS = 30;

  /** JWKS: the key set is refetched when older than this. */
  @Transform(toInt) @IsInt() @Min(1) @Max(86_400)
  ORCH_JWT_JWKS_CACHE_SECONDS = 600;

  /** Per-tenant API requests per second (GCRA in Redis; fractions allowed) unless the tenant's active config sets its own; 0 = no default limit. */
  @Transform(toInt) @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a number' }) @Min(0) @Max(1_000_000)
  ORCH_TENANT_RATE_LIMIT_PER_SECOND = 1_000;

  /** Extra requests a tenant may send at once above the steady rate (the bucket holds rate + burst). */
  @Transform(toInt) @IsInt() @Min(0) @Max(10_000_000)
  ORCH_TENANT_RATE_LIMIT_BURST = 1_000;

  /** A handler that has not answered within this many ms gets a 503; `Prefer: wait=N` extends it to N s + 5 s. 0 = off. */
  @Transform(toInt) @IsInt() @Min(0) @Max(3_600_000)
  ORCH_REQUEST_TIMEOUT_MS = 30_000;
}

/**
 * Without a payload store every byte of a body ends up in Temporal's history (which refuses payloads
 * above 2 MiB) and in Postgres rows, so bodies stay below this whatever ORCH_MAX_BODY_BYTES says.
 */
export const HISTORY_SAFE_BODY_BYTES = 1024 * 1024;

/** Every variable the schema declares, read from class-validator's metadata so the list cannot drift. */
export const ENVIRONMENT_KEYS: readonly string[] = [
  ...new Set(getMetadataStorage().getTargetValidationMetadatas(Environment, '', true, false).map((m) => m.propertyName)),
];

export class EnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** Validates `env`; throws EnvironmentError listing one line per bad variable. */
export function loadEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const raw = Object.fromEntries(
    ENVIRONMENT_KEYS.filter((key) => env[key] !== undefined && env[key] !== '').map((key) => [key, env[key]]),
  );
  const parsed = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  // class-validator lists constraints last decorator first: the last one is the most basic (type) check.
  const problems = validateSync(parsed, { forbidUnknownValues: false }).map((error) => {
    const message = Object.values(error.constraints ?? {}).at(-1) ?? 'is invalid';
    return `${error.property}: ${message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message}`;
  });
  if (parsed.NODE_ENV === 'production' && parsed.AUTH_MODE === 'disabled') {
    problems.push('AUTH_MODE: must not be "disabled" when NODE_ENV=production');
  }
  problems.push(...temporalTlsProblems(parsed));
  if (parsed.PAYLOAD_STORE_ACCESS_KEY_ID && !parsed.PAYLOAD_STORE_SECRET_ACCESS_KEY) problems.push('PAYLOAD_STORE_SECRET_ACCESS_KEY: is required when PAYLOAD_STORE_ACCESS_KEY_ID is set');
  if (parsed.PAYLOAD_STORE_SECRET_ACCESS_KEY && !parsed.PAYLOAD_STORE_ACCESS_KEY_ID) problems.push('PAYLOAD_STORE_ACCESS_KEY_ID: is required when PAYLOAD_STORE_SECRET_ACCESS_KEY is set');
  if (problems.length > 0) throw new EnvironmentError(problems);
  return parsed;
}

/** Combinations the per-variable checks cannot see: a client certificate needs its key, TLS settings need TLS. */
function temporalTlsProblems(env: Environment): string[] {
  const problems: string[] = [];
  if (env.TEMPORAL_TLS_CERT_PATH && !env.TEMPORAL_TLS_KEY_PATH) problems.push('TEMPORAL_TLS_KEY_PATH: is required when TEMPORAL_TLS_CERT_PATH is set');
  if (env.TEMPORAL_TLS_KEY_PATH && !env.TEMPORAL_TLS_CERT_PATH) problems.push('TEMPORAL_TLS_CERT_PATH: is required when TEMPORAL_TLS_KEY_PATH is set');
  if (env.TEMPORAL_TLS === false) {
    const needsTls = ['TEMPORAL_TLS_CA_PATH', 'TEMPORAL_TLS_CERT_PATH', 'TEMPORAL_TLS_KEY_PATH', 'TEMPORAL_TLS_SERVER_NAME', 'TEMPORAL_API_KEY'] as const;
    const set = needsTls.filter((key) => env[key] !== undefined);
    if (set.length > 0) problems.push(`TEMPORAL_TLS: must not be false while ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set`);
  }
  return problems;
}

/** For entrypoints: validated environment, or one line per problem on stderr and exit code 78 (EX_CONFIG). */
export function loadEnvironmentOrExit(): Environment {
  try {
    return loadEnvironment();
  } catch (error) {
    if (!(error instanceof EnvironmentError)) throw error;
    for (const line of error.problems) process.stderr.write(`Invalid configuration: ${line}\n`);
    process.exit(78);
  }
}
