import { describe, expect, test } from '@jest/globals';
import { defaultPolicy, isRetryable, retryDelayMs } from '../../domain/policy';

describe('retry arithmetic', () => {
  const retry = { ...defaultPolicy(3, 1).retry, jitter: 0 };

  test('the default policy takes CONNECTOR_MAX_RETRIES and CONNECTOR_RETRY_BASE_SECONDS', () => {
    const policy = defaultPolicy(4, 2);
    expect(policy.retry.maxAttempts).toBe(5);
    expect(policy.retry.initialIntervalMs).toBe(2000);
  });

  test('backs off exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 8].map((attempt) => retryDelayMs({ ...retry, maxIntervalMs: 10_000 }, attempt, 0))).toStrictEqual([1000, 2000, 4000, 8000, 10_000]);
  });

  test('jitter only shortens, by at most the jitter fraction', () => {
    const jittered = { ...retry, jitter: 0.5 };
    expect(retryDelayMs(jittered, 1, 0)).toBe(1000);
    expect(retryDelayMs(jittered, 1, 0.999)).toBe(500);
  });

  test('Retry-After is a floor when respected, ignored otherwise', () => {
    expect(retryDelayMs(retry, 1, 0, 5000)).toBe(5000);
    expect(retryDelayMs(retry, 1, 0, 10)).toBe(1000);
    expect(retryDelayMs({ ...retry, respectRetryAfter: false }, 1, 0, 5000)).toBe(1000);
  });

  test('nonRetryable overrides by error type or by http_<status>', () => {
    const error = { type: 'HttpError', retryable: true, httpStatus: 503 };
    expect(isRetryable(retry, error)).toBe(true);
    expect(isRetryable({ ...retry, nonRetryable: ['http_503'] }, error)).toBe(false);
    expect(isRetryable({ ...retry, nonRetryable: ['HttpError'] }, error)).toBe(false);
    expect(isRetryable(retry, { ...error, retryable: false })).toBe(false);
  });
});
