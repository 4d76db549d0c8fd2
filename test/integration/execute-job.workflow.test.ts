import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Context } from '@temporalio/activity';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { PERMIT_CHANGED_SIGNAL, type AttemptOutcome, type AttemptRequest, type ExecuteJobInput, type FinishJobRequest, type JobActivities, type JobOutcome } from '../../domain/execution';
import { defaultPolicy, PolicyDocument } from '../../domain/policy';
import { JOB_STATUS } from '../../src/temporal/search-attributes';
import { maybeRecord } from '../support/histories';
import { ROOT } from '../support/paths';
import { temporalCli } from '../support/tools';

/**
 * The attempt loop (workflows/execute-job.workflow.ts) on a real Temporal dev server with stubbed
 * activities, one test per branch — the samples-typescript style. Each job gets a script: what its
 * attempts report, in order; the stubs record every request and every finishJob call.
 */
type Step = AttemptOutcome | 'throw' | 'hang';
interface Script {
  steps: Step[];
  attempts: AttemptRequest[];
  finished: FinishJobRequest[];
}

const scripts = new Map<string, Script>();
const TASK_QUEUE = 'workflow-tests';

const activities: Pick<JobActivities, 'runAttempt' | 'finishJob'> = {
  async runAttempt(request) {
    const script = scripts.get(request.job.jobId)!;
    script.attempts.push(request);
    // Steps are taken in order; the last one repeats.
    const step = script.steps.length > 1 ? script.steps.shift()! : script.steps[0];
    if (step === 'throw') throw new Error('the code around the call crashed');
    if (step === 'hang') {
      // Never heartbeats: Temporal gives up on this try after the heartbeat timeout.
      await delay(6_500);
      Context.current().cancellationSignal.throwIfAborted();
      return { kind: 'succeeded', httpStatus: 200 };
    }
    return step;
  },
  async finishJob(request) {
    scripts.get(request.jobId)!.finished.push(request);
  },
};

function policy(overrides: { retry?: Partial<PolicyDocument['retry']>; timeouts?: Partial<PolicyDocument['timeouts']> } = {}): PolicyDocument {
  const base = defaultPolicy(2, 0.05);
  return {
    ...base,
    retry: { ...base.retry, jitter: 0, initialIntervalMs: 50, maxIntervalMs: 50, ...overrides.retry },
    timeouts: { ...base.timeouts, ...overrides.timeouts },
  };
}

const failed = (httpStatus: number, retryable = httpStatus >= 500 || httpStatus === 408 || httpStatus === 429): AttemptOutcome => ({
  kind: 'failed',
  error: { type: 'HttpError', message: `HTTP ${httpStatus}`, retryable, httpStatus },
});
const waiting = (retryAfterMs: number): AttemptOutcome => ({ kind: 'waiting', reason: 'rate_limited', retryAfterMs });
const succeeded: AttemptOutcome = { kind: 'succeeded', httpStatus: 200 };

