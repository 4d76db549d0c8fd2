/** Types shared by the api, the worker and workflow code. Pure: type-only imports, no side effects. */
import type { PolicyDocument, ResilienceLimits } from './policy';

export type JobStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];

export type WaitReason = 'circuit_open' | 'rate_limited' | 'concurrency_limited' | 'limiter_unavailable';

export type EventType =
  | 'job.accepted'
  | 'job.started'
  | 'attempt.started'
  | 'attempt.succeeded'
  | 'attempt.failed'
  | 'job.waiting'
  | 'job.succeeded'
  | 'job.failed'
  | 'job.cancelled'
  | 'job.timed_out'
  | 'breaker.opened'
  | 'breaker.half_opened'
  | 'breaker.closed'
  | 'webhook.received'
  | 'config.activated';

/**
 * Failure classes (SPEC §3.2). NetworkError, AttemptTimeout, and HttpError with 5xx/408/429 are
 * retryable; other HttpErrors, ConfigurationError and ForbiddenTarget (the SSRF guard refused the
 * target address, a configuration error too) are not. Policies may override by type or by
 * `http_<status>` in `retry.nonRetryable`.
 */
export type ErrorType =
  | 'NetworkError'
  | 'AttemptTimeout'
  | 'HttpError'
  | 'ConfigurationError'
  | 'ForbiddenTarget'
  | 'InternalError'
  | 'TotalTimeout'
  | 'Cancelled';

export interface JobError {
  type: ErrorType;
  message: string;
  retryable: boolean;
  httpStatus?: number;
}

/** The job as accepted. Carried by the workflow so a worker can (re)create its record if the api died mid-accept. */
export interface JobSpec {
  jobId: string;
  tenantId: string;
  connectorId: string;
  operation: string;
  input: Record<string, unknown>;
  policyId: string;
  policyVersion: number;
  configVersion: number | null;
}

/** Workflow input: the job plus the policy version pinned when it was accepted. */
export interface ExecuteJobInput {
  job: JobSpec;
  policy: PolicyDocument;
}

/** An attempt that died without reporting (worker crash, activity timeout); recorded by whoever runs next. */
export interface LostAttempt {
  attempt: number;
  error: JobError;
}

/** A granted permit: the call may go ahead, holding these Redis slots until it reports. */
export interface Permit {
  token: string;
  /** This call is a half-open probe: its outcome closes or re-opens the breaker. */
  probe: boolean;
}

export type PermitDecision =
  | ({ granted: true } & Permit)
  | { granted: false; reason: WaitReason; retryAfterMs: number };

/**
 * What one attempt activity reports back; the workflow decides what happens next. `waiting`: no
 * permit (breaker open, rate or concurrency limit, Redis away), no call made, no attempt used.
 */
export type AttemptOutcome =
  | { kind: 'succeeded'; httpStatus: number }
  | { kind: 'failed'; error: JobError; retryAfterMs?: number; lost?: true }
  | { kind: 'waiting'; reason: WaitReason; retryAfterMs: number };

export interface AttemptRequest {
  job: JobSpec;
  /** The attempt number this call will have if a permit is granted. */
  attempt: number;
  timeoutMs: number;
  limits: ResilienceLimits;
  /** Consecutive waits so far; lengthens the polling interval for waits with no known end. */
  waitStreak: number;
  lostAttempt?: LostAttempt;
}

export interface FinishJobRequest {
  jobId: string;
  tenantId: string;
  status: Extract<JobStatus, 'failed' | 'cancelled' | 'timed_out'>;
  attempts: number;
  error: JobError;
  lostAttempt?: LostAttempt;
}

export interface JobOutcome {
  status: Extract<JobStatus, 'succeeded' | 'failed' | 'cancelled' | 'timed_out'>;
  attempts: number;
  error?: JobError;
}
