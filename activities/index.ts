import { Context } from '@temporalio/activity';
import { randomUUID } from 'node:crypto';
import { type ConnectorDefinition, isHttpSpec } from '../domain/connector-spec';
import type { AttemptOutcome, AttemptRequest, FinishJobRequest, JobActivities, Permit, PermitDecision } from '../domain/execution';
import { ConfigurationError, type JobError, type JobSpec, type WaitReason } from '../domain/job';
import type { ResilienceLimits } from '../domain/policy';
import { httpError, type HttpRequestPlan, type HttpResult, isSuccess, parseRetryAfter, planRequest, readResponse } from './http-request';
import type { AcquireResult, ActivityDependencies, AttemptStart, BreakerTransition, CallVerdict } from './ports';
import { authorize } from './secrets';
import { findForbiddenTarget } from './ssrf';

const HEARTBEAT_EVERY_MS = 1_000;
/**
 * A job queued for a lease or probe is woken (signalled) when its turn comes; this timer is only
 * the safety net for a lost wake-up (a worker that died between freeing a slot and signalling).
 * Long, so that waiting costs no polling: a backlog of any size drains with one wait per job.
 */
const QUEUED_SLEEP_MS = 5 * 60_000;
/**
 * The last stretch before a reserved rate slot is waited out inside the attempt (heartbeating), not
 * on a durable timer: a wait this short costs no second activity, and a long one wakes this much
 * early, so the wake-up's own latency (timer, workflow task, activity task) does not make the job
 * miss its slot.
 */
const SLOT_LEAD_MS = 2_000;
/**
 * A queued job at the head of its connector's queue waits inside its attempt, asking at this pace,
 * so that a freed slot is taken within a few ms instead of a wake-up's latency (signal, workflow
 * task, activity task — about 150 ms, most of a short call). At most HEAD_WAIT_MS: then it sleeps
 * and is woken as any waiter (a long call should not pin an activity slot).
 */
const HEAD_POLL_MS = 20;
const HEAD_WAIT_MS = 15_000;
/** How long a fail-closed job waits before asking an unreachable Redis again. */
const REDIS_RETRY_MS = 1_000;
/** A write of an outcome we already have is retried (while heartbeating) at this pace, so a Postgres blip costs no attempt. */
const STORAGE_RETRY_MIN_MS = 250;
const STORAGE_RETRY_MAX_MS = 2_000;
/** A breaker transition event is worth a few seconds of retries, not the permit. */
const TRANSITION_RECORD_TRIES = 5;
/**
 * How long a try holding its permit keeps asking the ledger to start the attempt through a storage
 * fault. Within the try it may ask again safely (its claim token tells its own committed claim from
 * another try's); a later try could not tell a lost acknowledgement from a call that went out.
 */
const START_RETRY_MS = 20_000;

const TRANSITION_EVENTS = { opened: 'breaker.opened', half_opened: 'breaker.half_opened', closed: 'breaker.closed' } as const;

/** The key the downstream deduplicates on: the same for every retry of the same step of a job. */
export function outboundIdempotencyKey(jobId: string, step = 1): string {
  return `${jobId}:${step}`;
}

/**
 * Builds the activities from injected dependencies; the worker registers the returned object.
 *
 * `runAttempt` is retried by Temporal only for faults of the platform's own (a Postgres or Redis
 * error before the call, a worker lost before it): such a try made no call, so it costs the job no
 * attempt. Once the ledger has recorded `attempt.started`, a later try of the same attempt never
 * calls again — it reports the attempt as lost.
 */
