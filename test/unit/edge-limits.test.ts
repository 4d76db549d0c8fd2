import { describe, expect, test } from '@jest/globals';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { firstValueFrom, NEVER, of } from 'rxjs';
import { AppError } from '../../src/common/app-error';
import { bucketCapacity, rateLimitHeaders, toDecision } from '../../src/edge-limits/rate-limit';
import { RequestTimeoutInterceptor, requestDeadlineMs } from '../../src/edge-limits/request-timeout.interceptor';
import { loadEnvironment } from '../../src/config/environment';

describe('request deadline', () => {
  test('the base timeout, extended by Prefer: wait=N (N ≤ 60) to N s + 5 s', () => {
    expect(requestDeadlineMs(30_000, undefined)).toBe(30_000);
    expect(requestDeadlineMs(30_000, 'return=minimal')).toBe(30_000);
    expect(requestDeadlineMs(30_000, 'wait=10')).toBe(30_000);
    expect(requestDeadlineMs(30_000, 'respond-async, wait=60')).toBe(65_000);
    expect(requestDeadlineMs(30_000, 'wait=3600')).toBe(65_000);
    expect(requestDeadlineMs(1_000, ['handling=lenient', 'wait=2'])).toBe(7_000);
    expect(requestDeadlineMs(0, 'wait=60')).toBe(0);
  });

  function context(headers: Record<string, string>): ExecutionContext {
    const handler = () => undefined;
    return {
      getType: () => 'http',
      getHandler: () => handler,
      getClass: () => class {},
      switchToHttp: () => ({ getRequest: () => ({ headers }), getResponse: () => ({}) }),
    } as unknown as ExecutionContext;
  }

  const env = loadEnvironment({ DATABASE_URL: 'postgres://u@localhost/db', REDIS_URL: 'redis://localhost', AUTH_MODE: 'disabled', ORCH_REQUEST_TIMEOUT_MS: '100' });
  const interceptor = new RequestTimeoutInterceptor(new Reflector(), env);
  const hanging: CallHandler = { handle: () => NEVER };

  test('a handler past the deadline → 503 REQUEST_TIMEOUT with Retry-After', async () => {
    const error = (await firstValueFrom(interceptor.intercept(context({}), hanging)).catch((e: unknown) => e)) as AppError;
    expect(error).toBeInstanceOf(AppError);
    expect(error.status).toBe(503);
    expect(error.code).toBe('REQUEST_TIMEOUT');
    expect(error.extra.retryAfterSeconds).toBe(5);
  });

  test('a prompt handler passes through', async () => {
    expect(await firstValueFrom(interceptor.intercept(context({}), { handle: () => of('ok') }))).toBe('ok');
  });

  test('event streams are exempt', async () => {
    const stream = interceptor.intercept(context({ accept: 'text/event-stream' }), hanging);
    const winner = await Promise.race([firstValueFrom(stream).then(() => 'value'), new Promise((resolve) => setTimeout(() => resolve('still open'), 300))]);
    expect(winner).toBe('still open');
  });
});

describe('tenant rate limit decisions and headers', () => {
  test('admitted: remaining calls, reset until full', () => {
    const decision = toDecision({ allowed: true, retryAfterMs: 0, remaining: 7, resetMs: 2400 }, 10);
    expect(decision).toStrictEqual({ allowed: true, limit: 10, remaining: 7, retryAfterSeconds: 0, resetSeconds: 3 });
    expect(rateLimitHeaders(decision, { rate: 5, burst: 5 })).toStrictEqual({
      'RateLimit-Limit': '10',
      'RateLimit-Remaining': '7',
      'RateLimit-Reset': '3',
      'RateLimit-Policy': '5;w=1;burst=10',
    });
  });

  test('the bucket holds one second of the rate plus the burst, at least one request', () => {
    expect(bucketCapacity({ rate: 1000, burst: 1000 })).toBe(2000);
    expect(bucketCapacity({ rate: 2.5, burst: 0 })).toBe(2);
    expect(bucketCapacity({ rate: 0.01, burst: 0 })).toBe(1);
  });

  test('refused: Retry-After at least 1 s', () => {
    expect(toDecision({ allowed: false, retryAfterMs: 120, remaining: 0, resetMs: 1900 }, 2)).toStrictEqual({
      allowed: false,
      limit: 2,
      remaining: 0,
      retryAfterSeconds: 1,
      resetSeconds: 2,
    });
    expect(toDecision({ allowed: false, retryAfterMs: 2500, remaining: 0, resetMs: 9000 }, 2).retryAfterSeconds).toBe(3);
  });
});
