import {
  ActivityFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  sleep,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { JobActivities } from '../activities';
import type { AttemptOutcome, AttemptRequest, ExecuteJobInput, FinishJobRequest, JobError, JobOutcome, LostAttempt } from './job-types';
import { isRetryable, retryDelayMs } from './policy';

/** Slack on top of the attempt timeout for the activity's own bookkeeping (DB writes). */
const ATTEMPT_BOOKKEEPING_MS = 10_000;
/** A worker that dies mid-call is noticed within this time, and the attempt is retried elsewhere. */
const ATTEMPT_HEARTBEAT_MS = 5_000;

const bookkeeping = proxyActivities<JobActivities>({
  startToCloseTimeout: '30s',
  // Finishing a job must survive a database outage: retry until it lands.
  retry: { initialInterval: '1s', maximumInterval: '30s', backoffCoefficient: 2 },
});

/**
 * One job: the attempt loop (SPEC §3). Each attempt is a single-try activity; the workflow owns the
 * retry decision so that later waits (breaker, limiter) need not consume attempts.
 */
export async function executeJob({ job, policy }: ExecuteJobInput): Promise<JobOutcome> {
  const deadline = workflowInfo().startTime.getTime() + policy.timeouts.totalMs;
  let attempt = 0;
  let lostAttempt: LostAttempt | undefined;

  try {
    for (;;) {
      attempt += 1;
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) return await finish('timed_out', attempt - 1, totalTimeoutError(policy.timeouts.totalMs));

      const timeoutMs = Math.min(policy.timeouts.attemptMs, remainingMs);
      const outcome = await runAttempt({ job, attempt, timeoutMs, lostAttempt });
      lostAttempt = undefined;
      if (outcome.ok) return { status: 'succeeded', attempts: attempt };
      if (outcome.lost) lostAttempt = { attempt, error: outcome.error };

      if (!isRetryable(policy.retry, outcome.error)) return await finish('failed', attempt, { ...outcome.error, retryable: false });
      if (attempt >= policy.retry.maxAttempts) return await finish('failed', attempt, outcome.error);

      const delayMs = retryDelayMs(policy.retry, attempt, Math.random(), outcome.retryAfterMs);
      if (Date.now() + delayMs >= deadline) return await finish('timed_out', attempt, totalTimeoutError(policy.timeouts.totalMs));
      await sleep(delayMs);
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Record the cancellation even though this workflow is being cancelled.
    await CancellationScope.nonCancellable(() =>
      finish('cancelled', attempt, { type: 'Cancelled', message: 'The job was cancelled.', retryable: false }),
    );
    throw error;
  }

  async function finish(status: FinishJobRequest['status'], attempts: number, error: JobError): Promise<JobOutcome> {
    await bookkeeping.finishJob({ jobId: job.jobId, tenantId: job.tenantId, status, attempts, error, lostAttempt });
    return { status, attempts, error };
  }
}

async function runAttempt(request: AttemptRequest): Promise<AttemptOutcome & { lost?: true }> {
  const { runAttempt: callConnector } = proxyActivities<JobActivities>({
    startToCloseTimeout: request.timeoutMs + ATTEMPT_BOOKKEEPING_MS,
    heartbeatTimeout: ATTEMPT_HEARTBEAT_MS,
    // Exactly one try per attempt: retries are this workflow's decision.
    retry: { maximumAttempts: 1 },
  });
  try {
    return await callConnector(request);
  } catch (error) {
    if (isCancellation(error) || !(error instanceof ActivityFailure)) throw error;
    // The attempt never reported: its worker died or it overran. Retryable, recorded by the next one.
    const timedOut = error.cause instanceof TimeoutFailure;
    return {
      ok: false,
      lost: true,
      error: {
        type: timedOut ? 'AttemptTimeout' : 'InternalError',
        message: timedOut ? 'The attempt did not report in time (worker lost or attempt timeout).' : 'The attempt failed unexpectedly.',
        retryable: true,
      },
    };
  }
}

function totalTimeoutError(totalMs: number): JobError {
  return { type: 'TotalTimeout', message: `The job did not finish within its total timeout of ${totalMs} ms.`, retryable: false };
}