export function createActivities(deps: ActivityDependencies): JobActivities {
  async function recordTransition(job: JobSpec, transition: BreakerTransition | undefined, cause: Record<string, unknown>) {
    if (!transition) return;
    deps.metrics.breakerTransition(job.connectorId, transition);
    try {
      await untilStored(
        'breaker transition',
        () => deps.ledger.recordConnectorEvent(job.tenantId, job.connectorId, TRANSITION_EVENTS[transition], { jobId: job.jobId, ...cause }),
        { tries: TRANSITION_RECORD_TRIES },
      );
    } catch (error) {
      Context.current().log.warn('breaker transition event not recorded', { jobId: job.jobId, transition, error: String(error) });
    }
  }

  /**
   * A permit from the shared breaker/limiter/leases, or how long to wait. Only a Redis error here
   * follows the policy's `onRedisUnavailable`; recording a transition is storage, not the limiter.
   */
  async function acquirePermit(job: JobSpec, limits: ResilienceLimits, canWaitInside = true): Promise<PermitDecision> {
    let acquired: AcquireResult;
    try {
      const insidePollMs = canWaitInside ? HEAD_POLL_MS : 0;
      acquired = await deps.resilience.acquire(job.connectorId, limits, randomUUID(), deps.slotTtlMs, QUEUED_SLEEP_MS, job, insidePollMs);
    } catch (error) {
      Context.current().log.warn('breaker/limiter state unavailable', { jobId: job.jobId, mode: limits.onRedisUnavailable, error: String(error) });
      if (limits.onRedisUnavailable === 'fail_open') return { granted: true, token: '', probe: false };
      return { granted: false, reason: 'limiter_unavailable', retryAfterMs: REDIS_RETRY_MS };
    }
    // Not awaited: the call goes right after the permit; a wake-up is best effort (see WaiterWakeUps).
    void deps.wakeUps.wake(acquired.woken);
    await recordTransition(job, acquired.transition, {});
    // A rate-limited wait ends exactly at the job's reserved slot: no jitter, no second wait.
    return acquired.decision;
  }

  /** Frees a permit's slots and tells the breaker what the call said — once per permit. */
  async function release(job: JobSpec, limits: ResilienceLimits, permit: Permit, verdict: CallVerdict, attempt: number) {
    if (!permit.token) return;
    try {
      const { transition, woken } = await deps.resilience.report(job.connectorId, limits, permit.token, permit.probe, verdict);
      await deps.wakeUps.wake(woken);
      await recordTransition(job, transition, { attempt });
    } catch (error) {
      // The slots expire on their own; the breaker misses one sample.
      Context.current().log.warn('could not report the attempt to the breaker', { jobId: job.jobId, error: String(error) });
    }
  }

  return {
    async runAttempt(request: AttemptRequest): Promise<AttemptOutcome> {
      const context = Context.current();
      const { job } = request;
      // This try's name on the attempt it starts (see JobLedger.startAttempt).
      const claim = randomUUID();
      const startAttempt = () => untilStored('attempt start', () => deps.ledger.startAttempt(request, claim), { forMs: START_RETRY_MS });
      let held: Permit | undefined;
      // Heartbeats cover the whole attempt (permit, ledger, call, body, outcome): they carry
      // cancellation in, tell Temporal this worker is alive, and keep a held lease or probe slot.
      const heartbeat = setInterval(() => {
        context.heartbeat();
        if (held?.token) deps.resilience.renew(job.connectorId, held.token, deps.slotTtlMs).catch(() => undefined);
      }, HEARTBEAT_EVERY_MS);
      try {
        const prepared = await prepare(request);
        if ('configurationError' in prepared) {
          const start = await startAttempt();
          if (start.kind !== 'started') return alreadyDone(start, request);
          await untilStored('attempt started', () => deps.ledger.recordAttemptStarted(request, start.recovered));
          return await failed(request, { type: 'ConfigurationError', message: prepared.configurationError, retryable: false });
        }
        const limits = await deps.limits.forJob(job);

        let permit = await acquirePermit(job, limits);
        // Waited out here, then taken: a reserved rate slot due soon (ACQUIRE keeps it for this job
        // alone; asked again at once when a late call before it still holds it back a few ms, so
        // that the slots after it do not overtake it), or a turn at the head of the queue.
        const headUntil = Date.now() + HEAD_WAIT_MS;
        // One denial and one waiting mark per reason this attempt waits for.
        let noted: WaitReason | undefined;
        const noteWait = async (denied: { reason: WaitReason; retryAfterMs: number }) => {
          if (noted === denied.reason) return;
          deps.metrics.permitDenied(job.connectorId, denied.reason);
          await deps.ledger.markWaiting(job, denied.reason, denied.retryAfterMs);
          noted = denied.reason;
        };
        while (!permit.granted && ((permit.reason === 'rate_limited' && permit.retryAfterMs <= SLOT_LEAD_MS) || permit.waitInside)) {
          await noteWait(permit);
          await context.sleep(permit.retryAfterMs);
          // Past HEAD_WAIT_MS the head asks once more without waiting inside: it sleeps, to be woken.
          permit = await acquirePermit(job, limits, Date.now() < headUntil);
        }
        if (!permit.granted) {
          await noteWait(permit);
          // A rate wait wakes SLOT_LEAD_MS before its slot and waits out the rest in the next attempt.
          const retryAfterMs = permit.reason === 'rate_limited' ? Math.max(1, permit.retryAfterMs - SLOT_LEAD_MS) : permit.retryAfterMs;
          return { kind: 'waiting', reason: permit.reason, retryAfterMs };
        }
        held = permit;

        // Check the ledger before calling: never a second call for an outcome we already have, nor
        // for an attempt that went out before. A write of the job's own row only, so the call still
        // leaves right after the permit (limits hold at the downstream); the attempt's events,
        // which queue on the tenant's event counter, are recorded alongside the call. The permit
        // stays held (heartbeats renew it) while a storage fault is retried.
        let start: AttemptStart;
        try {
          start = await startAttempt();
        } catch (error) {
          await release(job, limits, permit, 'none', request.attempt);
          throw error;
        }
        if (start.kind !== 'started') {
          await release(job, limits, permit, 'none', request.attempt);
          return alreadyDone(start, request);
        }
        const { recovered } = start;
        const recorded = untilStored('attempt started', () => deps.ledger.recordAttemptStarted(request, recovered));
        recorded.catch(() => undefined); // awaited below; a cancelled call must not leave it unhandled
        let verdict: CallVerdict = 'none';
        let answer: CallAnswer;
        const startedAt = Date.now();
        try {
          answer = await call(request, prepared.plan, prepared.definition);
          const slowCallMs = limits.circuitBreaker.slowCallMs;
          const slow = slowCallMs !== undefined && slowCallMs !== null && Date.now() - startedAt > slowCallMs;
          // Only retryable failures and slow calls count against the connector: a 4xx says nothing about its health.
          verdict = slow || (answer.kind === 'failed' && answer.error.retryable) ? 'failure' : 'success';
        } finally {
          held = undefined;
          await release(job, limits, permit, verdict, request.attempt);
        }

        await recorded;
        if (answer.kind === 'succeeded') {
          await untilStored('attempt succeeded', () => deps.ledger.attemptSucceeded(request, answer.result));
          deps.metrics.attempt(job.connectorId, 'succeeded');
          context.log.info('attempt succeeded', { jobId: job.jobId, attempt: request.attempt, httpStatus: answer.result.status });
          return { kind: 'succeeded', httpStatus: answer.result.status };
        }
        return await failed(request, answer.error, answer.retryAfterMs);
      } finally {
        clearInterval(heartbeat);
      }
    },

    /**
     * Records a terminal failure, timeout or cancellation decided by the workflow, and takes the job
     * out of its connector's queue of waiters (a turn it held goes to the next). Idempotent.
     */
    async finishJob(request: FinishJobRequest): Promise<void> {
      const connectorId = await deps.ledger.finishJob(request);
      if (!connectorId) return;
      try {
        const limits = await deps.limits.forJob({ tenantId: request.tenantId, connectorId });
        await deps.wakeUps.wake(await deps.resilience.leave(connectorId, limits, request.jobId));
      } catch (error) {
        // Its place lapses when its turn comes and is not taken; the next waiter is served then.
        Context.current().log.warn('could not take the job out of the queue of waiters', { jobId: request.jobId, error: String(error) });
      }
    },
  };

  async function failed(request: AttemptRequest, error: JobError, retryAfterMs?: number): Promise<AttemptOutcome> {
    await untilStored('attempt failed', () => deps.ledger.attemptFailed(request, error));
    deps.metrics.attempt(request.job.connectorId, 'failed', error.type);
    Context.current().log.info('attempt failed', { jobId: request.job.jobId, attempt: request.attempt, errorType: error.type, httpStatus: error.httpStatus });
    return { kind: 'failed', error, retryAfterMs };
  }

  /** The definition (pinned, or live for older jobs), the planned request and its credentials; or why there can be none. */
  async function prepare(request: AttemptRequest): Promise<{ definition: ConnectorDefinition; plan: HttpRequestPlan } | { configurationError: string }> {
    const { job } = request;
    const definition = request.connector ?? (await liveDefinition(job));
    if (!definition) return { configurationError: 'The connector no longer exists or is disabled.' };
    try {
      const plan = planRequest(definition.spec, job.operation, job.input, outboundIdempotencyKey(job.jobId));
      // Credentials from the connector's secret ref; a missing secret is a configuration error.
      if (isHttpSpec(definition.spec)) await authorize(plan, definition.spec.auth, (ref) => deps.secrets.resolve(job.tenantId, ref));
      return { definition, plan };
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      return { configurationError: error.message };
    }
  }

  async function liveDefinition(job: JobSpec): Promise<ConnectorDefinition | undefined> {
    const connector = await deps.ledger.connector(job);
    return connector && connector.enabled ? connector : undefined;
  }

  /**
   * Writes what we already know, retrying storage faults (while the heartbeat runs) until it lands,
   * the attempt is cancelled, or the budget (`tries`, `forMs`) runs out.
   */
  async function untilStored<T>(what: string, write: () => Promise<T>, budget: { tries?: number; forMs?: number } = {}): Promise<T> {
    const context = Context.current();
    const { tries = Infinity, forMs = Infinity } = budget;
    const until = Date.now() + forMs;
    for (let tried = 1, waitMs = STORAGE_RETRY_MIN_MS; ; tried++, waitMs = Math.min(waitMs * 2, STORAGE_RETRY_MAX_MS)) {
      try {
        return await write();
      } catch (error) {
        if (context.cancellationSignal.aborted || tried >= tries || Date.now() + waitMs > until) throw error;
        context.log.warn('ledger write failed; retrying', { what, error: String(error) });
        await context.sleep(waitMs);
      }
    }
  }

  /**
   * The HTTP call and its body, under one attempt timeout: the answer, or the network/timeout error
   * it ended with. Cancellation propagates.
   */
  async function call(request: AttemptRequest, plan: HttpRequestPlan, definition: ConnectorDefinition): Promise<CallAnswer> {
    const context = Context.current();
    const timeout = AbortSignal.timeout(request.timeoutMs);
    try {
      // The SSRF guard checks every address the target resolves to, and every redirect hop.
      const response = await deps.outbound.send({
        url: plan.url,
        method: plan.method,
        headers: plan.headers,
        body: plan.body,
        signal: AbortSignal.any([timeout, context.cancellationSignal]),
        allowPrivateNetwork: plan.allowPrivateNetwork === true,
        credentialHeaders: plan.credentialHeaders,
      });
      const result = await readResponse(response, deps.maxResponseBytes);
      if (isSuccess(definition.spec, request.job.operation, response.status)) return { kind: 'succeeded', result };
      return { kind: 'failed', error: httpError(response.status), retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now()) };
    } catch (error) {
      if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason ?? error;
      const forbidden = findForbiddenTarget(error);
      if (forbidden) return { kind: 'failed', error: { type: 'ForbiddenTarget', message: forbidden.message, retryable: false } };
      if (timeout.aborted) {
        return { kind: 'failed', error: { type: 'AttemptTimeout', message: `No complete response within the attempt timeout of ${request.timeoutMs} ms.`, retryable: true } };
      }
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      return { kind: 'failed', error: { type: 'NetworkError', message: `The connector could not be reached: ${cause}`, retryable: true } };
    }
  }
}

/** What the downstream said to one call, classified. */
type CallAnswer = { kind: 'succeeded'; result: HttpResult } | { kind: 'failed'; error: JobError; retryAfterMs?: number };

/** The attempt needs no call: the job has ended, or this attempt already went out once and never reported. */
function alreadyDone(start: Exclude<AttemptStart, { kind: 'started' }>, request: AttemptRequest): AttemptOutcome {
  if (start.kind === 'finished') return { kind: 'finished', status: start.status, attempts: start.attempts };
  return {
    kind: 'failed',
    lost: true,
    error: { type: 'AttemptTimeout', message: `Attempt ${request.attempt} did not report (worker lost or attempt timeout).`, retryable: true },
  };
}
