import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { setTimeout as delay } from 'node:timers/promises';
import { Downstream, json } from '../support/downstream';
import { http, TestPlatform } from '../support/platform';
import { freePort, PlatformProcess } from '../support/processes';
import { serviceEnv, sql } from '../support/services';
import { SseClient } from '../support/sse';

const ONE_ATTEMPT = { maxAttempts: 1, initialIntervalMs: 100, backoffCoefficient: 1, maxIntervalMs: 100, jitter: 0, nonRetryable: [], respectRetryAfter: true };

describe('job lifecycle', () => {
  const downstream = new Downstream();
  const platform = new TestPlatform({ ORCH_IDEMPOTENCY_TTL: '3', ORCH_SSE_KEEPALIVE_SECONDS: '1' });

  beforeAll(async () => {
    await downstream.start();
    await platform.start({ workers: 1 });
  });
  afterAll(async () => {
    await platform.stop();
    await downstream.stop();
  });

  describe('Idempotency-Key', () => {
    test('50 concurrent identical requests → one job; another body → 422; after expiry the key is free again', async () => {
      downstream.on('/idem', (_call, response) => json(response, 200, {}));
      const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/idem' } });
      const body = { connector: connector.name, operation: 'call', input: { amount: 5 } };
      const replies = await Promise.all(Array.from({ length: 50 }, () => platform.execute(body, { 'Idempotency-Key': 'order-42' })));
      expect(new Set(replies.map((reply) => reply.status))).toStrictEqual(new Set([202]));
      const ids = new Set(replies.map((reply) => reply.body.id));
      expect(ids.size).toBe(1); // every response names the same job
      expect(replies.filter((reply) => reply.headers.get('idempotent-replayed') === 'true').length).toBe(49);
      const [count] = await sql<{ n: number }>(platform.databaseUrl, `SELECT count(*)::int AS n FROM jobs WHERE connector_id = $1`, [connector.id]);
      expect(count.n).toBe(1);

      const reordered = await platform.execute({ input: { amount: 5 }, operation: 'call', connector: connector.name }, { 'Idempotency-Key': 'order-42' });
      expect(reordered.body.id).toBe([...ids][0]); // key order in the body does not matter
      const conflicting = await platform.execute({ ...body, input: { amount: 6 } }, { 'Idempotency-Key': 'order-42' });
      expect(conflicting.status).toBe(422);
      expect(conflicting.body.code).toBe('IDEMPOTENCY_KEY_REUSED');

      await delay(3_200);
      const fresh = await platform.execute({ ...body, input: { amount: 6 } }, { 'Idempotency-Key': 'order-42' });
      expect(fresh.status).toBe(202);
      expect(fresh.body.id).not.toBe([...ids][0]);
    });

    test('the retention schedule deletes expired keys', async () => {
      await platform.execute({ connector: 'missing', operation: 'x' }, { 'Idempotency-Key': 'nothing-written' });
      downstream.on('/idem2', (_call, response) => json(response, 200, {}));
      const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/idem2' } });
      await platform.execute({ connector: connector.name, operation: 'call' }, { 'Idempotency-Key': 'short-lived' });
      await delay(3_200);
      const keys = () => sql<{ key: string }>(platform.databaseUrl, 'SELECT key FROM idempotency_keys ORDER BY key');
      expect((await keys()).some((row) => row.key === 'short-lived')).toBeTruthy();
      expect((await keys()).some((row) => row.key === 'nothing-written')).toBeFalsy(); // a rejected request claims no key

      const connection = await Connection.connect({ address: serviceEnv().TEMPORAL_ADDRESS });
      try {
        const schedule = new Client({ connection }).schedule.getHandle(`orchestrator-retention-${platform.taskQueue}`);
        await schedule.trigger();
        const deadline = Date.now() + 30_000;
        while ((await keys()).length > 0 && Date.now() < deadline) await delay(200);
      } finally {
        await connection.close();
      }
      expect(await keys()).toStrictEqual([]);
    });
  });

  test('Prefer: wait=N returns 200 with the final job, or 202 when N runs out', async () => {
    downstream.on('/quick', (_call, response) => json(response, 200, { done: true }));
    downstream.on('/slowish', async (_call, response) => {
      await delay(3_000);
      json(response, 200, {});
    });
    const connector = await platform.createConnector(downstream.url, { quick: { method: 'GET', path: '/quick' }, slow: { method: 'GET', path: '/slowish' } });
    const quick = await platform.execute({ connector: connector.name, operation: 'quick' }, { Prefer: 'wait=10' });
    expect(quick.status).toBe(200);
    expect(quick.body.status).toBe('succeeded');
    expect(quick.body.result.body).toStrictEqual({ done: true });
    expect(quick.headers.get('preference-applied')).toBe('wait=10');
    const slow = await platform.execute({ connector: connector.name, operation: 'slow' }, { Prefer: 'respond-async, wait=1' });
    expect(slow.status).toBe(202);
    expect(slow.body.status).not.toBe('succeeded');
  });

  test('cancel during a slow call: the downstream sees its connection closed and the job ends cancelled', async () => {
    let closedEarly = false;
    downstream.on('/hang', async (_call, response) => {
      response.once('close', () => (closedEarly = !response.writableEnded));
      await delay(30_000);
      if (!response.destroyed) json(response, 200, {});
    });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/hang' } });
    const accepted = await platform.execute({ connector: connector.name, operation: 'call' });
    while (downstream.callsTo('/hang').length === 0) await delay(20);
    const started = Date.now();
    const cancel = await http('POST', `${platform.exec}/jobs/${accepted.body.id}/cancel`);
    expect(cancel.status).toBe(202);
    const job = await platform.waitForJob(accepted.body.id, 20_000);
    expect(job.status).toBe('cancelled');
    expect(closedEarly).toBeTruthy(); // the in-flight call was aborted
    expect(Date.now() - started).toBeLessThan(10_000); // promptly
    const again = await http('POST', `${platform.exec}/jobs/${accepted.body.id}/cancel`);
    expect(again.body.code).toBe('JOB_ALREADY_FINISHED');
  });

  test('DLQ: replay after the connector is fixed succeeds; a bulk dry run counts what a bulk replay starts', async () => {
    let fixed = false;
    downstream.on('/flaky-dlq', (_call, response) => json(response, fixed ? 200 : 500, {}));
    const policy = await platform.createPolicy({ retry: ONE_ATTEMPT });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/flaky-dlq' } }, { policyId: policy.id });
    const failed = [];
    for (let i = 0; i < 4; i++) failed.push(await platform.waitForJob((await platform.execute({ connector: connector.name, operation: 'call', input: { i } })).body.id));
    expect(failed.map((job) => job.status)).toStrictEqual(['failed', 'failed', 'failed', 'failed']);
    const dlq = await http('GET', `${platform.control}/dlq?connector=${connector.id}`);
    expect(dlq.body.items.length).toBe(4);

    fixed = true;
    const replay = await http('POST', `${platform.control}/dlq/${failed[0].id}/replay`, { json: { input: { i: 0, edited: true } } });
    expect(replay.status).toBe(202);
    expect(replay.body.replayOf).toBe(failed[0].id);
    const replayed = await platform.waitForJob(replay.body.id);
    expect(replayed.status).toBe('succeeded');
    expect(JSON.parse(downstream.callsTo('/flaky-dlq').at(-1)!.body).edited).toBe(true);
    expect((await http('GET', `${platform.exec}/jobs/${failed[0].id}`)).body.replayedBy).toBe(replay.body.id);
    expect((await http('POST', `${platform.control}/dlq/${failed[0].id}/replay`, { json: {} })).status).toBe(404); // a replayed job left the DLQ

    const filter = { connector: connector.id };
    const dry = await http('POST', `${platform.control}/dlq/replay`, { json: { filter, dryRun: true } });
    expect([dry.body.count, dry.body.replayed.length]).toStrictEqual([3, 0]);
    const bulk = await http('POST', `${platform.control}/dlq/replay`, { json: { filter } });
    expect(bulk.body.replayed.length).toBe(dry.body.count);
    for (const { job } of bulk.body.replayed) expect((await platform.waitForJob(job)).status).toBe('succeeded');
    expect((await http('GET', `${platform.control}/dlq?connector=${connector.id}`)).body.items.length).toBe(0);
  });

  test('DLQ purge removes an entry and keeps the job', async () => {
    downstream.on('/gone', (_call, response) => json(response, 400, {}));
    const connector = await platform.createConnector(downstream.url, { call: { method: 'GET', path: '/gone' } });
    const job = await platform.waitForJob((await platform.execute({ connector: connector.name, operation: 'call' })).body.id);
    expect((await http('DELETE', `${platform.control}/dlq/${job.id}`)).status).toBe(204);
    expect((await http('GET', `${platform.control}/dlq?connector=${connector.id}`)).body.items.length).toBe(0);
    expect((await http('GET', `${platform.exec}/jobs/${job.id}`)).body.status).toBe('failed');
  });

  test('configs: activating v2 and rolling back restores v1 for new jobs; running jobs keep theirs', async () => {
    downstream.on('/cfg/early', (_call, response, index) => json(response, index < 2 ? 500 : 200, {}));
    downstream.on('/cfg/late', (_call, response) => json(response, 500, {}));
    const policy = await platform.createPolicy({ retry: ONE_ATTEMPT });
    const v2 = await http('POST', `${platform.control}/policies/${policy.id}/versions`, {
      json: { retry: { ...ONE_ATTEMPT, maxAttempts: 3, initialIntervalMs: 700, maxIntervalMs: 700 } },
    });
    expect(v2.body.latestVersion).toBe(2);
    const connector = await platform.createConnector(
      downstream.url,
      { call: { method: 'GET', path: '/cfg/{name}', inputFields: ['name'] } },
      { policyId: policy.id },
    );
    const c1 = await http('POST', `${platform.control}/configs`, { json: { bindings: { [connector.name]: { policyId: policy.id, version: 1 } } } });
    const c2 = await http('POST', `${platform.control}/configs`, { json: { bindings: { [connector.id]: { policyId: policy.id, version: 2 } } } });
    expect([c1.status, c1.body.version, c2.body.version]).toStrictEqual([201, 1, 2]);
    const bad = await http('POST', `${platform.control}/configs`, { json: { bindings: { [connector.id]: { policyId: policy.id, version: 9 } } } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe(`bindings.${connector.id}`);

    expect((await http('POST', `${platform.control}/configs/activate`, { json: { version: 1 } })).status).toBe(200);
    expect((await http('POST', `${platform.control}/configs/activate`, { json: { version: 2 } })).status).toBe(200);
    const running = await platform.execute({ connector: connector.name, operation: 'call', input: { name: 'early' } });
    expect([running.body.configVersion, running.body.policy.version]).toStrictEqual([2, 2]);

    const rolledBack = await http('POST', `${platform.control}/configs/rollback`);
    expect(rolledBack.body.version).toBe(1);
    expect((await http('GET', `${platform.control}/configs/active`)).body.version).toBe(1);
    const later = await platform.execute({ connector: connector.name, operation: 'call', input: { name: 'late' } });
    expect([later.body.configVersion, later.body.policy.version]).toStrictEqual([1, 1]);

    const [runningJob, laterJob] = [await platform.waitForJob(running.body.id), await platform.waitForJob(later.body.id)];
    expect([runningJob.status, runningJob.attempts, runningJob.configVersion]).toStrictEqual(['succeeded', 3, 2]);
    expect([laterJob.status, laterJob.attempts, laterJob.configVersion]).toStrictEqual(['failed', 1, 1]); // v1 allows one attempt
    const activations = await platform.events('type=config.activated');
    expect(activations.map((event) => [event.data.version, event.data.action])).toStrictEqual([[1, 'activate'], [2, 'activate'], [1, 'rollback']]);
  });

  test('SSE: resume with Last-Event-ID gets k+1, k+2, … exactly once; two api processes serve the same stream', async () => {
    const port = await freePort();
    const secondApi = PlatformProcess.spawn('api', platform.env({ PORT: String(port) }));
    try {
      await secondApi.waitForHttp(`http://127.0.0.1:${port}/health/live`);
      downstream.on('/sse', async (_call, response, index) => {
        await delay(300);
        json(response, index < 2 ? 503 : 200, {});
      });
      const policy = await platform.createPolicy({ retry: { ...ONE_ATTEMPT, maxAttempts: 3 } });
      const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/sse' } }, { policyId: policy.id });
      const start = (await http('GET', `${platform.exec}/events?limit=500`)).body.items.at(-1)?.id ?? '0';

      // Listen on api #2 for a job started through api #1.
      const first = await new SseClient(`http://127.0.0.1:${port}/events/stream?after=${start}`).open();
      const job = await platform.execute({ connector: connector.name, operation: 'call' });
      await first.waitFor((messages) => messages.filter((m) => m.id).length >= 4);
      await first.close();
      const k = first.events().at(-1)!.id!;

      const second = await new SseClient(`${platform.exec}/events/stream?jobId=${job.body.id}`, { 'Last-Event-ID': k }).open();
      await second.waitFor((messages) => messages.some((m) => m.event === 'job.succeeded'));
      await delay(1_500);
      await second.close();

      const stored = (await platform.events(`jobId=${job.body.id}`)).map((event) => event.id);
      const seen = [...first.events(), ...second.events()].filter((m) => JSON.parse(m.data!).jobId === job.body.id).map((m) => m.id);
      expect(seen).toStrictEqual(stored); // every event once, in order, across the reconnect
      expect(second.messages.some((m) => m.comment === 'keep-alive')).toBeTruthy(); // idle streams get keep-alive comments
    } finally {
      await secondApi.stop();
    }
  });
});
