import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Downstream, json } from '../support/downstream';
import { TestPlatform } from '../support/platform';
import { uniqueName } from '../support/services';

/**
 * The SSRF guard in real worker processes. The test platform allows private networks
 * (ORCH_ALLOW_PRIVATE_NETWORK=true, as every test's loopback downstream needs), so a connector
 * without allowPrivateNetwork shows the per-connector refusal, and a worker started with the
 * deployment switch off shows that the connector's consent alone is not enough. Names resolving to
 * private addresses and redirects to private addresses are covered in test/unit/ssrf.test.ts with
 * an injected resolver (no DNS here).
 */
describe('SSRF guard: private, loopback and metadata targets are refused', () => {
  const downstream = new Downstream();
  const platform = new TestPlatform();
  const strictQueue = uniqueName('q-strict');

  const runOn = async (baseUrl: string, extra: Record<string, unknown> = {}, path = '/target') => {
    const connector = await platform.createConnector(baseUrl, { call: { method: 'POST', path } }, { allowPrivateNetwork: false, ...extra });
    const accepted = await platform.execute({ connector: connector.id, operation: 'call', input: { a: 1 } });
    expect(accepted.status).toBe(202);
    return platform.waitForJob(accepted.body.id);
  };
  const assertRefused = (job: { status: string; attempts: number; error: { type: string; retryable: boolean; message: string } }, pattern: RegExp) => {
    expect(job.status).toBe('failed');
    expect(job.attempts).toBe(1); // not retried: the same target would be refused again
    expect(job.error.type).toBe('ForbiddenTarget');
    expect(job.error.retryable).toBe(false);
    expect(job.error.message).toMatch(pattern);
  };

  beforeAll(async () => {
    downstream.on('/target', (_call, response) => json(response, 200, { reached: true }));
    downstream.on('/to-file', (_call, response) => void response.writeHead(302, { location: 'file:///etc/passwd' }).end());
    downstream.on('/to-target', (_call, response) => void response.writeHead(307, { location: '/target' }).end());
    await downstream.start();
    await platform.start();
    // A worker pool whose deployment does not allow private networks at all.
    await platform.startWorker({ WORKER_TASK_QUEUES: strictQueue, ORCH_ALLOW_PRIVATE_NETWORK: 'false' });
  });
  afterAll(async () => {
    await platform.stop();
    await downstream.stop();
  });

  for (const [label, baseUrl, pattern] of [
    ['127.0.0.1', () => downstream.url, /127\.0\.0\.1: loopback/],
    ['169.254.169.254 (cloud metadata)', () => 'http://169.254.169.254', /169\.254\.169\.254: link-local/],
    ['[::1]', () => `http://[::1]:${downstream.port}`, /::1: loopback/],
    ['a name resolving to loopback (localhost, checked after DNS)', () => `http://localhost:${downstream.port}`, /localhost \((127\.0\.0\.1|::1)\): loopback/],
    ['an IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${downstream.port}`, /loopback/],
  ] as const) {
    test(`${label} without allowPrivateNetwork is refused before any byte is sent`, async () => {
      const before = downstream.calls.length;
      assertRefused(await runOn(baseUrl()), pattern);
      expect(downstream.calls.length).toBe(before); // the downstream was never reached
    });
  }

  test('with allowPrivateNetwork (and the deployment allowing it) the same target is reached, redirects included', async () => {
    const job = await runOn(downstream.url, { allowPrivateNetwork: true }, '/to-target');
    expect(job.status).toBe('succeeded');
    expect(job.result.body).toStrictEqual({ reached: true });
  });

  test('a redirect to a non-http URL is refused even with allowPrivateNetwork', async () => {
    assertRefused(await runOn(downstream.url, { allowPrivateNetwork: true }, '/to-file'), /only http and https/);
  });

  test("the connector's consent is not enough: a deployment with ORCH_ALLOW_PRIVATE_NETWORK=false refuses", async () => {
    const before = downstream.calls.length;
    const job = await runOn(downstream.url, { allowPrivateNetwork: true, taskQueue: strictQueue });
    assertRefused(job, /127\.0\.0\.1: loopback/);
    expect(downstream.calls.length).toBe(before);
  });
});
