import { Context } from '@temporalio/activity';
import { randomUUID } from 'node:crypto';
import { isHttpSpec } from '../domain/connector-spec';
import type { AttemptOutcome, AttemptRequest, FinishJobRequest, JobActivities, PermitDecision } from '../domain/execution';
import { ConfigurationError, type JobError, type JobSpec } from '../domain/job';
import type { ResilienceLimits } from '../domain/policy';
import { httpError, HttpRequestPlan, isSuccess, parseRetryAfter, planRequest, readResponse } from './http-request';
import type { ActivityDependencies, BreakerTransition } from './ports';
import { authorize } from './secrets';
import { findForbiddenTarget } from './ssrf';

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
export function createActivities(deps: ActivityDependencies): JobActivities {
  async function recordTransition(job: JobSpec, transition: BreakerTransition | undefined, cause: Record<string, unknown>) {
    if (!transition) return;
    deps.metrics.breakerTransition(job.connectorId, transition);
    await deps.ledger.recordConnectorEvent(job.tenantId, job.connectorId, TRANSITION_EVENTS[transition], { jobId: job.jobId, ...cause });
  }

  /** A permit from the shared breaker/limiter/leases, or how long to wait. Redis errors follow the policy. */
  async function acquirePermit(job: JobSpec, limits: ResilienceLimits, waitStreak: number): Promise<PermitDecision> {
    const pollMs = Math.min(MAX_POLL_MS, MIN_POLL_MS * 2 ** waitStreak);
    try {
      const { decision, transition } = await deps.resilience.acquire(job.connectorId, limits, randomUUID(), deps.slotTtlMs, pollMs);
      await recordTransition(job, transition, {});
      // Spread the waiters of a rate limit over a second so that they do not all wake together.
      if (!decision.granted && decision.reason === 'rate_limited') decision.retryAfterMs += Math.round(Math.random() * 1000);
      return decision;
    } catch (error) {
      Context.current().log.warn('breaker/limiter state unavailable', { jobId: job.jobId, mode: limits.onRedisUnavailable, error: String(error) });
      if (limits.onRedisUnavailable === 'fail_open') return { granted: true, token: '', probe: false };
      return { granted: false, reason: 'limiter_unavailable', retryAfterMs: REDIS_RETRY_MS };
    }
  }

  return {
    /**
     * One attempt: a permit taken right before the call (so limits hold at the downstream), then
     * exactly one call, recorded in the ledger. Never throws for expected failures.
     */
    async runAttempt(request: AttemptRequest): Promise<AttemptOutcome> {
      const context = Context.current();
      const { job, limits } = request;
      const fail = async (error: JobError, retryAfterMs?: number): Promise<AttemptOutcome> => {
        await deps.ledger.attemptFailed(request, error);
        deps.metrics.attempt(job.connectorId, 'failed');
        context.log.info('attempt failed', { jobId: job.jobId, attempt: request.attempt, errorType: error.type, httpStatus: error.httpStatus });
        return { kind: 'failed', error, retryAfterMs };
      };

      // Configuration errors need no permit: they fail without calling anything.
      const connector = await deps.ledger.connector(job);
      let plan: HttpRequestPlan | undefined;
      let configurationError = !connector || !connector.enabled ? 'The connector no longer exists or is disabled.' : undefined;
      if (connector && !configurationError) {
        try {
          plan = planRequest(connector.spec, job.operation, job.input, outboundIdempotencyKey(job.jobId));
          // Credentials from the connector's secret ref; a missing secret is a configuration error.
          if (isHttpSpec(connector.spec)) await authorize(plan, connector.spec.auth, (ref) => deps.secrets.resolve(job.tenantId, ref));
        } catch (error) {
          if (!(error instanceof ConfigurationError)) throw error;
          configurationError = error.message;
        }
      }
      if (!connector || !plan || configurationError) {
        await deps.ledger.startAttempt(request);
        return fail({ type: 'ConfigurationError', message: configurationError ?? 'The operation cannot be planned.', retryable: false });
      }

      const permit = await acquirePermit(job, limits, request.waitStreak);
      if (!permit.granted) {
        deps.metrics.permitDenied(job.connectorId, permit.reason);
        await deps.ledger.markWaiting(job, permit.reason, permit.retryAfterMs);
        return { kind: 'waiting', reason: permit.reason, retryAfterMs: permit.retryAfterMs };
      }

      const startedAt = Date.now();
      let outcome: AttemptOutcome | undefined;
      try {
        // The call goes out the moment the permit is granted (limits hold at the downstream); the
        // bookkeeping runs alongside it.
        const [response] = await Promise.all([call(request, plan, permit.token), deps.ledger.startAttempt(request)]);
        if (response instanceof Response) {
          const result = await readResponse(response, deps.maxResponseBytes);
          if (isSuccess(connector.spec, job.operation, response.status)) {
            await deps.ledger.attemptSucceeded(request, result);
            deps.metrics.attempt(job.connectorId, 'succeeded');
            context.log.info('attempt succeeded', { jobId: job.jobId, attempt: request.attempt, httpStatus: response.status });
            outcome = { kind: 'succeeded', httpStatus: response.status };
          } else {
            outcome = await fail(httpError(response.status), parseRetryAfter(response.headers.get('retry-after'), Date.now()));
          }
        } else {
          outcome = await fail(response);
        }
        return outcome;
      } finally {
        // Free the slots and feed the breaker. A 4xx or configuration error says nothing about the
        // connector's health: only retryable failures and slow calls count against it.
        if (permit.token) {
          const slow = limits.circuitBreaker.slowCallMs !== undefined && Date.now() - startedAt > limits.circuitBreaker.slowCallMs;
          const failed = slow || (outcome?.kind === 'failed' && outcome.error.retryable);
          try {
            const transition = await deps.resilience.report(job.connectorId, limits, permit.token, permit.probe, failed);
            await recordTransition(job, transition, { attempt: request.attempt });
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

  /** The HTTP call itself: a Response, or the network/timeout error it ended with. Cancellation propagates. */
  async function call(request: AttemptRequest, plan: HttpRequestPlan, permitToken: string): Promise<Response | JobError> {
    const context = Context.current();
    const { job } = request;
    const timeout = AbortSignal.timeout(request.timeoutMs);
    // Heartbeats carry cancellation in and keep the concurrency lease alive while the call runs.
    const heartbeat = setInterval(() => {
      context.heartbeat();
      if (permitToken) deps.resilience.renew(job.connectorId, permitToken, deps.slotTtlMs).catch(() => undefined);
    }, HEARTBEAT_EVERY_MS);
    try {
      // The SSRF guard checks every address the target resolves to, and every redirect hop.
      return await deps.outbound.send({
        url: plan.url,
        method: plan.method,
        headers: plan.headers,
        body: plan.body,
        signal: AbortSignal.any([timeout, context.cancellationSignal]),
        allowPrivateNetwork: plan.allowPrivateNetwork === true,
        credentialHeaders: plan.credentialHeaders,
      });
    } catch (error) {
      if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason ?? error;
      const forbidden = findForbiddenTarget(error);
      if (forbidden) return { type: 'ForbiddenTarget', message: forbidden.message, retryable: false };
      if (timeout.aborted) {
        return { type: 'AttemptTimeout', message: `No response within the attempt timeout of ${request.timeoutMs} ms.`, retryable: true };
      }
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      return { type: 'NetworkError', message: `The connector could not be reached: ${cause}`, retryable: true };
    } finally {
      clearInterval(heartbeat);
    }
  }
}

