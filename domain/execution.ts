/**
 * The contract between the job workflow and its activities: what the workflow is started with,
 * what it asks an attempt to do, and what comes back. Pure types.
 */
import type { JobError, JobSpec, JobStatus, WaitReason } from './job';
import type { PolicyDocument, ResilienceLimits } from './policy';

/**
 * Signal to a job's workflow that its connector's breaker or limits changed (an operator reset):
 * a job waiting for a permit asks again at once instead of sleeping out its wait.
 */
export const PERMIT_CHANGED_SIGNAL = 'permitChanged';

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

/** The activities the job workflow schedules (implemented in activities/index.ts). */
export interface JobActivities {
  runAttempt(request: AttemptRequest): Promise<AttemptOutcome>;
  finishJob(request: FinishJobRequest): Promise<void>;
}

/** The activity the retention workflow schedules (activities/retention.ts): rows deleted per target. */
export interface RetentionActivities {
  sweepRetention(): Promise<Record<string, number>>;
}
