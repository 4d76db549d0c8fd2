import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { Client as PgClient } from 'pg';
import { bearer, SharedSecretAuth } from '../support/auth';
import { http, TestPlatform } from '../support/platform';
import { freePort, PlatformProcess } from '../support/processes';
import { uniqueName } from '../support/services';

const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

describe('limits at the edge: per-tenant rate, body size, request timeout', () => {
  const auth = new SharedSecretAuth();
  // One request per 4 s + a burst of 4: 4 at once, then a refill slow enough for a loaded CI machine.
  const platform = new TestPlatform(
    { ORCH_TENANT_RATE_LIMIT_PER_SECOND: '0.25', ORCH_TENANT_RATE_LIMIT_BURST: '4', ORCH_MAX_BODY_BYTES: '2048', ORCH_REQUEST_TIMEOUT_MS: '1000' },
    { auth },
  );
  const callerOf = (roles = ['admin', 'executor']) => auth.client(platform, { tenant: uniqueName('t'), roles });

  beforeAll(() => platform.start({ workers: 0 }));
  afterAll(() => platform.stop());

  test('a tenant over its rate gets 429 with Retry-After and RateLimit headers; other tenants and ops routes do not', async () => {
    const a = await callerOf();
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await a.control('GET', '/connectors'));
    expect(replies.map((reply) => reply.status)).toStrictEqual([200, 200, 200, 200, 429]);
    expect(replies.slice(0, 4).map((reply) => reply.headers.get('ratelimit-remaining'))).toStrictEqual(['3', '2', '1', '0']);
    for (const reply of replies) {
      expect(reply.headers.get('ratelimit-limit')).toBe('4');
      expect(reply.headers.get('ratelimit-policy')).toBe('0.25;w=1;burst=4');
      expect(reply.headers.get('ratelimit-reset') ?? '').toMatch(/^\d+$/);
    }
    const limited = replies[4];
    expect(limited.headers.get('content-type')).toBe(PROBLEM_JSON);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(limited.body.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('4');
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');

    // Both planes draw from the one tenant bucket.
    expect((await a.exec('GET', '/jobs')).status).toBe(429);
    // Another tenant has its own bucket; ops routes are not limited.
    const b = await callerOf();
    expect((await b.control('GET', '/connectors')).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await http('GET', `${platform.control}/health/live`)).status).toBe(200);
    expect((await http('GET', `${platform.control}/health/live`)).headers.get('ratelimit-limit')).toBe(null);

    // Waiting as told is enough.
    await delay(Number(limited.headers.get('retry-after')) * 1000);
    expect((await a.control('GET', '/connectors')).status).toBe(200);
  });

  test('the bucket lives in Redis: every api process shares it', async () => {
    const port = await freePort();
    const second = PlatformProcess.spawn('api', platform.env({ PORT: String(port) }));
    try {
      await second.waitForHttp(`http://127.0.0.1:${port}/health/live`);
      const a = await callerOf();
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await a.control('GET', '/connectors')).status);
      for (let i = 0; i < 3; i++) statuses.push((await http('GET', `http://127.0.0.1:${port}/connectors`, { headers: bearer(a.token) })).status);
      expect(statuses).toStrictEqual([200, 200, 200, 200, 429, 429]);
    } finally {
      await second.stop();
    }
  });

  test("a tenant's active config can set its own API rate limit (apiRateLimit)", async () => {
    const c = await callerOf();
    const config = await c.control('POST', '/configs', { json: { apiRateLimit: { requestsPerSecond: 1, burst: 0 } } });
    expect(config.status).toBe(201);
    expect((await c.control('POST', '/configs/activate', { json: { version: config.body.version } })).status).toBe(200);
    await delay(2_200); // the limit is cached for 2 s per api process
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(await c.control('GET', '/connectors'));
    expect(replies.map((reply) => reply.status)).toStrictEqual([200, 429, 429]);
    expect(replies[0].headers.get('ratelimit-limit')).toBe('1');
  });

  test('a body over ORCH_MAX_BODY_BYTES → 413 problem+json', async () => {
    const d = await callerOf();
    const reply = await d.control('POST', '/connectors', {
      json: { name: 'big', type: 'http', baseUrl: 'https://example.com', operations: { a: { method: 'GET', path: `/${'x'.repeat(3000)}` } } },
    });
    expect(reply.status).toBe(413);
    expect(reply.headers.get('content-type')).toBe(PROBLEM_JSON);
    expect(reply.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  test('a handler stuck past ORCH_REQUEST_TIMEOUT_MS → 503 problem+json with Retry-After; Prefer: wait extends it; audited', async () => {
    const e = await callerOf();
    const lock = new PgClient({ connectionString: platform.databaseUrl });
    await lock.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE connectors, policies IN ACCESS EXCLUSIVE MODE');

      const began = Date.now();
      const stuck = await e.control('GET', '/connectors');
      const took = Date.now() - began;
      expect(stuck.status).toBe(503);
      expect(stuck.headers.get('content-type')).toBe(PROBLEM_JSON);
      expect(stuck.body.code).toBe('REQUEST_TIMEOUT');
      expect(stuck.headers.get('retry-after')).toBe('5');
      expect(took >= 1000 && took < 4000).toBeTruthy();

      // A write that times out is on the record with its outcome (the audit wraps the timeout).
      const write = await e.control('POST', '/policies', { json: { name: 'late' } });
      expect(write.status).toBe(503);

      // `Prefer: wait=1` asks to hold the response: deadline 1 s + 5 s, so it outlasts a 2 s stall.
      const waiting = e.control('GET', '/connectors', { headers: { prefer: 'wait=1' } });
      await delay(2_000);
      await lock.query('COMMIT');
      expect((await waiting).status).toBe(200);
    } finally {
      await lock.query('ROLLBACK').catch(() => undefined);
      await lock.end();
    }
    await delay(1_000); // past the rate limit
    const [row] = (await e.control('GET', '/audit?action=POST%20/policies')).body.items;
    expect([row.status, row.errorCode]).toStrictEqual([503, 'REQUEST_TIMEOUT']);
  });
});
