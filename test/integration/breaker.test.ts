import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Downstream, json } from '../support/downstream';
import { http, TestPlatform } from '../support/platform';

// Short values so the whole breaker cycle runs in a few seconds; assertions are on call counts and event order.
const BREAKER = { enabled: true, failureRateThreshold: 0.5, minimumCalls: 3, windowMs: 30_000, openMs: 3_000, halfOpenMaxCalls: 1 };
const RETRY = { maxAttempts: 5, initialIntervalMs: 100, backoffCoefficient: 1, maxIntervalMs: 100, jitter: 0, nonRetryable: [], respectRetryAfter: true };

describe('circuit breaker shared by every worker process', () => {
  const downstream = new Downstream();
  const platform = new TestPlatform();

  before(async () => {
    await downstream.start();
    await platform.start({ workers: 2 });
  });
  after(async () => {
    await platform.stop();
    await downstream.stop();
  });

  test('opens at the threshold, stops all calls while open, lets exactly one probe through, and closes on its success', async () => {
    let healthy = false;
    let probeStartedAt = 0;
    downstream.on('/down', async (_call, response) => {
      if (!healthy) return json(response, 503, { error: 'unavailable' });
      if (probeStartedAt === 0) {
        probeStartedAt = Date.now();
        await delay(1_000); // a slow probe: other waiters must stay out meanwhile
      }
      json(response, 200, { ok: true });
    });
    const policy = await platform.createPolicy({ retry: RETRY, circuitBreaker: BREAKER });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/down' } }, { policyId: policy.id });

    const first = await platform.execute({ connector: connector.name, operation: 'call' });
    let opened: { id: string } | undefined;
    while (!opened) {
      opened = (await platform.events('type=breaker.opened')).find((event) => event.data.connectorId === connector.id);
      await delay(50);
    }
    const callsWhenOpened = downstream.callsTo('/down').length;
    assert.equal(callsWhenOpened, 3, 'three failures of three calls reach the 50 % threshold at minimumCalls 3');

    const state = await http('GET', `${platform.control}/connectors/${connector.id}/state`);
    assert.equal(state.body.breaker.state, 'open');
    assert.equal(state.body.breaker.windowCalls, 0, 'opening clears the window');

    // A job started while open waits without calling and without using an attempt.
    const second = await platform.execute({ connector: connector.name, operation: 'call' });
    await delay(1_000);
    const waiting = await http('GET', `${platform.exec}/jobs/${second.body.id}`);
    assert.equal(waiting.body.status, 'waiting');
    assert.equal(waiting.body.waitReason, 'circuit_open');
    assert.equal(waiting.body.attempts, 0);
    const firstWhileOpen = await http('GET', `${platform.exec}/jobs/${first.body.id}`);
    assert.equal(firstWhileOpen.body.waitReason, 'circuit_open');

    healthy = true;
    const [a, b] = [await platform.waitForJob(first.body.id), await platform.waitForJob(second.body.id)];
    const calls = downstream.callsTo('/down');
    assert.equal(calls.length, 5, '3 failures, 1 probe, 1 call after closing');
    assert.ok(calls[3].at >= calls[2].at + BREAKER.openMs - 50, 'no call while the breaker was open');
    assert.ok(calls[4].at >= probeStartedAt + 900, 'the second waiter called only after the probe succeeded');
    assert.deepEqual([a.status, b.status], ['succeeded', 'succeeded']);
    assert.equal(a.attempts + b.attempts, 5, 'waiting consumed no attempts: 4 for the first job, 1 for the second');
    assert.ok(a.attempts <= RETRY.maxAttempts);

    const transitions = (await platform.events('')).filter((event) => event.type.startsWith('breaker.') && event.data.connectorId === connector.id);
    assert.deepEqual(transitions.map((event) => event.type), ['breaker.opened', 'breaker.half_opened', 'breaker.closed']);
    const closed = await http('GET', `${platform.control}/connectors/${connector.id}/state`);
    assert.equal(closed.body.breaker.state, 'closed');
  });

  test('4xx responses never open the breaker', async () => {
    downstream.on('/bad', (_call, response) => json(response, 422, { error: 'invalid' }));
    const policy = await platform.createPolicy({ retry: RETRY, circuitBreaker: BREAKER });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/bad' } }, { policyId: policy.id });
    const jobs = await Promise.all(Array.from({ length: 5 }, () => platform.execute({ connector: connector.name, operation: 'call' })));
    for (const job of jobs) assert.equal((await platform.waitForJob(job.body.id)).status, 'failed');
    const state = await http('GET', `${platform.control}/connectors/${connector.id}/state`);
    assert.equal(state.body.breaker.state, 'closed');
    assert.equal(state.body.breaker.windowCalls, 5);
    assert.equal(state.body.breaker.windowFailures, 0);
    assert.equal(downstream.callsTo('/bad').length, 5);
  });

  test('operators can force the breaker open and reset it', async () => {
    downstream.on('/ok', (_call, response) => json(response, 200, {}));
    const connector = await platform.createConnector(downstream.url, { call: { method: 'GET', path: '/ok' } });
    const opened = await http('POST', `${platform.control}/connectors/${connector.id}/breaker`, { json: { action: 'open' } });
    assert.equal(opened.status, 200);
    assert.equal(opened.body.breaker.state, 'open');
    const job = await platform.execute({ connector: connector.name, operation: 'call' });
    await delay(500);
    assert.equal(downstream.callsTo('/ok').length, 0);
    const reset = await http('POST', `${platform.control}/connectors/${connector.name}/breaker`, { json: { action: 'reset' } });
    assert.equal(reset.body.breaker.state, 'closed');
    assert.equal((await platform.waitForJob(job.body.id)).status, 'succeeded');
    const manual = (await platform.events('')).filter((event) => event.type.startsWith('breaker.') && event.data.connectorId === connector.id);
    assert.deepEqual(manual.map((event) => [event.type, event.data.manual]), [['breaker.opened', true], ['breaker.closed', true]]);
    const bad = await http('POST', `${platform.control}/connectors/${connector.id}/breaker`, { json: { action: 'explode' } });
    assert.equal(bad.status, 400);
  });
});
