import {
  ActivityCancellationType,
  ActivityFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineSignal,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { PERMIT_CHANGED_SIGNAL } from '../domain/execution';
import type { AttemptOutcome, AttemptRequest, ExecuteJobInput, FinishJobRequest, JobActivities, JobOutcome, LostAttempt } from '../domain/execution';
import type { JobError, JobStatus } from '../domain/job';
import { isRetryable, retryDelayMs } from '../domain/policy';

/**
 * Slack on top of the attempt timeout for the activity's own bookkeeping (DB and Redis writes,
 * retried while heartbeating, so a storage blip does not turn a finished call into a lost one).
 */
const ATTEMPT_BOOKKEEPING_MS = 60_000;
/** A worker that dies mid-call is noticed within this time, and the attempt is retried elsewhere. */
const ATTEMPT_HEARTBEAT_MS = 5_000;

/** Continue as new after this many history events even if Temporal does not suggest it yet (inputs may lower it). */
const HISTORY_EVENTS_LIMIT = 2_000;
/** Patch: `permitChanged` is cleared before each attempt rather than before each wait. */
const WAKE_UP_KEPT = 'wake-up-kept-during-attempt';
/** The job's status as a search attribute (domain/search-attributes.json), so operators filter by it in Web UI. */
const JOB_STATUS = { name: 'JobStatus', type: 'KEYWORD' } as const;

const bookkeeping = proxyActivities<JobActivities>({
  startToCloseTimeout: '30s',
  // Finishing a job must survive a database outage: retry until it lands.
  retry: { initialInterval: '1s', maximumInterval: '30s', backoffCoefficient: 2 },
});

/**
 * One job: the attempt loop (SPEC §3). Each attempt is an activity that first takes a permit
 * (breaker, rate limit, concurrency lease — the connector's live limits) right before calling;
 * without one it reports `waiting` and the workflow sleeps on a durable timer without using an
 * attempt. The workflow owns every retry decision; Temporal retries the activity only for
 * platform faults before its call (see activities/index.ts).
 */
export async function executeJob(input: ExecuteJobInput): Promise<JobOutcome> {
  const { job, policy, connector, resume } = input;
  const deadline = resume?.deadline ?? workflowInfo().startTime.getTime() + policy.timeouts.totalMs;
  let attempt = resume?.attempt ?? 0;
  let waitStreak = resume?.waitStreak ?? 0;
  let lostAttempt: LostAttempt | undefined = resume?.lostAttempt;
  let permitChanged = false;
  setHandler(defineSignal(PERMIT_CHANGED_SIGNAL), () => void (permitChanged = true));
  const historyLimit = Math.min(input.historyEventsLimit ?? HISTORY_EVENTS_LIMIT, HISTORY_EVENTS_LIMIT);

  /** Upserts JobStatus when it changes (one history event per change, not per wait). */
  function show(status: JobStatus) {
    // The value shown now is the workflow's own search attribute (carried into a continued run).
    if (status === workflowInfo().typedSearchAttributes.get(JOB_STATUS) || !patched('job-status-search-attribute')) return;
    upsertSearchAttributes([{ key: JOB_STATUS, value: status }]);
  }

  /** History stays bounded however long the job waits: a new run carries on with the same state. */
  async function continueIfLong(): Promise<void> {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < historyLimit) return;
    await continueAsNew<typeof executeJob>({ ...input, resume: { deadline, attempt, waitStreak, lostAttempt } });
  }

  try {
    for (;;) {
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) return await finish('timed_out', attempt, totalTimeoutError(policy.timeouts.totalMs));

      const timeoutMs = Math.min(policy.timeouts.attemptMs, remainingMs);
      // A wake-up (the job's turn in the connector's queue) may come while the attempt that queued
      // it is still reporting, even in the same activation as its result: kept, not lost.
      if (patched(WAKE_UP_KEPT)) permitChanged = false;
      const outcome = await runAttempt({ job, attempt: attempt + 1, timeoutMs, connector, waitStreak, lostAttempt }, deadline);
      if (outcome.kind === 'finished') {
        show(outcome.status);
        return { status: outcome.status, attempts: outcome.attempts };
      }
      if (outcome.kind === 'waiting') {
        show('waiting');
        waitStreak += 1;
        // A durable timer (the safety net when queued); the signal of the job's turn ends it early.
        if (!patched(WAKE_UP_KEPT)) permitChanged = false;
        await condition(() => permitChanged, Math.max(1, Math.min(outcome.retryAfterMs, remainingMs)));
        await continueIfLong();
        continue;
      }
      waitStreak = 0;
      attempt += 1;
      lostAttempt = undefined;
      if (outcome.kind === 'succeeded') {
        show('succeeded');
        return { status: 'succeeded', attempts: attempt };
      }
      show('running');
      if (outcome.lost) lostAttempt = { attempt, error: outcome.error };

      // The deadline, not the attempt timeout, cut this attempt short: the job timed out (SPEC §3.7).
      const cutByDeadline = outcome.error.type === 'AttemptTimeout' && (timeoutMs < policy.timeouts.attemptMs || Date.now() >= deadline);
      if (cutByDeadline && patched('deadline-cut-attempt-is-timed-out')) {
        return await finish('timed_out', attempt, totalTimeoutError(policy.timeouts.totalMs));
      }
      if (!isRetryable(policy.retry, outcome.error)) return await finish('failed', attempt, { ...outcome.error, retryable: false });
      if (attempt >= policy.retry.maxAttempts) return await finish('failed', attempt, outcome.error);

      const delayMs = retryDelayMs(policy.retry, attempt, Math.random(), outcome.retryAfterMs);
      if (Date.now() + delayMs >= deadline) return await finish('timed_out', attempt, totalTimeoutError(policy.timeouts.totalMs));
      await sleep(delayMs);
      await continueIfLong();
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
    show(status);
    return { status, attempts, error };
  }
}

async function runAttempt(request: AttemptRequest, deadline: number): Promise<AttemptOutcome> {
  const { runAttempt: callConnector } = proxyActivities<JobActivities>({
    startToCloseTimeout: request.timeoutMs + ATTEMPT_BOOKKEEPING_MS,
    heartbeatTimeout: ATTEMPT_HEARTBEAT_MS,
    // Tries past the first retry platform faults only: a try that got as far as the call never
    // calls again (the ledger knows), so retries of attempts stay this workflow's decision.
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
    scheduleToCloseTimeout: Math.max(1, deadline - Date.now()) + ATTEMPT_BOOKKEEPING_MS,
    // On cancel, wait until the attempt has aborted its call: `cancelled` then means nothing is in flight.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  try {
    return await callConnector(request);
  } catch (error) {
    if (isCancellation(error) || !(error instanceof ActivityFailure)) throw error;
    // The attempt never reported: its tries ran out of time (platform faults past the deadline, a
    // worker lost) or failed in a way no try recovers from. Retryable, recorded by the next one.
    const timedOut = error.cause instanceof TimeoutFailure;
    return {
      kind: 'failed',
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
