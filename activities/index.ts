import { Context } from '@temporalio/activity';
import { randomUUID } from 'node:crypto';
import type { AttemptOutcome, AttemptRequest, FinishJobRequest, JobError, PermitDecision, PermitRequest } from '../workflows/job-types';
import { ConfigurationError, httpError, isSuccess, parseRetryAfter, planRequest, readResponse } from './http-request';
import type { ActivityDependencies, BreakerTransition } from './ports';

const HEARTBEAT_EVERY_MS = 1_000;
/** Polling for waits with no known end (concurrency, half-open probes): 100 ms doubling to 2 s. */
const MIN_POLL_MS = 100;
const MAX_POLL_MS = 2_000;
/** How long a fail-closed job waits before asking an unreachable Redis again. */
const REDIS_RETRY_MS = 1_000;

const TRANSITION_EVENTS = { opened: 'breaker.opened', half_opened: 'breaker.half_opened', closed: 'breaker.closed' } as const;

/** The key the downstream deduplicates on: the same for every retry of the same step of a job. */
export function outboundIdempotencyKey(jobId: string, step = 1): string {
  return `${jobId}:${step}`;
}

/** Builds the activities from injected dependencies; the worker registers the returned object. */
export function createActivities(deps: ActivityDependencies) {
  async function recordTransition(tenantId: string, connectorId: string, transition: BreakerTransition | undefined, cause: Record<string, unknown>) {
    if (!transition) return;
    deps.metrics.breakerTransition(connectorId, transition);
    await deps.ledger.recordConnectorEvent(tenantId, connectorId, TRANSITION_EVENTS[transition], cause);
  }

  return {
    /** Takes a permit from the shared breaker/limiter/leases, or says how long to wait (never throws for Redis). */
    async acquirePermit({ job, limits, waitStreak }: PermitRequest): Promise<PermitDecision> {
      const pollMs = Math.min(MAX_POLL_MS, MIN_POLL_MS * 2 ** waitStreak);
      let decision: PermitDecision;
      try {
        const result = await deps.resilience.acquire(job.connectorId, limits, randomUUID(), deps.slotTtlMs, pollMs);
        decision = result.decision;
        // Spread the waiters of a rate limit over one emission interval so they do not wake together.
        if (!decision.granted && decision.reason === 'rate_limited' && limits.rateLimit) {
          decision.retryAfterMs += Math.round(Math.random() * (1000 / limits.rateLimit.permitsPerSecond));
        }
        await recordTransition(job.tenantId, job.connectorId, result.transition, { jobId: job.jobId });
      } catch (error) {
        Context.current().log.warn('breaker/limiter state unavailable', { jobId: job.jobId, mode: limits.onRedisUnavailable, error: String(error) });
        if (limits.onRedisUnavailable === 'fail_open') return { granted: true, token: '', probe: false };
        decision = { granted: false, reason: 'limiter_unavailable', retryAfterMs: REDIS_RETRY_MS };
      }
      if (!decision.granted) {
        deps.metrics.permitDenied(job.connectorId, decision.reason);
        await deps.ledger.markWaiting(job, decision.reason, decision.retryAfterMs);
      }
      return decision;
    },

    /** One attempt: exactly one call to the connector, recorded in the ledger. Never throws for expected failures. */
    async runAttempt(request: AttemptRequest): Promise<AttemptOutcome> {
      const context = Context.current();
      const { job, permit, limits } = request;
      const startedAt = Date.now();
      let outcome: AttemptOutcome | undefined;
      try {
        outcome = await callConnector(request);
        return outcome;
      } finally {
        // Free the slots and feed the breaker. A 4xx or configuration error says nothing about the
        // connector's health; only retryable failures and slow calls count against it.
        if (permit.token) {
          const slow = limits.circuitBreaker.slowCallMs !== undefined && Date.now() - startedAt > limits.circuitBreaker.slowCallMs;
          const failed = slow || (outcome !== undefined && !outcome.ok && outcome.error.retryable);
          try {
            const transition = await deps.resilience.report(job.connectorId, limits, permit.token, permit.probe, failed);
            await recordTransition(job.tenantId, job.connectorId, transition, { jobId: job.jobId, attempt: request.attempt });
          } catch (error) {
            // The slots expire on their own; the breaker misses one sample.
            context.log.warn('could not report the attempt to the breaker', { jobId: job.jobId, error: String(error) });
          }
        }
      }
    },

    /** Records a terminal failure, timeout or cancellation decided by the workflow. Idempotent. */
    async finishJob(request: FinishJobRequest): Promise<void> {
      await deps.ledger.finishJob(request);
    },
  };

  async function callConnector(request: AttemptRequest): Promise<AttemptOutcome> {
    const context = Context.current();
    const { job, permit } = request;
    const connector = await deps.ledger.startAttempt(request);
    const fail = async (error: JobError, retryAfterMs?: number): Promise<AttemptOutcome> => {
      await deps.ledger.attemptFailed(request, error);
      deps.metrics.attempt(job.connectorId, 'failed');
      context.log.info('attempt failed', { jobId: job.jobId, attempt: request.attempt, errorType: error.type, httpStatus: error.httpStatus });
      return { ok: false, error, retryAfterMs };
    };
    if (!connector || !connector.enabled) {
      return fail({ type: 'ConfigurationError', message: 'The connector no longer exists or is disabled.', retryable: false });
    }

    let plan;
    try {
      plan = planRequest(connector.spec, job.operation, job.input, outboundIdempotencyKey(job.jobId));
    } catch (error) {
      if (error instanceof ConfigurationError) return fail({ type: 'ConfigurationError', message: error.message, retryable: false });
      throw error;
    }

    const timeout = AbortSignal.timeout(request.timeoutMs);
    // Heartbeats carry cancellation in and keep the concurrency lease alive while the call runs.
    const heartbeat = setInterval(() => {
      context.heartbeat();
      if (permit.token) deps.resilience.renew(job.connectorId, permit.token, deps.slotTtlMs).catch(() => undefined);
    }, HEARTBEAT_EVERY_MS);
    try {
      const response = await deps.fetch(plan.url, {
        method: plan.method,
        headers: plan.headers,
        body: plan.body,
        redirect: 'manual',
        signal: AbortSignal.any([timeout, context.cancellationSignal]),
      });
      const result = await readResponse(response, deps.maxResponseBytes);
      if (isSuccess(connector.spec, job.operation, response.status)) {
        await deps.ledger.attemptSucceeded(request, result);
        deps.metrics.attempt(job.connectorId, 'succeeded');
        context.log.info('attempt succeeded', { jobId: job.jobId, attempt: request.attempt, httpStatus: response.status });
        return { ok: true, httpStatus: response.status };
      }
      return fail(httpError(response.status), parseRetryAfter(response.headers.get('retry-after'), Date.now()));
    } catch (error) {
      if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason ?? error;
      if (timeout.aborted) {
        return fail({ type: 'AttemptTimeout', message: `No response within the attempt timeout of ${request.timeoutMs} ms.`, retryable: true });
      }
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      return fail({ type: 'NetworkError', message: `The connector could not be reached: ${cause}`, retryable: true });
    } finally {
      clearInterval(heartbeat);
    }
  }
}

export type JobActivities = ReturnType<typeof createActivities>;
