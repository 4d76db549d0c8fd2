import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { worstWindow } from '../support/arrivals';
import { Downstream, json } from '../support/downstream';
import { fetchHistory, maybeRecord, replay } from '../support/histories';
import { http, TestPlatform } from '../support/platform';

const LEASE_TTL_MS = 2_000;
/** How much later than its permit a call may reach the downstream (a ledger write, loopback HTTP). */
const DELIVERY_SLACK_MS = 250;
const FAST_RETRY = { maxAttempts: 3, initialIntervalMs: 100, backoffCoefficient: 1, maxIntervalMs: 100, jitter: 0, nonRetryable: [], respectRetryAfter: true };

describe('limits that hold under faults (SPEC §3.4–3.6, §3.10)', () => {
  const downstream = new Downstream();
  const platform = new TestPlatform({ ORCH_LEASE_TTL_MS: String(LEASE_TTL_MS) });

  beforeAll(async () => {
    await downstream.start();
    await platform.start({ workers: 2 });
  });
  afterAll(async () => {
    await platform.stop();
    await downstream.stop();
  });

  async function runAll(connector: string, count: number, extra: Record<string, unknown> = {}) {
    const accepted = await Promise.all(Array.from({ length: count }, (_, i) => platform.execute({ connector, operation: 'call', input: { i }, ...extra })));
    for (const reply of accepted) expect(reply.status).toBe(202);
    return Promise.all(accepted.map((reply) => platform.waitForJob(reply.body.id, 120_000)));
  }

  async function checkReplay(name: string, workflowId: string) {
    const history = await fetchHistory(workflowId);
    await replay(workflowId, history);
    await maybeRecord(name, history);
  }

  test('maxInFlight 2 with calls of 3× the lease TTL: never 3 in flight, also when a worker is killed mid-call', async () => {
    downstream.maxInFlight = 0;
    downstream.on('/long', async (_call, response) => {
      await delay(3 * LEASE_TTL_MS);
      json(response, 200, {});
    });
    const policy = await platform.createPolicy({ concurrency: { maxInFlight: 2 }, retry: FAST_RETRY });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/long' } }, { policyId: policy.id });
    const accepted = await Promise.all(Array.from({ length: 6 }, (_, i) => platform.execute({ connector: connector.name, operation: 'call', input: { i } })));
    while (downstream.inFlight < 2) await delay(20);
    await delay(LEASE_TTL_MS); // past one TTL, so that a key expiring with its first lease would show
    await platform.workers[0].stop('SIGKILL'); // it holds a lease that must expire on its own
    await platform.startWorker();
    const jobs = await Promise.all(accepted.map((reply) => platform.waitForJob(reply.body.id, 120_000)));
    expect(jobs.map((job) => job.status)).toStrictEqual(Array(6).fill('succeeded'));
    expect(downstream.maxInFlight).toBe(2);
    const lost = jobs.find((job) => job.attempts === 2);
    expect(lost).toBeDefined(); // the killed worker's attempt was lost and retried
    await checkReplay('execute-job-lost-attempt', lost!.workflowId);
  });

  test('rate 0.5/s, burst 0: at most 1 + 0.5 × T calls in every window of T seconds', async () => {
    downstream.on('/slow-rate', (_call, response) => json(response, 200, {}));
    const limit = { permitsPerSecond: 0.5, burst: 0 };
    const policy = await platform.createPolicy({ rateLimit: limit, timeouts: { attemptMs: 5_000, totalMs: 120_000 } });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/slow-rate' } }, { policyId: policy.id });
    const jobs = await runAll(connector.name, 11);
    expect(jobs.every((job) => job.status === 'succeeded')).toBe(true);
    const times = downstream.callsTo('/slow-rate').map((call) => call.at);
    expect(times.length).toBe(11);
    expect(worstWindow(times, { rate: 0.5, burst: 0 }, DELIVERY_SLACK_MS).excess).toBeLessThanOrEqual(0);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(10 * 2_000 - DELIVERY_SLACK_MS);
    const waiting = (await platform.events('type=job.waiting')).find((event) => event.data.reason === 'rate_limited');
    expect(waiting).toBeDefined();
    await checkReplay('execute-job-waited', `job-${waiting!.jobId}`);
  });

  test('rate 5/s, burst 3 after a quiet spell: 4 calls at once, then the steady rate', async () => {
    downstream.on('/burst', (_call, response) => json(response, 200, {}));
    const limit = { rate: 5, burst: 3 };
    const policy = await platform.createPolicy({ rateLimit: { permitsPerSecond: 5, burst: 3 } });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/burst' } }, { policyId: policy.id });
    const jobs = await runAll(connector.name, 12);
    expect(jobs.every((job) => job.status === 'succeeded')).toBe(true);
    const times = downstream.callsTo('/burst').map((call) => call.at).sort((a, b) => a - b);
    expect(times.length).toBe(12);
    expect(worstWindow(times, limit, DELIVERY_SLACK_MS).excess).toBeLessThanOrEqual(0);
    // The burst is real: without it the first 4 calls would need 600 ms at 5/s.
    expect(times[3] - times[0]).toBeLessThan(500);
  });

  test("a request's policy override without limits does not lift the connector's rate limit", async () => {
    downstream.on('/governed', (_call, response) => json(response, 200, {}));
    const governing = await platform.createPolicy({ rateLimit: { permitsPerSecond: 1, burst: 0 } });
    const override = await platform.createPolicy({ retry: FAST_RETRY });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/governed' } }, { policyId: governing.id });
    const jobs = await runAll(connector.name, 4, { policy: override.id });
    expect(jobs.map((job) => [job.status, job.policy.id])).toStrictEqual(Array(4).fill(['succeeded', override.id]));
    const times = downstream.callsTo('/governed').map((call) => call.at);
    expect(worstWindow(times, { rate: 1, burst: 0 }, DELIVERY_SLACK_MS).excess).toBeLessThanOrEqual(0);
  });

  test("/connectors/:id/state shows the limits in force: the active config's binding, not only the connector's policy", async () => {
    const own = await platform.createPolicy({ rateLimit: { permitsPerSecond: 2, burst: 1 } });
    const bound = await platform.createPolicy({ rateLimit: { permitsPerSecond: 7, burst: 2 }, concurrency: { maxInFlight: 3 } });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'GET', path: '/x' } }, { policyId: own.id });
    const config = await http('POST', `${platform.control}/configs`, { json: { bindings: { [connector.name]: { policyId: bound.id, version: 1 } } } });
    expect(config.status).toBe(201);
    expect((await http('POST', `${platform.control}/configs/activate`, { json: { version: config.body.version } })).status).toBe(200);
    const state = await http('GET', `${platform.control}/connectors/${connector.id}/state`);
    expect(state.body.policy).toStrictEqual({ id: bound.id, version: 1 });
    expect(state.body.rateLimit).toMatchObject({ permitsPerSecond: 7, burst: 2, available: 3 });
    expect(state.body.concurrency).toStrictEqual({ maxInFlight: 3, inFlight: 0 });
  });

  describe('half-open probes', () => {
    const BREAKER = { enabled: true, failureRateThreshold: 0.5, minimumCalls: 2, windowMs: 30_000, openMs: 1_500, halfOpenMaxCalls: 1 };

    /** A connector whose breaker an operator has just opened; its next call after openMs is the probe. */
    async function openedConnector(path: string, policy: Record<string, unknown>) {
      const created = await platform.createPolicy({ circuitBreaker: BREAKER, ...policy });
      const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path } }, { policyId: created.id });
      const forced = await http('POST', `${platform.control}/connectors/${connector.id}/breaker`, { json: { action: 'open' } });
      expect(forced.body.breaker.state).toBe('open');
      return connector;
    }

    async function transitions(connectorId: string) {
      const events = (await Promise.all(['breaker.opened', 'breaker.half_opened', 'breaker.closed'].map((type) => platform.events(`type=${type}`)))).flat();
      return events
        .filter((event) => event.data.connectorId === connectorId)
        .sort((a, b) => Number(a.id) - Number(b.id))
        .map((event) => `${event.type}${event.data.manual ? ' (manual)' : ''}`);
    }

    test('a cancelled probe decides nothing: the breaker stays half-open, its slot is free', async () => {
      downstream.on('/hang', () => new Promise(() => undefined));
      const connector = await openedConnector('/hang', {});
      const job = await platform.execute({ connector: connector.name, operation: 'call' });
      while (downstream.callsTo('/hang').length === 0) await delay(50);
      expect((await http('POST', `${platform.exec}/jobs/${job.body.id}/cancel`)).status).toBe(202);
      const final = await platform.waitForJob(job.body.id);
      expect(final.status).toBe('cancelled');
      const state = await http('GET', `${platform.control}/connectors/${connector.id}/state`);
      expect(state.body.breaker).toMatchObject({ state: 'half_open', probesInFlight: 0 });
      expect(await transitions(connector.id)).toStrictEqual(['breaker.opened (manual)', 'breaker.half_opened']);
      await checkReplay('execute-job-cancelled', final.workflowId);
    });

    test('a probe whose body read times out re-opens the breaker (AttemptTimeout)', async () => {
      downstream.on('/stall', (_call, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"partial":'); // and never the rest
      });
      const connector = await openedConnector('/stall', { timeouts: { attemptMs: 1_000, totalMs: 60_000 }, retry: { ...FAST_RETRY, maxAttempts: 1 } });
      const job = await platform.waitForJob((await platform.execute({ connector: connector.name, operation: 'call' })).body.id);
      expect([job.status, job.error.type]).toStrictEqual(['failed', 'AttemptTimeout']);
      expect(await transitions(connector.id)).toStrictEqual(['breaker.opened (manual)', 'breaker.half_opened', 'breaker.opened']);
    });

    test('a failed probe re-opens the breaker', async () => {
      downstream.on('/still-down', (_call, response) => json(response, 503, {}));
      const connector = await openedConnector('/still-down', { retry: { ...FAST_RETRY, maxAttempts: 1 } });
      const job = await platform.waitForJob((await platform.execute({ connector: connector.name, operation: 'call' })).body.id);
      expect(job.status).toBe('failed');
      expect(await transitions(connector.id)).toStrictEqual(['breaker.opened (manual)', 'breaker.half_opened', 'breaker.opened']);
    });

    test('slowCallMs: successful calls slower than it count as failures', async () => {
      downstream.on('/sluggish', async (_call, response) => {
        await delay(400);
        json(response, 200, {});
      });
      const policy = await platform.createPolicy({ circuitBreaker: { ...BREAKER, slowCallMs: 200 } });
      const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/sluggish' } }, { policyId: policy.id });
      for (let i = 0; i < 2; i++) {
        expect((await platform.waitForJob((await platform.execute({ connector: connector.name, operation: 'call' })).body.id)).status).toBe('succeeded');
      }
      expect(await transitions(connector.id)).toStrictEqual(['breaker.opened']);
    });
  });

  test('a running job keeps the connector definition it started with; disabling stops only new executions', async () => {
    downstream.on('/pinned-def', (_call, response, index) => json(response, index < 2 ? 500 : 200, {}));
    const policy = await platform.createPolicy({ retry: { ...FAST_RETRY, initialIntervalMs: 1_000, maxIntervalMs: 1_000 } });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/pinned-def' } }, { policyId: policy.id });
    const running = await platform.execute({ connector: connector.name, operation: 'call' });
    while (downstream.callsTo('/pinned-def').length === 0) await delay(20);
    const patched = await http('PATCH', `${platform.control}/connectors/${connector.id}`, { json: { baseUrl: 'http://127.0.0.1:9/nowhere', enabled: false } });
    expect(patched.status).toBe(200);
    const refused = await platform.execute({ connector: connector.name, operation: 'call' });
    expect([refused.status, refused.body.code]).toStrictEqual([409, 'CONNECTOR_DISABLED']);
    const job = await platform.waitForJob(running.body.id);
    expect([job.status, job.attempts]).toStrictEqual(['succeeded', 3]);
    expect(downstream.callsTo('/pinned-def').length).toBe(3);
  });
});
