import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Downstream } from '../support/downstream';
import { http } from '../support/platform';
import { freePort, PlatformProcess } from '../support/processes';
import { createDatabase, serviceEnv, sql } from '../support/services';

let api: PlatformProcess;
let base = '';
let databaseUrl = '';
const downstream = new Downstream();

beforeAll(async () => {
  await downstream.start();
  databaseUrl = await createDatabase();
  const port = await freePort();
  const deadTemporal = `127.0.0.1:${await freePort()}`; // nothing listens here
  base = `http://127.0.0.1:${port}`;
  api = PlatformProcess.spawn('api', { ...serviceEnv(), DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: deadTemporal, AUTH_MODE: 'disabled', PORT: String(port) });
  await api.waitForHttp(`${base}/health/live`);
});
afterAll(async () => {
  await api.stop();
  await downstream.stop();
});

test('with Temporal down the api starts and stays ready (it can serve), /health reports Temporal down, and executions answer 503 without writing a job', async () => {
  // Readiness is "can serve": Postgres up and not draining. Temporal is in the summary only.
  const ready = await http('GET', `${base}/health/ready`);
  expect(ready.status).toBe(200);
  expect(Object.keys(ready.body.details).sort()).toStrictEqual(['accepting', 'postgres']);
  const summary = await http('GET', `${base}/health`);
  expect(summary.status).toBe(503);
  expect(summary.body.checks.temporal.status).toBe('down');
  expect(summary.body.checks.postgres.status).toBe('up');
  expect(summary.body.checks.redis.status).toBe('up');

  const connector = await http('POST', `${base}/connectors`, {
    json: { name: 'billing', type: 'http', baseUrl: downstream.url, operations: { ping: { method: 'GET', path: '/ping' } } },
  });
  expect(connector.status).toBe(201);

  const reply = await http('POST', `${base}/execute`, { json: { connector: 'billing', operation: 'ping' } });
  expect(reply.status).toBe(503);
  expect([reply.body.code, reply.body.dependency]).toStrictEqual(['DEPENDENCY_UNAVAILABLE', 'temporal']);
  expect(reply.headers.get('content-type') ?? '').toMatch(/problem\+json/);
  expect(reply.headers.get('retry-after') ?? '').toMatch(/^\d+$/);
  expect(await sql(databaseUrl, 'SELECT count(*)::int AS n FROM jobs')).toStrictEqual([{ n: 0 }]);
  expect(await sql(databaseUrl, 'SELECT count(*)::int AS n FROM events')).toStrictEqual([{ n: 0 }]);
  expect(downstream.calls.length).toBe(0);
});
