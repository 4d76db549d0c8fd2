/**
 * The contract between the job workflow and its activities: what the workflow is started with,
 * what it asks an attempt to do, and what comes back. Pure types.
 */
import type { ConnectorDefinition } from './connector-spec';
import type { JobError, JobSpec, JobStatus, WaitReason } from './job';
import type { PolicyDocument } from './policy';

/**
 * Signal to a job's workflow that it may ask for a permit again now: its turn came in the
 * connector's queue of waiters, or the breaker changed (an operator reset, a new half-open time).
 */
export const PERMIT_CHANGED_SIGNAL = 'permitChanged';

/** Temporal naming for jobs (SPEC §3): the workflow type and `job-<jobId>` workflow IDs. */
export const EXECUTE_JOB_WORKFLOW = 'executeJob';

export function workflowIdForJob(jobId: string): string {
  return `job-${jobId}`;
}

/**
 * Workflow input: the job plus what was pinned when it was accepted — the policy version (its retry
 * and timeouts; limits are the connector's live settings) and the connector's definition. Jobs
 * started before the definition was pinned have no `connector` and read it live.
 */
export interface ExecuteJobInput {
  job: JobSpec;
  policy: PolicyDocument;
  connector?: ConnectorDefinition;
  /** Continue as new after this many history events (lower than the workflow's own limit only). */
  historyEventsLimit?: number;
  /** Set when a run continues an earlier one: where the job stands. */
  resume?: ResumeState;
}

/** What a continued-as-new run carries over, so SPEC §3 holds across runs. */
export interface ResumeState {
  /** Epoch ms: the job's total-timeout deadline, fixed when its first run started. */
  deadline: number;
  attempt: number;
  waitStreak: number;
  lostAttempt?: LostAttempt;
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
  /**
   * `waitInside`: the job is at the head of the connector's queue; it asks again after
   * `retryAfterMs` without leaving its attempt, so that a freed slot is taken at once.
   */
  | { granted: false; reason: WaitReason; retryAfterMs: number; waitInside?: boolean };

/**
 * What one attempt activity reports back; the workflow decides what happens next. `waiting`: no
 * permit (breaker open, rate or concurrency limit, Redis away), no call made, no attempt used.
 */
export type AttemptOutcome =
  | { kind: 'succeeded'; httpStatus: number }
  | { kind: 'failed'; error: JobError; retryAfterMs?: number; lost?: true }
  | { kind: 'waiting'; reason: WaitReason; retryAfterMs: number }
  /** The ledger already holds the job's end (an earlier try committed it): no call was made. */
  | { kind: 'finished'; status: TerminalStatus; attempts: number };

export type TerminalStatus = Extract<JobStatus, 'succeeded' | 'failed' | 'cancelled' | 'timed_out'>;

export interface AttemptRequest {
  job: JobSpec;
  /** The attempt number this call will have if a permit is granted. */
  attempt: number;
  timeoutMs: number;
  /** The pinned definition; absent for jobs started before it was pinned. */
  connector?: ConnectorDefinition;
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
  status: TerminalStatus;
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

/** The activity the reconcile workflow schedules (src/jobs/job-reconciler.service.ts): jobs recorded. */
export interface ReconcileActivities {
  reconcileJobs(): Promise<number>;
}
