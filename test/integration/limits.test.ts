import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { worstWindow } from '../support/arrivals';
import { Downstream, json } from '../support/downstream';
import { fetchHistory, maybeRecord, replay } from '../support/histories';
import { http, TestPlatform } from '../support/platform';
import { freePort } from '../support/processes';

const FAST_RETRY = { maxAttempts: 3, initialIntervalMs: 100, backoffCoefficient: 1, maxIntervalMs: 100, jitter: 0, nonRetryable: [], respectRetryAfter: true };

describe('fleet-wide limits, Retry-After and policy pinning', () => {
  const downstream = new Downstream();
  const platform = new TestPlatform();

  beforeAll(async () => {
    await downstream.start();
    await platform.start({ workers: 2 });
  });
  afterAll(async () => {
    await platform.stop();
    await downstream.stop();
  });

  test('permitsPerSecond 5 (burst 1) with 40 jobs queued: never more than burst + 1 + 5 × T calls in any window of T', async () => {
    downstream.on('/rate', (_call, response) => json(response, 200, {}));
    const policy = await platform.createPolicy({ rateLimit: { permitsPerSecond: 5, burst: 1 } });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/rate' } }, { policyId: policy.id });
    const jobs = await Promise.all(Array.from({ length: 40 }, (_, i) => platform.execute({ connector: connector.name, operation: 'call', input: { i } })));
    for (const job of jobs) expect((await platform.waitForJob(job.body.id, 120_000)).status).toBe('succeeded');
    const times = downstream.callsTo('/rate').map((call) => call.at);
    expect(times.length).toBe(40);
    // A call reaches the downstream later than its permit, by a delay that varies from call to
    // call. At 5/s (200 ms apart) that delay was up to ~0.8 s on a loaded 2-core CI machine, so
    // this end-to-end check allows 1.5 s; the exact bound is gcra.test.ts's. Open question: why the
    // delay reaches that far (see the closing note of 2026-12-03).
    expect(worstWindow(times, { rate: 5, burst: 1 }, 1_500).excess).toBeLessThanOrEqual(0);
    const waited = await platform.events('type=job.waiting');
    expect(waited.some((event) => event.data.reason === 'rate_limited')).toBeTruthy();
  });

  test('429 with Retry-After: 2 → the next attempt comes no sooner than 2 s later', async () => {
    downstream.on('/busy', (_call, response, index) => (index === 0 ? json(response, 429, {}, { 'retry-after': '2' }) : json(response, 200, {})));
    const policy = await platform.createPolicy({ retry: FAST_RETRY });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'GET', path: '/busy' } }, { policyId: policy.id });
    const job = await platform.waitForJob((await platform.execute({ connector: connector.name, operation: 'call' })).body.id);
    expect(job.status).toBe('succeeded');
    const [first, second] = downstream.callsTo('/busy');
    expect(second.at - first.at).toBeGreaterThanOrEqual(2000);
  });

  test('a new policy version affects only jobs started after it', async () => {
    downstream.on('/pinned', (_call, response, index) => (index < 2 ? json(response, 500, {}) : json(response, 200, {})));
    downstream.on('/later', (_call, response) => json(response, 500, {}));
    const policy = await platform.createPolicy({ retry: { ...FAST_RETRY, initialIntervalMs: 1000, maxIntervalMs: 1000 } });
    const connector = await platform.createConnector(
      downstream.url,
      { early: { method: 'GET', path: '/pinned' }, late: { method: 'GET', path: '/later' } },
      { policyId: policy.id },
    );
    const early = await platform.execute({ connector: connector.name, operation: 'early' });
    while (downstream.callsTo('/pinned').length === 0) await delay(20);
    const v2 = await http('POST', `${platform.control}/policies/${policy.id}/versions`, { json: { retry: { ...FAST_RETRY, maxAttempts: 1 } } });
    expect(v2.status).toBe(201);
    expect(v2.body.latestVersion).toBe(2);
    const late = await platform.execute({ connector: connector.name, operation: 'late' });

    const [earlyJob, lateJob] = [await platform.waitForJob(early.body.id), await platform.waitForJob(late.body.id)];
    expect([earlyJob.policy.version, earlyJob.status, earlyJob.attempts]).toStrictEqual([1, 'succeeded', 3]);
    expect([lateJob.policy.version, lateJob.status, lateJob.attempts]).toStrictEqual([2, 'failed', 1]);
  });

  test('a backlog of 20 jobs behind 4 calls/s (issue 14): calls go out in submission order, and no job asks for a permit more than twice', async () => {
    downstream.on('/fifo', (_call, response) => json(response, 200, {}));
    const policy = await platform.createPolicy({ rateLimit: { permitsPerSecond: 4, burst: 0 } });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/fifo' } }, { policyId: policy.id });
    // One at a time and 100 ms apart (2.5× the rate, so a backlog builds): the submission order is
    // known exactly, and stays well apart from the jitter of a workflow's first attempt.
    const submitted: string[] = [];
    for (let i = 0; i < 20; i++) {
      submitted.push((await platform.execute({ connector: connector.name, operation: 'call', input: { i } })).body.id);
      await delay(100);
    }
    for (const id of submitted) expect((await platform.waitForJob(id, 60_000)).status).toBe('succeeded');

    const served = downstream.callsTo('/fifo').map((call) => String(call.headers['idempotency-key']).split(':')[0]);
    expect([...served].sort()).toStrictEqual([...submitted].sort());
    // Each job's first attempt asks a moment after its workflow starts; that moment varies from job
    // to job, so neighbours may swap. Polling waiters were served in no particular order.
    const distances = served.map((id, rank) => Math.abs(rank - submitted.indexOf(id)));
    expect(Math.max(...distances)).toBeLessThanOrEqual(2);

    // A waiter is told the exact time of its reserved slot: one denied attempt activity, then the call.
    for (const id of submitted) {
      const history = await fetchHistory(`job-${id}`);
      const activities = (history.events ?? []).filter((event) => event.activityTaskScheduledEventAttributes).length;
      expect(activities).toBeLessThanOrEqual(2);
    }
  });

  test('a backlog of 12 jobs behind maxInFlight 1 (issue 14): woken in submission order, one wait each, the woken history replays', async () => {
    // The first call is held until every job has been submitted, so the queue holds all of them
    // however slowly a loaded machine starts workflows (a paced race against 150 ms calls was not
    // enough: in CI no queue built and nobody was woken).
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    downstream.on('/one-at-a-time', async (_call, response) => {
      await gate;
      await delay(150);
      json(response, 200, {});
    });
    const policy = await platform.createPolicy({ concurrency: { maxInFlight: 1 } });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/one-at-a-time' } }, { policyId: policy.id });
    // 100 ms apart: the submission order is known exactly.
    const submitted: string[] = [];
    for (let i = 0; i < 12; i++) {
      submitted.push((await platform.execute({ connector: connector.name, operation: 'call', input: { i } })).body.id);
      await delay(100);
    }
    // Every job but the one held at the gate is waiting before the gate opens.
    for (let tries = 0; ; tries++) {
      const statuses = await Promise.all(submitted.map(async (id) => (await http('GET', `${platform.exec}/jobs/${id}`)).body.status));
      if (statuses.filter((status) => status === 'waiting').length === submitted.length - 1 || tries === 100) break;
      await delay(200);
    }
    open();
    for (const id of submitted) expect((await platform.waitForJob(id, 60_000)).status).toBe('succeeded');

    const served = downstream.callsTo('/one-at-a-time').map((call) => String(call.headers['idempotency-key']).split(':')[0]);
    expect([...served].sort()).toStrictEqual([...submitted].sort());
    const distances = served.map((id, rank) => Math.abs(rank - submitted.indexOf(id)));
    expect(Math.max(...distances)).toBeLessThanOrEqual(2);

    // A queued job waits on its safety timer (minutes) and is signalled when its turn comes: it
    // drains at the downstream's pace, with one denied attempt activity, not one per poll.
    const histories = await Promise.all(submitted.map((id) => fetchHistory(`job-${id}`)));
    const activities = histories.map((history) => (history.events ?? []).filter((event) => event.activityTaskScheduledEventAttributes).length);
    expect(Math.max(...activities)).toBeLessThanOrEqual(2);
    const woken = histories.findIndex((history) => (history.events ?? []).some((event) => event.workflowExecutionSignaledEventAttributes));
    expect(woken).toBeGreaterThanOrEqual(0);
    await replay(`job-${submitted[woken]}`, histories[woken]);
    await maybeRecord('execute-job-woken-from-queue', histories[woken]);
  });

  describe('when Redis is unreachable from the worker', () => {
    let deadRedis = '';
    beforeAll(async () => {
      deadRedis = `redis://127.0.0.1:${await freePort()}`;
      for (const worker of platform.workers) await worker.stop('SIGKILL');
      await platform.startWorker({ REDIS_URL: deadRedis });
    });

    test('fail_open policies call without limits; fail_closed policies wait and make no call', async () => {
      downstream.on('/open', (_call, response) => json(response, 200, {}));
      downstream.on('/closed', (_call, response) => json(response, 200, {}));
      const failOpen = await platform.createPolicy({ onRedisUnavailable: 'fail_open' });
      const failClosed = await platform.createPolicy({ onRedisUnavailable: 'fail_closed', timeouts: { attemptMs: 1000, totalMs: 4000 } });
      const open = await platform.createConnector(downstream.url, { call: { method: 'GET', path: '/open' } }, { policyId: failOpen.id });
      const closed = await platform.createConnector(downstream.url, { call: { method: 'GET', path: '/closed' } }, { policyId: failClosed.id });

      const openJob = await platform.execute({ connector: open.name, operation: 'call' });
      const closedJob = await platform.execute({ connector: closed.name, operation: 'call' });
      expect((await platform.waitForJob(openJob.body.id)).status).toBe('succeeded');
      await delay(1500);
      const waiting = await http('GET', `${platform.exec}/jobs/${closedJob.body.id}`);
      expect([waiting.body.status, waiting.body.waitReason]).toStrictEqual(['waiting', 'limiter_unavailable']);
      const final = await platform.waitForJob(closedJob.body.id);
      expect(final.status).toBe('timed_out');
      expect(final.attempts).toBe(0);
      expect(downstream.callsTo('/closed').length).toBe(0);
      const history = await fetchHistory(final.workflowId);
      await replay(final.workflowId, history);
      await maybeRecord('execute-job-timed-out', history);
    });
  });
});
