import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { http, TestPlatform } from '../support/platform';

describe('/policies', () => {
  const platform = new TestPlatform();
  beforeAll(() => platform.start({ workers: 0 }));
  afterAll(() => platform.stop());

  test('create (v1), add immutable versions, list, get, get a version', async () => {
    const created = await http('POST', `${platform.control}/policies`, {
      json: { name: 'strict', retry: { maxAttempts: 2, initialIntervalMs: 500, backoffCoefficient: 2, maxIntervalMs: 5000, jitter: 0, nonRetryable: ['http_409'], respectRetryAfter: true } },
    });
    expect(created.status).toBe(201);
    expect(created.body.latestVersion).toBe(1);
    expect(created.body.latest.document.retry.maxAttempts).toBe(2);
    expect(created.body.latest.document.circuitBreaker.enabled).toBe(true); // omitted sections take the defaults
    expect(created.body.latest.document.rateLimit).toBe(null);

    const v2 = await http('POST', `${platform.control}/policies/${created.body.id}/versions`, { json: { concurrency: { maxInFlight: 3 } } });
    expect(v2.body.latestVersion).toBe(2);
    const v1 = await http('GET', `${platform.control}/policies/${created.body.id}/versions/1`);
    expect(v1.body.document.retry.maxAttempts).toBe(2); // version 1 is unchanged
    expect(v1.body.document.concurrency).toBe(null);
    const got = await http('GET', `${platform.control}/policies/${created.body.id}`);
    expect(got.body.latest.document.concurrency).toStrictEqual({ maxInFlight: 3 });
    const list = await http('GET', `${platform.control}/policies`);
    expect(list.body.items.some((policy: { id: string }) => policy.id === created.body.id)).toBeTruthy();
    expect((await http('GET', `${platform.control}/policies/${created.body.id}/versions/3`)).body.code).toBe('POLICY_VERSION_NOT_FOUND');
    expect((await http('POST', `${platform.control}/policies`, { json: { name: 'strict' } })).status).toBe(409);
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['backoffCoefficient below 1', { retry: { maxAttempts: 2, initialIntervalMs: 1, backoffCoefficient: 0.5, maxIntervalMs: 1, jitter: 0, nonRetryable: [], respectRetryAfter: true } }, 'retry.backoffCoefficient'],
    ['maxAttempts below 1', { retry: { maxAttempts: 0, initialIntervalMs: 1, backoffCoefficient: 2, maxIntervalMs: 1, jitter: 0, nonRetryable: [], respectRetryAfter: true } }, 'retry.maxAttempts'],
    ['openMs not positive', { circuitBreaker: { enabled: true, failureRateThreshold: 0.5, minimumCalls: 5, windowMs: 1000, openMs: 0, halfOpenMaxCalls: 1 } }, 'circuitBreaker.openMs'],
    ['an unknown field', { retries: 3 }, 'retries'],
    ['an unknown nested field', { concurrency: { maxInFlight: 2, queue: 5 } }, 'concurrency.queue'],
  ];
  for (const [name, body, field] of invalid) {
    test(`${name} → 400 naming ${field}, nothing created`, async () => {
      const before = (await http('GET', `${platform.control}/policies`)).body.items.length;
      const reply = await http('POST', `${platform.control}/policies`, { json: { name: `bad-${Date.now()}`, ...body } });
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('VALIDATION_FAILED');
      expect(reply.body.errors.some((error: { field: string }) => error.field === field)).toBeTruthy();
      expect((await http('GET', `${platform.control}/policies`)).body.items.length).toBe(before);
    });
  }

  test('a connector must bind a policy of its own tenant', async () => {
    const reply = await http('POST', `${platform.control}/connectors`, {
      json: { name: 'x', type: 'http', baseUrl: 'http://127.0.0.1:1', operations: { a: { method: 'GET', path: '/' } }, policyId: '00000000-0000-4000-8000-000000000000' },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toStrictEqual([{ field: 'policyId', message: 'names no policy of this tenant' }]);
  });
});
