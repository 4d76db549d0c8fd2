/**
 * Every error code the API answers with (RFC 9457 problem+json `code`), its HTTP status and its
 * title: one catalogue, so a code means the same thing at every throw site, in Swagger and to
 * clients. Codes are stable: add new ones, never repurpose one.
 */
export const ERROR_CATALOGUE = {
  // 400
  VALIDATION_FAILED: { status: 400, title: 'The request is invalid' },
  MALFORMED_JSON: { status: 400, title: 'The body is not valid JSON' },
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  WEBHOOK_SIGNATURE_MISSING: { status: 400, title: 'The webhook signature is missing' },
  WEBHOOK_SIGNATURE_INVALID: { status: 400, title: 'The webhook signature does not verify' },
  WEBHOOK_BODY_MISSING: { status: 400, title: 'The webhook has no body' },
  // 401, 403
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'Permission denied' },
  // 404
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  JOB_NOT_FOUND: { status: 404, title: 'Job not found' },
  JOB_RESULT_NOT_FOUND: { status: 404, title: 'The job has no result' },
  DLQ_ENTRY_NOT_FOUND: { status: 404, title: 'Dead-letter entry not found' },
  CONNECTOR_NOT_FOUND: { status: 404, title: 'Connector not found' },
  POLICY_NOT_FOUND: { status: 404, title: 'Policy not found' },
  POLICY_VERSION_NOT_FOUND: { status: 404, title: 'Policy version not found' },
  CONFIG_NOT_FOUND: { status: 404, title: 'Config version not found' },
  NO_ACTIVE_CONFIG: { status: 404, title: 'No active config' },
  SECRET_REF_NOT_FOUND: { status: 404, title: 'Secret ref not found' },
  WEBHOOK_ENDPOINT_NOT_FOUND: { status: 404, title: 'Webhook endpoint not found' },
  WEBHOOK_INBOX_ENTRY_NOT_FOUND: { status: 404, title: 'Webhook delivery not found' },
  // 405, 409
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  CONFLICT: { status: 409, title: 'Conflict' },
  CONNECTOR_NAME_TAKEN: { status: 409, title: 'Connector name taken' },
  CONNECTOR_DISABLED: { status: 409, title: 'Connector disabled' },
  CONNECTOR_IN_USE: { status: 409, title: 'Connector in use by webhook routes' },
  POLICY_NAME_TAKEN: { status: 409, title: 'Policy name taken' },
  SECRET_REF_NAME_TAKEN: { status: 409, title: 'Secret ref name taken' },
  SECRET_REF_IN_USE: { status: 409, title: 'Secret ref in use' },
  JOB_ALREADY_FINISHED: { status: 409, title: 'Job already finished' },
  ALREADY_REPLAYED: { status: 409, title: 'Already replayed' },
  NOTHING_TO_ROLL_BACK: { status: 409, title: 'Nothing to roll back' },
  WEBHOOK_JOB_RUNNING: { status: 409, title: "The webhook's job is still running" },
  WEBHOOK_ROUTING_IN_PROGRESS: { status: 409, title: 'The webhook is being routed' },
  // 413, 415, 422, 429
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency-Key reused with a different body' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  // 500, 502, 503
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  UPSTREAM_UNAVAILABLE: { status: 502, title: 'Bad gateway' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  NOT_READY: { status: 503, title: 'Not ready' },
  REQUEST_TIMEOUT: { status: 503, title: 'Request timed out' },
  /** Postgres, Redis, Temporal, the token signing keys or the payload store: the problem's `dependency` says which. */
  DEPENDENCY_UNAVAILABLE: { status: 503, title: 'A dependency is unavailable' },
  WEBHOOK_SECRET_UNAVAILABLE: { status: 503, title: 'Webhook signing secret unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** What a `DEPENDENCY_UNAVAILABLE` problem names as its `dependency` (as /health/ready does). */
export const DEPENDENCIES = ['postgres', 'redis', 'temporal', 'jwks', 'payload-store'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

const CODE_FOR_FRAMEWORK_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'ROUTE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** The catalogue's code for a status the framework raised itself (a 404 route, a 405, a 413 …). */
export function codeForStatus(status: number): ErrorCode {
  return CODE_FOR_FRAMEWORK_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
}
