/** What activities need from the outside world; the worker injects implementations (TypeORM, fetch). */
import type { AttemptRequest, FinishJobRequest, PermitDecision, TerminalStatus } from '../domain/execution';
import type { EventType } from '../domain/events';
import type { ErrorType, JobError, JobSpec, WaitReason } from '../domain/job';
import type { ResilienceLimits } from '../domain/policy';
import type { HttpResult } from './http-request';
import type { ConnectorSpec } from '../domain/connector-spec';

export interface ConnectorSnapshot {
  id: string;
  name: string;
  type: string;
  enabled: boolean;
  spec: ConnectorSpec;
}

/**
 * What the ledger says when an attempt is about to call: go ahead; the job already ended (an
 * earlier try committed its outcome); or this attempt was started before by a try that never
 * reported (its call may have gone out, so it is a lost attempt and is not made again).
 */
export type AttemptStart =
  | { kind: 'started'; /** The worker recreated the job row (the api died before committing it). */ recovered: boolean }
  | { kind: 'finished'; status: TerminalStatus; attempts: number }
  | { kind: 'already_started' };

/** The job projection and event log, written as attempts progress. */
export interface JobLedger {
  /** The job's connector as it is now, or null when it was deleted (jobs started before definitions were pinned). */
  connector(job: JobSpec): Promise<ConnectorSnapshot | null>;
  /**
   * Unless the job has ended or this attempt was started before: marks the job running with this
   * attempt (creating its record if the api died before committing it). Only the job's own row: it
   * is what makes a later try of this attempt see `already_started`, and the call waits for it.
   * `claim` names the asking try: asked again with the same claim (its commit's acknowledgement
   * was lost), the attempt is still `started`.
   */
  startAttempt(request: AttemptRequest, claim: string): Promise<AttemptStart>;
  /** The events of a started attempt: `job.accepted` (recovered rows), a lost attempt's `attempt.failed`, `job.started`, `attempt.started`. */
  recordAttemptStarted(request: AttemptRequest, recovered: boolean): Promise<void>;
  attemptSucceeded(request: AttemptRequest, result: HttpResult): Promise<void>;
  attemptFailed(request: AttemptRequest, error: JobError): Promise<void>;
  /** Records the job's end unless it had ended; returns its connector when this call ended it. */
  finishJob(request: FinishJobRequest): Promise<string | undefined>;
  /** Shows the job as waiting (and records `job.waiting`) unless it already waits for that reason. */
  markWaiting(job: JobSpec, reason: WaitReason, retryAfterMs: number): Promise<void>;
  /** Records a connector-level event such as a breaker transition. */
  recordConnectorEvent(tenantId: string, connectorId: string, type: EventType, data: Record<string, unknown>): Promise<void>;
}

export type BreakerTransition = 'opened' | 'half_opened' | 'closed';

/**
 * What a call that was made tells the breaker: `failure` for a retryable-class failure or a slow
 * call, `success` for anything else that answered, `none` when it ended without an answer
 * (cancelled, lost): its slots free and it decides nothing.
 */
export type CallVerdict = 'success' | 'failure' | 'none';

export interface AcquireResult {
  decision: PermitDecision;
  transition?: BreakerTransition;
  /** Queued jobs this call handed their turn (or told of a new half-open time): their workflows are signalled. */
  woken: string[];
}

export interface ReportResult {
  transition?: BreakerTransition;
  woken: string[];
}

/** The fleet-wide breaker, rate limiter and leases (Redis); see src/resilience/resilience-store.ts. */
export interface ResiliencePort {
  /**
   * `waiter` (the job): a rate-limited job reserves its slot and is told exactly when it is due; one
   * held back by concurrency or half-open probes queues (FIFO, fair per tenant) and sleeps
   * `queuedSleepMs` unless woken — or, near the queue's head and given `insidePollMs`, is told to
   * ask again after that many ms without leaving its attempt (`waitInside`).
   */
  acquire(
    connectorId: string,
    limits: ResilienceLimits,
    token: string,
    slotTtlMs: number,
    queuedSleepMs: number,
    waiter?: { jobId: string; tenantId: string },
    insidePollMs?: number,
  ): Promise<AcquireResult>;
  renew(connectorId: string, token: string, slotTtlMs: number): Promise<number>;
  report(connectorId: string, limits: ResilienceLimits, token: string, probe: boolean, verdict: CallVerdict): Promise<ReportResult>;
  /** The job ended: out of the queue, and a turn it held goes to the next. Returns the jobs to wake. */
  leave(connectorId: string, limits: ResilienceLimits, jobId: string): Promise<string[]>;
}

/** Tells waiting jobs' workflows that it is their turn (the `permitChanged` signal); best effort, never rejects. */
export interface WaiterWakeUps {
  wake(jobIds: readonly string[]): Promise<void>;
}

/** The connector's live limits (SPEC §3.10): its governing policy's breaker, rate limit and concurrency. */
export interface LimitsSource {
  forJob(job: Pick<JobSpec, 'tenantId' | 'connectorId'>): Promise<ResilienceLimits>;
}

/** Counters the worker exports on /metrics. */
export interface ActivityMetrics {
  attempt(connectorId: string, outcome: 'succeeded' | 'failed', errorType?: ErrorType): void;
  permitDenied(connectorId: string, reason: WaitReason): void;
  breakerTransition(connectorId: string, transition: BreakerTransition): void;
}

/** Secret values by ref, resolved in the worker only (src/secrets/secret-resolver.ts). */
export interface SecretSource {
  /** The value, or a SecretUnavailableError (activities/secrets.ts) when the ref or its value is missing. */
  resolve(tenantId: string, secretRefId: string): Promise<string>;
}

export interface OutboundRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** The connector's allowPrivateNetwork; effective only when the deployment allows it too. */
  allowPrivateNetwork: boolean;
  /** Headers dropped when a redirect leaves the origin (authorization and cookies always are). */
  credentialHeaders?: string[];
}

/**
 * Outbound HTTP with the SSRF guard (activities/outbound-http.ts): throws a ForbiddenTargetError
 * (activities/ssrf.ts) for a refused target, also one reached through a redirect.
 */
export interface OutboundHttp {
  send(request: OutboundRequest): Promise<Response>;
}

export interface ActivityDependencies {
  ledger: JobLedger;
  limits: LimitsSource;
  resilience: ResiliencePort;
  wakeUps: WaiterWakeUps;
  metrics: ActivityMetrics;
  outbound: OutboundHttp;
  secrets: SecretSource;
  /** Cap on a connector response body kept as a job result. */
  maxResponseBytes: number;
  /** How long a held lease or probe outlives its last heartbeat (a dead worker's slots free themselves). */
  slotTtlMs: number;
}
