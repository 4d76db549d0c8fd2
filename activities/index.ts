import { Context } from '@temporalio/activity';
import type { AttemptOutcome, AttemptRequest, FinishJobRequest, JobError } from '../workflows/job-types';
import { ConfigurationError, httpError, isSuccess, parseRetryAfter, planRequest, readResponse } from './http-request';
import type { ActivityDependencies } from './ports';

const HEARTBEAT_EVERY_MS = 1_000;

/** The key the downstream deduplicates on: the same for every retry of the same step of a job. */
export function outboundIdempotencyKey(jobId: string, step = 1): string {
  return `${jobId}:${step}`;
}

/** Builds the activities from injected dependencies; the worker registers the returned object. */
export function createActivities(deps: ActivityDependencies) {
  return {
    /** One attempt: exactly one call to the connector, recorded in the ledger. Never throws for expected failures. */
    async runAttempt(request: AttemptRequest): Promise<AttemptOutcome> {
      const context = Context.current();
      const { job } = request;
      const connector = await deps.ledger.startAttempt(request);
      const fail = async (error: JobError, retryAfterMs?: number): Promise<AttemptOutcome> => {
        await deps.ledger.attemptFailed(request, error);
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
      const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
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
    },

    /** Records a terminal failure, timeout or cancellation decided by the workflow. Idempotent. */
    async finishJob(request: FinishJobRequest): Promise<void> {
      await deps.ledger.finishJob(request);
    },
  };
}

export type JobActivities = ReturnType<typeof createActivities>;
