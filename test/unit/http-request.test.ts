import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigurationError, httpError, HttpConnectorSpec, parseRetryAfter, planRequest, templateFields } from '../../activities/http-request';

const spec: HttpConnectorSpec = {
  baseUrl: 'https://api.example.com/v1/',
  operations: {
    charge: {
      method: 'POST',
      path: '/customers/{customer.id}/charges',
      query: { expand: '{expand}' },
      headers: { 'X-Tenant': 'acme-{region}' },
      body: { amount: '{amount}', note: 'for {customer.id}', lines: ['{amount}'] },
    },
    get: { method: 'GET', path: '/things/{id}' },
    echo: { method: 'PUT', path: '/echo' },
  },
};

describe('planning an http request from an operation template', () => {
  test('fills path (URL-encoded), query, headers and a typed body; adds the Idempotency-Key', () => {
    const plan = planRequest(spec, 'charge', { customer: { id: 'c/1' }, expand: 'card', region: 'eu', amount: 1200 }, 'job-1:1');
    assert.equal(plan.url.toString(), 'https://api.example.com/v1/customers/c%2F1/charges?expand=card');
    assert.equal(plan.method, 'POST');
    assert.equal(plan.headers['x-tenant'], 'acme-eu');
    assert.equal(plan.headers['idempotency-key'], 'job-1:1');
    assert.deepEqual(JSON.parse(plan.body!), { amount: 1200, note: 'for c/1', lines: [1200] });
  });

  test('GET has no body; an operation without a body template sends the whole input', () => {
    assert.equal(planRequest(spec, 'get', { id: 7 }, 'k').body, undefined);
    assert.deepEqual(JSON.parse(planRequest(spec, 'echo', { a: [1] }, 'k').body!), { a: [1] });
  });

  test('a missing input field or unknown operation is a configuration error', () => {
    assert.throws(() => planRequest(spec, 'get', {}, 'k'), ConfigurationError);
    assert.throws(() => planRequest(spec, 'toString', {}, 'k'), /no operation "toString"/);
  });

  test('templateFields lists every placeholder once', () => {
    assert.deepEqual(templateFields(spec.operations.charge).sort(), ['amount', 'customer.id', 'expand', 'region']);
  });
});

describe('classifying responses', () => {
  test('5xx, 408 and 429 are retryable; other 4xx are not', () => {
    assert.deepEqual([500, 503, 408, 429, 400, 404, 409].map((status) => httpError(status).retryable), [true, true, true, true, false, false, false]);
  });

  test('Retry-After as seconds or HTTP-date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('2', now), 2000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });
});
