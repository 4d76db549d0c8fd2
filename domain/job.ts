/** A job: its statuses, why it waits, how it fails, and what was accepted. Pure. */
export type JobStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
/** Every job status, in lifecycle order. */
export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out'];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];
/** A job in one of these still has a workflow working on it. */
export const NON_TERMINAL_STATUSES: readonly JobStatus[] = JOB_STATUSES.filter((status) => !TERMINAL_STATUSES.includes(status));

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export type WaitReason = 'circuit_open' | 'rate_limited' | 'concurrency_limited' | 'limiter_unavailable';

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
  /** The subject that submitted the job (null for webhook deliveries); absent in inputs of older runs. */
  submittedBy?: string | null;
}

/** A problem with what the job asks for (unknown operation, missing input field or secret): never retryable. */
export class ConfigurationError extends Error {}

/** A secret ref that does not exist (for this tenant) or has no value where it is resolved. */
export class SecretUnavailableError extends ConfigurationError {}
