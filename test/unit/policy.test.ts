import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultPolicy, isRetryable, retryDelayMs } from '../../workflows/policy';

describe('retry arithmetic', () => {
  const retry = { ...defaultPolicy(3, 1).retry, jitter: 0 };

  test('the default policy takes CONNECTOR_MAX_RETRIES and CONNECTOR_RETRY_BASE_SECONDS', () => {
    const policy = defaultPolicy(4, 2);
    assert.equal(policy.retry.maxAttempts, 5);
    assert.equal(policy.retry.initialIntervalMs, 2000);
  });

  test('backs off exponentially up to the cap', () => {
    assert.deepEqual([1, 2, 3, 4, 8].map((attempt) => retryDelayMs({ ...retry, maxIntervalMs: 10_000 }, attempt, 0)), [1000, 2000, 4000, 8000, 10_000]);
  });

  test('jitter only shortens, by at most the jitter fraction', () => {
    const jittered = { ...retry, jitter: 0.5 };
    assert.equal(retryDelayMs(jittered, 1, 0), 1000);
    assert.equal(retryDelayMs(jittered, 1, 0.999), 500);
  });

  test('Retry-After is a floor when respected, ignored otherwise', () => {
    assert.equal(retryDelayMs(retry, 1, 0, 5000), 5000);
    assert.equal(retryDelayMs(retry, 1, 0, 10), 1000);
    assert.equal(retryDelayMs({ ...retry, respectRetryAfter: false }, 1, 0, 5000), 1000);
  });

  test('nonRetryable overrides by error type or by http_<status>', () => {
    const error = { type: 'HttpError', retryable: true, httpStatus: 503 };
    assert.equal(isRetryable(retry, error), true);
    assert.equal(isRetryable({ ...retry, nonRetryable: ['http_503'] }, error), false);
    assert.equal(isRetryable({ ...retry, nonRetryable: ['HttpError'] }, error), false);
    assert.equal(isRetryable(retry, { ...error, retryable: false }), false);
  });
});
