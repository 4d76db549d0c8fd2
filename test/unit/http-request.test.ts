import { describe, expect, test } from '@jest/globals';
import { httpError, isSuccess, parseRetryAfter, planRequest, readResponse } from '../../activities/http-request';
import { ConfigurationError } from '../../domain/job';
import { HttpConnectorSpec, templateFields } from '../../domain/connector-spec';

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
    expect(plan.url.toString()).toBe('https://api.example.com/v1/customers/c%2F1/charges?expand=card');
    expect(plan.method).toBe('POST');
    expect(plan.headers['x-tenant']).toBe('acme-eu');
    expect(plan.headers['idempotency-key']).toBe('job-1:1');
    expect(JSON.parse(plan.body!)).toStrictEqual({ amount: 1200, note: 'for c/1', lines: [1200] });
  });

  test('GET has no body; an operation without a body template sends the whole input', () => {
    expect(planRequest(spec, 'get', { id: 7 }, 'k').body).toBe(undefined);
    expect(JSON.parse(planRequest(spec, 'echo', { a: [1] }, 'k').body!)).toStrictEqual({ a: [1] });
  });

  test('a missing input field or unknown operation is a configuration error', () => {
    expect(() => planRequest(spec, 'get', {}, 'k')).toThrow(ConfigurationError);
    expect(() => planRequest(spec, 'toString', {}, 'k')).toThrow(/no operation "toString"/);
  });

  test('templateFields lists every placeholder once', () => {
    expect(templateFields(spec.operations.charge).sort()).toStrictEqual(['amount', 'customer.id', 'expand', 'region']);
  });
});

describe('classifying responses', () => {
  test('5xx, 408 and 429 are retryable; other 4xx are not', () => {
    expect([500, 503, 408, 429, 400, 404, 409].map((status) => httpError(status).retryable)).toStrictEqual([true, true, true, true, false, false, false]);
  });

  test('Retry-After as seconds or HTTP-date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBe(undefined);
    expect(parseRetryAfter(null, now)).toBe(undefined);
  });
});

describe('reading a response', () => {
  const respond = (body: string, contentType: string, extraHeaders: Record<string, string> = {}) =>
    new Response(body, { status: 201, headers: { 'content-type': contentType, 'set-cookie': 'session=secret', ...extraHeaders } });

  test('JSON when the type says so, with only the safe headers kept', async () => {
    const result = await readResponse(respond('{"id":7}', 'application/json; charset=utf-8', { etag: '"v1"' }), 1024);
    expect(result).toStrictEqual({ status: 201, headers: { 'content-type': 'application/json; charset=utf-8', etag: '"v1"' }, body: { id: 7 }, truncated: false });
  });

  test('text when it is not JSON, or when JSON does not parse', async () => {
    expect((await readResponse(respond('plain', 'text/plain'), 1024)).body).toBe('plain');
    expect((await readResponse(respond('{broken', 'application/json'), 1024)).body).toBe('{broken');
  });

  test('a body above the limit is cut at the limit and marked truncated (never parsed)', async () => {
    const result = await readResponse(respond(JSON.stringify({ pad: 'x'.repeat(100) }), 'application/json'), 10);
    expect(result.truncated).toBe(true);
    expect(result.body).toBe('{"pad":"xx');
  });

  test('success statuses: the operation’s list when given, else any 2xx', () => {
    const listed: HttpConnectorSpec = { baseUrl: 'https://x.example', operations: { a: { method: 'GET', path: '/', successStatuses: [202] } } };
    expect([isSuccess(listed, 'a', 202), isSuccess(listed, 'a', 200)]).toStrictEqual([true, false]);
    expect([isSuccess(spec, 'get', 204), isSuccess(spec, 'get', 302)]).toStrictEqual([true, false]);
  });
});
