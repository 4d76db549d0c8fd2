import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { Downstream, json } from '../support/downstream';
import { http, TestPlatform } from '../support/platform';

// Short values so the whole breaker cycle runs in a few seconds; assertions are on call counts and event order.
const BREAKER = { enabled: true, failureRateThreshold: 0.5, minimumCalls: 3, windowMs: 30_000, openMs: 3_000, halfOpenMaxCalls: 1 };
const RETRY = { maxAttempts: 5, initialIntervalMs: 100, backoffCoefficient: 1, maxIntervalMs: 100, jitter: 0, nonRetryable: [], respectRetryAfter: true };

describe('circuit breaker shared by every worker process', () => {
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
    expect(callsWhenOpened).toBe(3); // three failures of three calls reach the 50 % threshold at minimumCalls 3

    const state = await http('GET', `${platform.control}/connectors/${connector.id}/state`);
    expect(state.body.breaker.state).toBe('open');
    expect(state.body.breaker.windowCalls).toBe(0); // opening clears the window

    // A job started while open waits without calling and without using an attempt.
    const second = await platform.execute({ connector: connector.name, operation: 'call' });
    await delay(1_000);
    const waiting = await http('GET', `${platform.exec}/jobs/${second.body.id}`);
    expect(waiting.body.status).toBe('waiting');
    expect(waiting.body.waitReason).toBe('circuit_open');
    expect(waiting.body.attempts).toBe(0);
    // The first job, past its backoff, waits too (polled: its next try may take a moment on a loaded machine).
    let firstWhileOpen = await http('GET', `${platform.exec}/jobs/${first.body.id}`);
    for (let i = 0; i < 50 && firstWhileOpen.body.waitReason !== 'circuit_open'; i++) {
      await delay(100);
      firstWhileOpen = await http('GET', `${platform.exec}/jobs/${first.body.id}`);
    }
    expect(firstWhileOpen.body.waitReason).toBe('circuit_open');

    healthy = true;
    const [a, b] = [await platform.waitForJob(first.body.id), await platform.waitForJob(second.body.id)];
    const calls = downstream.callsTo('/down');
    expect(calls.length).toBe(5); // 3 failures, 1 probe, 1 call after closing
    expect(calls[3].at).toBeGreaterThanOrEqual(calls[2].at + BREAKER.openMs - 50); // no call while the breaker was open
    expect(calls[4].at).toBeGreaterThanOrEqual(probeStartedAt + 900); // the second waiter called only after the probe succeeded
    expect([a.status, b.status]).toStrictEqual(['succeeded', 'succeeded']);
    expect(a.attempts + b.attempts).toBe(5); // waiting consumed no attempts: 4 for the first job, 1 for the second
    expect(a.attempts).toBeLessThanOrEqual(RETRY.maxAttempts);

    const transitions = (await platform.events('')).filter((event) => event.type.startsWith('breaker.') && event.data.connectorId === connector.id);
    expect(transitions.map((event) => event.type)).toStrictEqual(['breaker.opened', 'breaker.half_opened', 'breaker.closed']);
    const closed = await http('GET', `${platform.control}/connectors/${connector.id}/state`);
    expect(closed.body.breaker.state).toBe('closed');
  });

  test('4xx responses never open the breaker', async () => {
    downstream.on('/bad', (_call, response) => json(response, 422, { error: 'invalid' }));
    const policy = await platform.createPolicy({ retry: RETRY, circuitBreaker: BREAKER });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/bad' } }, { policyId: policy.id });
    const jobs = await Promise.all(Array.from({ length: 5 }, () => platform.execute({ connector: connector.name, operation: 'call' })));
    for (const job of jobs) expect((await platform.waitForJob(job.body.id)).status).toBe('failed');
    const state = await http('GET', `${platform.control}/connectors/${connector.id}/state`);
    expect(state.body.breaker.state).toBe('closed');
    expect(state.body.breaker.windowCalls).toBe(5);
    expect(state.body.breaker.windowFailures).toBe(0);
    expect(downstream.callsTo('/bad').length).toBe(5);
  });

  test('slowCallMs null (as stored by a policy that sent it) makes no call slow: successes never count as failures', async () => {
    downstream.on('/fine', (_call, response) => json(response, 200, { ok: true }));
    const policy = await platform.createPolicy({ retry: RETRY, circuitBreaker: { ...BREAKER, slowCallMs: null } });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/fine' } }, { policyId: policy.id });
    for (let i = 0; i < 4; i++) {
      const job = await platform.execute({ connector: connector.name, operation: 'call' });
      expect((await platform.waitForJob(job.body.id)).status).toBe('succeeded');
    }
    const state = await http('GET', `${platform.control}/connectors/${connector.id}/state`);
    expect([state.body.breaker.state, state.body.breaker.windowCalls, state.body.breaker.windowFailures]).toStrictEqual(['closed', 4, 0]);
  });

  test('operators can force the breaker open and reset it', async () => {
    downstream.on('/ok', (_call, response) => json(response, 200, {}));
    const connector = await platform.createConnector(downstream.url, { call: { method: 'GET', path: '/ok' } });
    const opened = await http('POST', `${platform.control}/connectors/${connector.id}/breaker`, { json: { action: 'open' } });
    expect(opened.status).toBe(200);
    expect(opened.body.breaker.state).toBe('open');
    const job = await platform.execute({ connector: connector.name, operation: 'call' });
    await delay(500);
    expect(downstream.callsTo('/ok').length).toBe(0);
    const reset = await http('POST', `${platform.control}/connectors/${connector.name}/breaker`, { json: { action: 'reset' } });
    expect(reset.body.breaker.state).toBe('closed');
    expect((await platform.waitForJob(job.body.id)).status).toBe('succeeded');
    const manual = (await platform.events('')).filter((event) => event.type.startsWith('breaker.') && event.data.connectorId === connector.id);
    expect(manual.map((event) => [event.type, event.data.manual])).toStrictEqual([['breaker.opened', true], ['breaker.closed', true]]);
    const bad = await http('POST', `${platform.control}/connectors/${connector.id}/breaker`, { json: { action: 'explode' } });
    expect(bad.status).toBe(400);
  });
});
