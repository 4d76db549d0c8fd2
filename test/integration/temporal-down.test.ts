import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Downstream } from '../support/downstream';
import { http } from '../support/platform';
import { freePort, PlatformProcess } from '../support/processes';
import { createDatabase, serviceEnv, sql } from '../support/services';

let api: PlatformProcess;
let base = '';
let databaseUrl = '';
const downstream = new Downstream();

before(async () => {
  await downstream.start();
  databaseUrl = await createDatabase();
  const port = await freePort();
  const deadTemporal = `127.0.0.1:${await freePort()}`; // nothing listens here
  base = `http://127.0.0.1:${port}`;
  api = PlatformProcess.spawn('api', { ...serviceEnv(), DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: deadTemporal, AUTH_MODE: 'disabled', PORT: String(port) });
  await api.waitForHttp(`${base}/health/live`);
});
after(async () => {
  await api.stop();
  await downstream.stop();
});

test('with Temporal down the api starts, is not ready, and answers 503 without writing a job', async () => {
  const ready = await http('GET', `${base}/health/ready`);
  assert.equal(ready.status, 503);
  assert.equal(ready.body.checks.temporal.status, 'down');
  assert.equal(ready.body.checks.postgres.status, 'up');
  assert.equal(ready.body.checks.redis.status, 'up');

  const connector = await http('POST', `${base}/connectors`, {
    json: { name: 'billing', type: 'http', baseUrl: downstream.url, operations: { ping: { method: 'GET', path: '/ping' } } },
  });
  assert.equal(connector.status, 201);

  const reply = await http('POST', `${base}/execute`, { json: { connector: 'billing', operation: 'ping' } });
  assert.equal(reply.status, 503);
  assert.equal(reply.body.code, 'TEMPORAL_UNAVAILABLE');
  assert.match(reply.headers.get('content-type') ?? '', /problem\+json/);
  assert.match(reply.headers.get('retry-after') ?? '', /^\d+$/);
  assert.deepEqual(await sql(databaseUrl, 'SELECT count(*)::int AS n FROM jobs'), [{ n: 0 }]);
  assert.deepEqual(await sql(databaseUrl, 'SELECT count(*)::int AS n FROM events'), [{ n: 0 }]);
  assert.equal(downstream.calls.length, 0);
});
