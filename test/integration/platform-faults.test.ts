import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { Client as PgClient } from 'pg';
import { Downstream, json } from '../support/downstream';
import { http, TestPlatform } from '../support/platform';
import { serviceEnv, sql } from '../support/services';
import { TcpProxy } from '../support/tcp-proxy';

const ONE_ATTEMPT = { maxAttempts: 1, initialIntervalMs: 100, backoffCoefficient: 1, maxIntervalMs: 100, jitter: 0, nonRetryable: [], respectRetryAfter: true };

/** Calls per outbound Idempotency-Key: a platform that calls twice for one attempt shows a count of 2. */
function callsPerKey(downstream: Downstream, path: string): number[] {
  const counts = new Map<string, number>();
  for (const call of downstream.callsTo(path)) counts.set(String(call.headers['idempotency-key']), (counts.get(String(call.headers['idempotency-key'])) ?? 0) + 1);
  return [...counts.values()];
}

describe("faults of the platform's own storage and processes cost no attempt and no second call (SPEC §3.1, §3.9)", () => {
  const downstream = new Downstream();
  const postgres = new URL(serviceEnv().DATABASE_URL);
  const database = new TcpProxy({ host: postgres.hostname, port: Number(postgres.port || 5432) });
  const platform = new TestPlatform({}, { databaseVia: (url) => database.via(url) });

  beforeAll(async () => {
    await downstream.start();
    await database.start();
    await platform.start();
  });
  afterAll(async () => {
    await platform.stop();
    await database.stop();
    await downstream.stop();
  });

  test('Postgres unreachable for 5 s while jobs run: none fails, none uses an extra attempt, none is called twice', async () => {
    downstream.on('/during-outage', async (_call, response) => {
      await delay(1_500);
      json(response, 200, {});
    });
    const policy = await platform.createPolicy({ retry: ONE_ATTEMPT });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/during-outage' } }, { policyId: policy.id });
    const accepted = await Promise.all(Array.from({ length: 6 }, (_, i) => platform.execute({ connector: connector.name, operation: 'call', input: { i } })));
    while (downstream.inFlight === 0) await delay(20);
    await database.cut();
    await delay(5_000);
    await database.restore();
    const jobs = await Promise.all(accepted.map((reply) => platform.waitForJob(reply.body.id, 120_000)));
    expect(jobs.map((job) => [job.status, job.attempts])).toStrictEqual(Array(6).fill(['succeeded', 1]));
    expect(callsPerKey(downstream, '/during-outage')).toStrictEqual(Array(6).fill(1));
  });

  test("a job's start commits but its acknowledgement is lost (the connection drops after COMMIT): no attempt lost, one call", async () => {
    downstream.on('/after-lost-ack', (_call, response) => json(response, 200, {}));
    const policy = await platform.createPolicy({ retry: ONE_ATTEMPT });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/after-lost-ack' } }, { policyId: policy.id });
    // The statement the worker's ledger starts an attempt with (src/worker/job-ledger.service.ts startAttempt).
    const lost = database.loseCommitAcknowledgement('ON CONFLICT (id) DO UPDATE SET tenant_id = jobs.tenant_id');
    const accepted = await platform.execute({ connector: connector.name, operation: 'call' });
    await lost;
    const job = await platform.waitForJob(accepted.body.id, 60_000);
    expect([job.status, job.attempts]).toStrictEqual(['succeeded', 1]);
    expect(callsPerKey(downstream, '/after-lost-ack')).toStrictEqual([1]);
  });

  test('Postgres unreachable: reads and writes on both planes answer 503 DEPENDENCY_UNAVAILABLE (postgres) with Retry-After, write nothing, and recover without a restart', async () => {
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/unused' } });
    const jobsBefore = await sql<{ n: number }>(platform.databaseUrl, 'SELECT count(*)::int AS n FROM jobs');
    await database.cut();
    try {
      const replies = [
        await platform.execute({ connector: connector.name, operation: 'call' }),
        await http('GET', `${platform.exec}/jobs`),
        await http('POST', `${platform.control}/policies`, { json: { name: 'during-outage' } }),
      ];
      for (const reply of replies) {
        expect([reply.status, reply.body.code, reply.body.dependency, reply.headers.get('retry-after'), reply.headers.get('content-type')]).toStrictEqual([
          503,
          'DEPENDENCY_UNAVAILABLE',
          'postgres',
          '5',
          'application/problem+json; charset=utf-8',
        ]);
      }
      const ready = await http('GET', `${platform.control}/health/ready`);
      expect(ready.status).toBe(503);
      expect(JSON.stringify(ready.body)).toContain('postgres');
    } finally {
      await database.restore();
    }
    expect(await sql<{ n: number }>(platform.databaseUrl, 'SELECT count(*)::int AS n FROM jobs')).toStrictEqual(jobsBefore);
    expect(await sql(platform.databaseUrl, "SELECT id FROM policies WHERE name = 'during-outage'")).toStrictEqual([]);
    let accepted = await platform.execute({ connector: connector.name, operation: 'call' });
    for (let i = 0; i < 20 && accepted.status === 503; i++) {
      await delay(500); // the pool reconnects on its next checkout
      accepted = await platform.execute({ connector: connector.name, operation: 'call' });
    }
    expect(accepted.status).toBe(202);
    expect((await http('POST', `${platform.control}/policies`, { json: { name: 'after-outage' } })).status).toBe(201);
  });

  test('a body that arrives slowly (past the heartbeat timeout) is one call, not a lost attempt', async () => {
    downstream.on('/trickle', async (_call, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 8; i++) {
        response.write(i === 0 ? '{"chunks":[0' : `,${i}`);
        await delay(1_000);
      }
      response.end(']}');
    });
    const policy = await platform.createPolicy({ retry: { ...ONE_ATTEMPT, maxAttempts: 3 }, timeouts: { attemptMs: 20_000, totalMs: 60_000 } });
    const connector = await platform.createConnector(downstream.url, { call: { method: 'GET', path: '/trickle' } }, { policyId: policy.id });
    const job = await platform.waitForJob((await platform.execute({ connector: connector.name, operation: 'call' })).body.id);
    expect([job.status, job.attempts, job.result.body]).toStrictEqual(['succeeded', 1, { chunks: [0, 1, 2, 3, 4, 5, 6, 7] }]);
    expect(downstream.callsTo('/trickle').length).toBe(1);
  });

  test('the api killed between the workflow start and its commit, then the same request retried: one job, one downstream call', async () => {
    downstream.on('/once', (_call, response) => json(response, 200, {}));
    const connector = await platform.createConnector(downstream.url, { call: { method: 'POST', path: '/once' } });
    const request = { connector: connector.name, operation: 'call', input: { order: 42 } };
    const headers = { 'idempotency-key': `order-42-${Date.now()}` };

    // Hold the tenant's event counter: the api's accept transaction blocks on it at its last
    // statement, after the workflow start; the worker then waits on the uncommitted job row.
    const blocker = new PgClient({ connectionString: platform.databaseUrl });
    await blocker.connect();
    await blocker.query("INSERT INTO event_sequences (tenant_id, last_id) VALUES ('dev', 0) ON CONFLICT DO NOTHING");
    await blocker.query('BEGIN');
    await blocker.query("SELECT last_id FROM event_sequences WHERE tenant_id = 'dev' FOR UPDATE");
    const firstTry = platform.execute(request, headers).catch((error: unknown) => error);
    const database = new URL(platform.databaseUrl).pathname.slice(1);
    for (let waited = 0; ; waited += 50) {
      const [waiting] = await sql<{ n: number }>(platform.databaseUrl, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [database]);
      if (waiting.n >= 2) break; // the api (event counter) and the worker (job row): the workflow has started
      if (waited > 30_000) throw new Error(`only ${waiting.n} session(s) waiting on a lock`);
      await delay(50);
    }
    await platform.api.stop('SIGKILL');
    await blocker.query('COMMIT');
    await blocker.end();
    expect(((await firstTry) as Error).message).toBe('fetch failed'); // the client never got an answer

    await platform.startApi();
    const retried = await platform.execute(request, headers);
    expect(retried.status).toBe(202);
    const job = await platform.waitForJob(retried.body.id);
    expect(job.status).toBe('succeeded');
    const jobs = await http('GET', `${platform.exec}/jobs?connector=${connector.id}`);
    expect(jobs.body.items.map((item: { id: string }) => item.id)).toStrictEqual([retried.body.id]);
    expect(downstream.callsTo('/once').length).toBe(1);
  });
});
