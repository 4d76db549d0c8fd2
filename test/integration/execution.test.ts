import { Client, Connection } from '@temporalio/client';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Downstream, json } from '../support/downstream';
import { fetchHistory, maybeRecord, replay } from '../support/histories';
import { http, TestPlatform } from '../support/platform';
import { serviceEnv, sql } from '../support/services';

describe('the execution spine: POST /execute → workflow → activity → downstream → job', () => {
  const downstream = new Downstream();
  const platform = new TestPlatform();
  let connector: { id: string; name: string };

  before(async () => {
    await downstream.start();
    await platform.start();
    connector = await platform.createConnector(downstream.url, {
      charge: { method: 'POST', path: '/charges/{customer}', body: { amount: '{amount}' }, successStatuses: [201] },
      flaky: { method: 'GET', path: '/flaky' },
      reject: { method: 'POST', path: '/reject' },
    });
  });
  after(async () => {
    await platform.stop();
    await downstream.stop();
  });

  /** Each finished job's history replays against the current code, and can be recorded as a fixture. */
  async function checkReplay(name: string, workflowId: string) {
    const history = await fetchHistory(workflowId);
    await replay(workflowId, history);
    await maybeRecord(name, history);
  }

  test('an execution succeeds and its result, events and Temporal metadata are readable', async () => {
    downstream.on('/charges/cus_1', (call, response) => json(response, 201, { id: 'ch_1', received: JSON.parse(call.body) }));

    const accepted = await platform.execute({ connector: connector.name, operation: 'charge', input: { customer: 'cus_1', amount: 1200 } });
    assert.equal(accepted.status, 202);
    assert.equal(accepted.headers.get('location'), `/jobs/${accepted.body.id}`);
    assert.equal(accepted.body.workflowId, `job-${accepted.body.id}`);

    const job = await platform.waitForJob(accepted.body.id);
    assert.equal(job.status, 'succeeded');
    assert.equal(job.attempts, 1);
    assert.equal(job.result.status, 201);
    assert.deepEqual(job.result.body, { id: 'ch_1', received: { amount: 1200 } });
    assert.equal(job.policy.version, 1);
    assert.ok(job.startedAt && job.completedAt);

    const [call] = downstream.callsTo('/charges/cus_1');
    assert.equal(call.headers['idempotency-key'], `${job.id}:1`);

    const events = await http('GET', `${platform.exec}/events?jobId=${job.id}`);
    assert.deepEqual(
      events.body.items.map((event: { type: string }) => event.type),
      ['job.accepted', 'job.started', 'attempt.started', 'attempt.succeeded', 'job.succeeded'],
    );

    const connection = await Connection.connect({ address: serviceEnv().TEMPORAL_ADDRESS });
    try {
      const description = await new Client({ connection }).workflow.getHandle(job.workflowId).describe();
      assert.deepEqual(description.searchAttributes.TenantId, ['dev']);
      assert.deepEqual(description.searchAttributes.ConnectorId, [connector.id]);
      assert.equal((await description.memo)?.connector, connector.name);
    } finally {
      await connection.close();
    }
    await checkReplay('execute-job-succeeded', job.workflowId);
  });

  test('a downstream 500 then 200 succeeds on attempt 2 with the same Idempotency-Key', async () => {
    downstream.on('/flaky', (_call, response, index) => (index === 0 ? json(response, 500, { error: 'boom' }) : json(response, 200, { ok: true })));

    const accepted = await platform.execute({ connector: connector.id, operation: 'flaky' });
    const job = await platform.waitForJob(accepted.body.id);
    assert.equal(job.status, 'succeeded');
    assert.equal(job.attempts, 2);
    const calls = downstream.callsTo('/flaky');
    assert.equal(calls.length, 2);
    assert.equal(calls[0].headers['idempotency-key'], calls[1].headers['idempotency-key']);
    assert.ok(calls[1].at - calls[0].at >= 700, 'the retry waited for the backoff (1 s base, 20 % jitter)');

    const events = await http('GET', `${platform.exec}/events?jobId=${job.id}&type=attempt.failed`);
    assert.equal(events.body.items.length, 1);
    assert.equal(events.body.items[0].data.error.httpStatus, 500);
    await checkReplay('execute-job-retried', job.workflowId);
  });

  test('a 400 fails at once without a retry', async () => {
    downstream.on('/reject', (_call, response) => json(response, 400, { error: 'bad card' }));
    const accepted = await platform.execute({ connector: connector.name, operation: 'reject', input: { card: 'x' } });
    const job = await platform.waitForJob(accepted.body.id);
    assert.equal(job.status, 'failed');
    assert.equal(job.attempts, 1);
    assert.deepEqual(job.error, { type: 'HttpError', message: 'The connector answered HTTP 400.', retryable: false, httpStatus: 400 });
    assert.equal(downstream.callsTo('/reject').length, 1);
    await checkReplay('execute-job-failed', job.workflowId);
  });

  test('GET /jobs lists newest first with an opaque cursor', async () => {
    const first = await http('GET', `${platform.exec}/jobs?limit=2`);
    assert.equal(first.status, 200);
    assert.equal(first.body.items.length, 2);
    assert.ok(first.body.nextCursor);
    const second = await http('GET', `${platform.exec}/jobs?limit=2&cursor=${first.body.nextCursor}`);
    assert.equal(second.body.items.length, 1);
    assert.equal(second.body.nextCursor, null);
    const all = [...first.body.items, ...second.body.items];
    assert.equal(new Set(all.map((job: { id: string }) => job.id)).size, 3);
    const created = all.map((job: { createdAt: string }) => job.createdAt);
    assert.deepEqual(created, [...created].sort().reverse());

    const failed = await http('GET', `${platform.exec}/jobs?status=failed`);
    assert.deepEqual(failed.body.items.map((job: { operation: string }) => job.operation), ['reject']);
    const badCursor = await http('GET', `${platform.exec}/jobs?cursor=nonsense`);
    assert.equal(badCursor.status, 400);
  });

  test('Swagger documents every route at /docs-json (and serves the UI at /docs) on both ports', async () => {
    for (const base of [platform.control, platform.exec]) {
      const spec = await http('GET', `${base}/docs-json`);
      assert.equal(spec.status, 200);
      assert.match(spec.body.openapi, /^3\./);
      for (const path of ['/execute', '/jobs', '/jobs/{id}', '/jobs/{id}/cancel', '/events', '/events/stream', '/connectors', '/connectors/state',
        '/connectors/{id}/breaker', '/policies', '/policies/{id}/versions', '/configs/activate', '/dlq/replay', '/secret-refs', '/webhooks/{connectorId}', '/audit', '/health/ready']) {
        assert.ok(spec.body.paths[path], `${path} is documented`);
      }
      assert.ok(spec.body.components.schemas.ProblemSchema, 'problem+json is documented');
      assert.equal((await fetch(`${base}/docs`)).status, 200);
    }
  });

  describe('bad input gets problem+json with a stable code and writes nothing', () => {
    const cases: [string, () => Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>, number, string][] = [
      ['unknown connector', () => platform.execute({ connector: 'no-such-connector', operation: 'charge' }), 404, 'CONNECTOR_NOT_FOUND'],
      ['unknown operation', () => platform.execute({ connector: connector.name, operation: 'refund' }), 400, 'VALIDATION_FAILED'],
      ['missing operation', () => platform.execute({ connector: connector.name }), 400, 'VALIDATION_FAILED'],
      ['unknown field', () => platform.execute({ connector: connector.name, operation: 'charge', extra: 1 }), 400, 'VALIDATION_FAILED'],
      ['malformed JSON', () => http('POST', `${platform.exec}/execute`, { raw: '{"connector": ', contentType: 'application/json' }), 400, 'MALFORMED_JSON'],
      ['wrong content type', () => http('POST', `${platform.exec}/execute`, { raw: 'connector=x', contentType: 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [
        'oversized body',
        () => platform.execute({ connector: connector.name, operation: 'charge', input: { blob: 'x'.repeat(1024 * 1024 + 1) } }),
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      ['exec route on the control port', () => http('POST', `${platform.control}/execute`, { json: { connector: connector.name, operation: 'charge' } }), 404, 'ROUTE_NOT_FOUND'],
      ['job id that is not a uuid', () => http('GET', `${platform.exec}/jobs/42`), 404, 'JOB_NOT_FOUND'],
    ];
    for (const [name, send, status, code] of cases) {
      test(`${name} → ${status} ${code}`, async () => {
        const [before] = await sql<{ jobs: string; events: string }>(platform.databaseUrl, 'SELECT (SELECT count(*) FROM jobs) AS jobs, (SELECT count(*) FROM events) AS events');
        const reply = await send();
        assert.equal(reply.status, status);
        assert.match(reply.headers.get('content-type') ?? '', /^application\/problem\+json/);
        assert.equal(reply.body.code, code);
        assert.equal(reply.body.status, status);
        assert.ok(reply.body.type && reply.body.title && reply.body.detail && reply.body.requestId);
        const [afterCounts] = await sql(platform.databaseUrl, 'SELECT (SELECT count(*) FROM jobs) AS jobs, (SELECT count(*) FROM events) AS events');
        assert.deepEqual(afterCounts, before);
      });
    }

    test('validation problems name the field', async () => {
      const reply = await platform.execute({ connector: connector.name, operation: 'refund' });
      assert.deepEqual(reply.body.errors, [{ field: 'operation', message: `connector "${connector.name}" has no operation "refund"` }]);
    });
  });
});
