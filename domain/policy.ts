/** Policy documents and the pure retry arithmetic that workflow code runs. No imports: deterministic. */

export interface RetryPolicy {
  maxAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maxIntervalMs: number;
  /** 0..1: the delay is drawn from [d·(1-jitter), d]. */
  jitter: number;
  /** Error types (`HttpError`, `NetworkError`, …) or `http_<status>` that must not be retried. */
  nonRetryable: string[];
  respectRetryAfter: boolean;
}

export interface CircuitBreakerPolicy {
  enabled: boolean;
  failureRateThreshold: number;
  minimumCalls: number;
  windowMs: number;
  openMs: number;
  halfOpenMaxCalls: number;
  /** Calls slower than this count as failures; null or absent: no call is slow. */
  slowCallMs?: number | null;
}

/** The fleet-wide limits enforced in Redis before every call (SPEC §3.4–3.6). */
export interface ResilienceLimits {
  circuitBreaker: CircuitBreakerPolicy;
  rateLimit: { permitsPerSecond: number; burst: number } | null;
  concurrency: { maxInFlight: number } | null;
  /**
   * When Redis (breaker and limiter state) is unreachable: `fail_open` calls without limits,
   * `fail_closed` waits (reason `limiter_unavailable`) until it is back or the total timeout ends.
   */
  onRedisUnavailable: 'fail_open' | 'fail_closed';
}

export interface PolicyDocument extends ResilienceLimits {
  retry: RetryPolicy;
  timeouts: { attemptMs: number; totalMs: number };
}

export function resilienceLimits(policy: PolicyDocument): ResilienceLimits {
  return {
    circuitBreaker: policy.circuitBreaker,
    rateLimit: policy.rateLimit,
    concurrency: policy.concurrency,
    onRedisUnavailable: policy.onRedisUnavailable,
  };
}

/** The default policy; CONNECTOR_MAX_RETRIES and CONNECTOR_RETRY_BASE_SECONDS fill the retry part. */
export function defaultPolicy(maxRetries: number, retryBaseSeconds: number): PolicyDocument {
  return {
    retry: {
      maxAttempts: maxRetries + 1,
      initialIntervalMs: retryBaseSeconds * 1000,
      backoffCoefficient: 2,
      maxIntervalMs: 60_000,
      jitter: 0.2,
      nonRetryable: [],
      respectRetryAfter: true,
    },
    timeouts: { attemptMs: 30_000, totalMs: 15 * 60_000 },
    circuitBreaker: {
      enabled: true,
      failureRateThreshold: 0.5,
      minimumCalls: 10,
      windowMs: 60_000,
      openMs: 30_000,
      halfOpenMaxCalls: 1,
    },
    rateLimit: null,
    concurrency: null,
    onRedisUnavailable: 'fail_open',
  };
}

/** Whether a failure may be retried, after the policy's overrides. */
export function isRetryable(retry: RetryPolicy, error: { type: string; retryable: boolean; httpStatus?: number }): boolean {
  if (!error.retryable) return false;
  if (retry.nonRetryable.includes(error.type)) return false;
  return !(error.httpStatus !== undefined && retry.nonRetryable.includes(`http_${error.httpStatus}`));
}

/**
 * Delay before attempt `attempt + 1` after attempt `attempt` failed: exponential, capped, jittered
 * with the given uniform draw in [0,1), and never earlier than a honoured Retry-After.
 */
export function retryDelayMs(retry: RetryPolicy, attempt: number, random: number, retryAfterMs?: number): number {
  const exponential = retry.initialIntervalMs * Math.pow(retry.backoffCoefficient, attempt - 1);
  const capped = Math.min(exponential, retry.maxIntervalMs);
  const jittered = capped * (1 - retry.jitter * random);
  const floor = retry.respectRetryAfter && retryAfterMs !== undefined ? retryAfterMs : 0;
  return Math.max(Math.round(jittered), floor);
}
