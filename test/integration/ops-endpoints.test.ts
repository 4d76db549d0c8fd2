import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { http, TestPlatform } from '../support/platform';
import { freePort, PlatformProcess } from '../support/processes';
import { createDatabase, serviceEnv } from '../support/services';

/** Ops endpoints stay off the public planes; readiness means "can serve". */
describe('api ops endpoints', () => {
  let platform: TestPlatform;
  let metricsPort = 0;

  beforeAll(async () => {
    metricsPort = await freePort();
    platform = await new TestPlatform({ API_METRICS_PORT: String(metricsPort) }).start({ workers: 0 });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  test('/metrics is served on API_METRICS_PORT only, never on the control or exec plane', async () => {
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type') ?? '').toMatch(/^text\/plain/);
    expect(await metrics.text()).toMatch(/^process_cpu_seconds_total /m);
    for (const base of [platform.control, platform.exec]) {
      for (const path of ['/metrics', '/metrics/', '/Metrics', '//metrics', '/%6detrics']) {
        expect({ path, status: (await http('GET', `${base}${path}`)).status }).toStrictEqual({ path, status: 404 });
      }
    }
    // The metrics listener serves nothing else.
    expect((await fetch(`http://127.0.0.1:${metricsPort}/health`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/docs`)).status).toBe(404);
  });
});

describe('readiness with Redis down', () => {
  let api: PlatformProcess;
  let base = '';

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const deadRedis = `redis://127.0.0.1:${await freePort()}`; // nothing listens here
    api = PlatformProcess.spawn('api', { ...serviceEnv(), DATABASE_URL: await createDatabase(), REDIS_URL: deadRedis, AUTH_MODE: 'disabled', PORT: String(port) });
    await api.waitForHttp(`${base}/health/live`);
  });
  afterAll(async () => {
    await api?.stop();
  });

  test('the api stays ready and serves control-plane reads; /health reports Redis down', async () => {
    const ready = await http('GET', `${base}/health/ready`);
    expect(ready.status).toBe(200);
    const summary = await http('GET', `${base}/health`);
    expect(summary.status).toBe(503);
    expect(summary.body.checks.redis.status).toBe('down');
    expect(summary.body.checks.postgres.status).toBe('up');
    expect((await http('GET', `${base}/connectors`)).status).toBe(200);
  });

  test('with Redis down, connector state reads degrade to "unknown" and say why; a breaker action is 503 DEPENDENCY_UNAVAILABLE (redis) with Retry-After', async () => {
    const created = await http('POST', `${base}/connectors`, { json: { name: 'redis-down', type: 'http', baseUrl: 'http://127.0.0.1:9', allowPrivateNetwork: true, operations: { ok: { method: 'GET', path: '/' } } } });
    expect(created.status).toBe(201);
    const state = await http('GET', `${base}/connectors/${created.body.id}/state`);
    expect([state.status, state.body.breaker.state, state.body.unavailable]).toStrictEqual([200, 'unknown', 'Breaker and limiter state (Redis) could not be read.']);
    const action = await http('POST', `${base}/connectors/${created.body.id}/breaker`, { json: { action: 'open' } });
    expect([action.status, action.body.code, action.body.dependency, action.headers.get('retry-after')]).toStrictEqual([503, 'DEPENDENCY_UNAVAILABLE', 'redis', '5']);
  });
});