describe('executeJob: the attempt loop, branch by branch', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: temporalCli() }, searchAttributes: [JOB_STATUS] },
    });
    const bundle = await bundleWorkflowCode({ workflowsPath: `${ROOT}/workflows/index.ts`, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: bundle, activities });
    running = worker.run();
  }, 120_000);
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  function start(steps: Step[], document: PolicyDocument = policy(), connector?: ExecuteJobInput['connector'], historyEventsLimit?: number) {
    const jobId = randomUUID();
    const script: Script = { steps: [...steps], attempts: [], finished: [] };
    scripts.set(jobId, script);
    const input: ExecuteJobInput = {
      job: { jobId, tenantId: 'tenant-w', connectorId: randomUUID(), operation: 'call', input: {}, policyId: randomUUID(), policyVersion: 1, configVersion: null },
      policy: document,
      connector,
      historyEventsLimit,
    };
    const handle = env.client.workflow.start('executeJob', { args: [input], taskQueue: TASK_QUEUE, workflowId: `job-${jobId}` });
    return { script, handle, result: async () => (await handle).result() as Promise<JobOutcome> };
  }

  /** Resolves once the job's attempts have been asked `count` times. */
  async function attemptsReached(script: Script, count: number) {
    for (let i = 0; i < 200 && script.attempts.length < count; i++) await delay(25);
    expect(script.attempts.length).toBeGreaterThanOrEqual(count);
  }

  test('success on the first attempt: one attempt, nothing else to record', async () => {
    const { script, result } = start([succeeded]);
    expect(await result()).toStrictEqual({ status: 'succeeded', attempts: 1 });
    expect(script.attempts.map((request) => request.attempt)).toStrictEqual([1]);
    expect(script.finished).toStrictEqual([]);
  });

  test('a retryable failure is retried with the next attempt number, then succeeds', async () => {
    const { script, result } = start([failed(503), failed(429), succeeded]);
    expect(await result()).toStrictEqual({ status: 'succeeded', attempts: 3 });
    expect(script.attempts.map((request) => request.attempt)).toStrictEqual([1, 2, 3]);
  });

  test('a non-retryable failure ends the job at once: failed, retryable false', async () => {
    const { script, result } = start([failed(400)]);
    const outcome = await result();
    expect(outcome).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'HttpError', httpStatus: 400, retryable: false } });
    expect(script.attempts).toHaveLength(1);
    expect(script.finished).toMatchObject([{ status: 'failed', attempts: 1, error: { httpStatus: 400, retryable: false } }]);
  });

  test("the policy's nonRetryable list turns a retryable failure into a final one", async () => {
    const { script, result } = start([failed(503)], policy({ retry: { nonRetryable: ['http_503'] } }));
    expect(await result()).toMatchObject({ status: 'failed', attempts: 1, error: { retryable: false } });
    expect(script.attempts).toHaveLength(1);
  });

  test('retryable failures stop at maxAttempts: failed with the last error, still retryable', async () => {
    const { script, result } = start([failed(503)], policy({ retry: { maxAttempts: 3 } }));
    expect(await result()).toMatchObject({ status: 'failed', attempts: 3, error: { httpStatus: 503, retryable: true } });
    expect(script.attempts.map((request) => request.attempt)).toStrictEqual([1, 2, 3]);
    expect(script.finished).toMatchObject([{ status: 'failed', attempts: 3 }]);
  });

  test('waiting uses no attempt: the same attempt number is asked again, with a growing wait streak', async () => {
    const { script, result } = start([waiting(20), waiting(20), succeeded], policy({ retry: { maxAttempts: 1 } }));
    expect(await result()).toStrictEqual({ status: 'succeeded', attempts: 1 });
    expect(script.attempts.map((request) => [request.attempt, request.waitStreak])).toStrictEqual([
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
  });

  test('a permitChanged signal (breaker reset) ends a wait early: the permit is asked again at once', async () => {
    const { script, handle, result } = start([waiting(600_000), succeeded]);
    await attemptsReached(script, 1);
    const signalledAt = Date.now();
    await (await handle).signal(PERMIT_CHANGED_SIGNAL);
    expect(await result()).toStrictEqual({ status: 'succeeded', attempts: 1 });
    expect(Date.now() - signalledAt).toBeLessThan(10_000); // not the 10 minutes the wait asked for
    expect(script.attempts.map((request) => [request.attempt, request.waitStreak])).toStrictEqual([
      [1, 0],
      [1, 1],
    ]);
  });

  test('cancel while waiting: cancelled promptly, recorded with the attempts so far', async () => {
    const { script, handle, result } = start([waiting(60_000)]);
    await attemptsReached(script, 1);
    const startedAt = Date.now();
    await (await handle).cancel();
    const error = await result().catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(script.finished).toMatchObject([{ status: 'cancelled', attempts: 0, error: { type: 'Cancelled', retryable: false } }]);
  });

  test('cancel during the backoff after a failure: cancelled, the failed attempt counted', async () => {
    const { script, handle, result } = start([failed(503), succeeded], policy({ retry: { initialIntervalMs: 60_000, maxIntervalMs: 60_000 } }));
    await attemptsReached(script, 1);
    await delay(200); // the workflow is now on its backoff timer
    await (await handle).cancel();
    expect(await result().catch((failure: unknown) => failure)).toBeInstanceOf(WorkflowFailedError);
    expect(script.attempts).toHaveLength(1);
    expect(script.finished).toMatchObject([{ status: 'cancelled', attempts: 1 }]);
  });

  test('a platform fault before the call (the activity throws) is retried by Temporal as the same attempt: no attempt used', async () => {
    const { script, result } = start(['throw', 'throw', succeeded], policy({ retry: { maxAttempts: 1 } }));
    expect(await result()).toStrictEqual({ status: 'succeeded', attempts: 1 });
    expect(script.attempts.map((request) => request.attempt)).toStrictEqual([1, 1, 1]);
    expect(script.finished).toStrictEqual([]);
  }, 30_000);

  test('a try that stops heartbeating is retried as the same attempt (the activity itself tells a lost call)', async () => {
    const { script, result } = start(['hang', succeeded]);
    expect(await result()).toStrictEqual({ status: 'succeeded', attempts: 1 });
    expect(script.attempts.map((request) => request.attempt)).toStrictEqual([1, 1]);
  }, 60_000);

  test('an attempt the activity reports lost counts, and the next attempt carries it to be recorded', async () => {
    const lost: AttemptOutcome = { kind: 'failed', lost: true, error: { type: 'AttemptTimeout', message: 'did not report', retryable: true } };
    const { script, result } = start([lost, succeeded]);
    expect(await result()).toStrictEqual({ status: 'succeeded', attempts: 2 });
    expect(script.attempts[1]).toMatchObject({ attempt: 2, lostAttempt: { attempt: 1, error: { type: 'AttemptTimeout' } } });
  });

  test('the ledger already holds the outcome: the loop ends with it, nothing else is called or recorded', async () => {
    const { script, result } = start([failed(503), { kind: 'finished', status: 'succeeded', attempts: 1 }]);
    expect(await result()).toStrictEqual({ status: 'succeeded', attempts: 1 });
    expect(script.attempts).toHaveLength(2);
    expect(script.finished).toStrictEqual([]);
  });

  test('the final attempt cut short by the deadline ends timed_out, not failed', async () => {
    const attemptTimeout: AttemptOutcome = { kind: 'failed', error: { type: 'AttemptTimeout', message: 'no response', retryable: true } };
    const { script, result } = start([attemptTimeout], policy({ retry: { maxAttempts: 1 }, timeouts: { attemptMs: 60_000, totalMs: 5_000 } }));
    expect(await result()).toMatchObject({ status: 'timed_out', attempts: 1, error: { type: 'TotalTimeout' } });
    expect(script.attempts[0].timeoutMs).toBeLessThanOrEqual(5_000);
    expect(script.finished).toMatchObject([{ status: 'timed_out', attempts: 1 }]);
  });

  test('the pinned connector definition travels with every attempt', async () => {
    const connector = { name: 'billing', type: 'http', spec: { baseUrl: 'https://billing.example', operations: { call: { method: 'POST' as const, path: '/x' } } } };
    const { script, result } = start([failed(503), succeeded], policy(), connector);
    await result();
    expect(script.attempts.map((request) => request.connector)).toStrictEqual([connector, connector]);
  });

  test('a long wait continues as new: attempts, wait streak and deadline carry over, and the job ends right', async () => {
    const { script, handle, result } = start([failed(503), ...Array<Step>(30).fill(waiting(10)), succeeded], policy({ retry: { maxAttempts: 2 } }), undefined, 50);
    expect(await result()).toStrictEqual({ status: 'succeeded', attempts: 2 });
    const started = await handle;
    const runs = [];
    for await (const workflow of env.client.workflow.list({ query: `WorkflowId = '${started.workflowId}'` })) runs.push(workflow.status.name);
    expect(runs.filter((status) => status === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(2);
    // One attempt before the waits, then the same attempt 2 asked again and again across runs.
    expect(script.attempts.map((request) => request.attempt)).toStrictEqual([1, ...Array(31).fill(2)]);
    expect(script.attempts.map((request) => request.waitStreak)).toStrictEqual([0, ...Array.from({ length: 31 }, (_, i) => i)]);
    const firstRun = await env.client.workflow.getHandle(started.workflowId, started.firstExecutionRunId).fetchHistory();
    expect(firstRun.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    await maybeRecord('execute-job-continued-as-new', firstRun);
  });

  test('the deadline holds across runs: a job waiting past its total timeout ends timed_out on time', async () => {
    const startedAt = Date.now();
    const { result } = start([waiting(100)], policy({ timeouts: { totalMs: 4_000 } }), undefined, 50);
    expect(await result()).toMatchObject({ status: 'timed_out', attempts: 0 });
    expect(Date.now() - startedAt).toBeLessThan(8_000);
  });

  test('the total timeout bounds waits: timed_out with TotalTimeout, no attempt used', async () => {
    const { script, result } = start([waiting(200)], policy({ timeouts: { totalMs: 1_500 } }));
    const outcome = await result();
    expect(outcome).toMatchObject({ status: 'timed_out', attempts: 0, error: { type: 'TotalTimeout', retryable: false } });
    expect(script.attempts.length).toBeGreaterThan(1);
    expect(script.finished).toMatchObject([{ status: 'timed_out', attempts: 0 }]);
  });

  test('a backoff that would pass the deadline ends the job timed_out instead of sleeping', async () => {
    const { script, result } = start([failed(503)], policy({ retry: { initialIntervalMs: 30_000, maxIntervalMs: 30_000 }, timeouts: { totalMs: 5_000 } }));
    const startedAt = Date.now();
    expect(await result()).toMatchObject({ status: 'timed_out', attempts: 1, error: { type: 'TotalTimeout' } });
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(script.attempts).toHaveLength(1);
  });

  test('each attempt is given at most the time left before the deadline', async () => {
    const { script, result } = start([failed(503), succeeded], policy({ timeouts: { attemptMs: 60_000, totalMs: 10_000 } }));
    await result();
    for (const request of script.attempts) expect(request.timeoutMs).toBeLessThanOrEqual(10_000);
  });
});
