import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { Downstream, json } from '../support/downstream';
import { fetchHistory, maybeRecord, replay } from '../support/histories';
import { http, TestPlatform } from '../support/platform';
import { serviceEnv, sql } from '../support/services';

describe('the execution spine: POST /execute → workflow → activity → downstream → job', () => {
  const downstream = new Downstream();
  const platform = new TestPlatform();
  let connector: { id: string; name: string };

  beforeAll(async () => {
    await downstream.start();
    await platform.start();
    connector = await platform.createConnector(downstream.url, {
      charge: { method: 'POST', path: '/charges/{customer}', body: { amount: '{amount}' }, successStatuses: [201] },
      flaky: { method: 'GET', path: '/flaky' },
      reject: { method: 'POST', path: '/reject' },
    });
  });
  afterAll(async () => {
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
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('location')).toBe(`/jobs/${accepted.body.id}`);
    expect(accepted.body.workflowId).toBe(`job-${accepted.body.id}`);

    const job = await platform.waitForJob(accepted.body.id);
    expect(job.status).toBe('succeeded');
    expect(job.attempts).toBe(1);
    expect(job.result.status).toBe(201);
    expect(job.result.body).toStrictEqual({ id: 'ch_1', received: { amount: 1200 } });
    expect(job.policy.version).toBe(1);
    expect(job.startedAt && job.completedAt).toBeTruthy();
    // OTEL_EXPORTER_OTLP_ENDPOINT is unset here: no tracer runs, so the job has no trace (test/integration/observability.test.ts has one).
    expect(job.traceId).toBeNull();
    expect(downstream.callsTo('/charges/cus_1')[0].headers.traceparent).toBeUndefined();

    const [call] = downstream.callsTo('/charges/cus_1');
    expect(call.headers['idempotency-key']).toBe(`${job.id}:1`);

    const events = await http('GET', `${platform.exec}/events?jobId=${job.id}`);
    expect(events.body.items.map((event: { type: string }) => event.type)).toStrictEqual(['job.accepted', 'job.started', 'attempt.started', 'attempt.succeeded', 'job.succeeded']);

    const connection = await Connection.connect({ address: serviceEnv().TEMPORAL_ADDRESS });
    try {
      const description = await new Client({ connection }).workflow.getHandle(job.workflowId).describe();
      expect(description.searchAttributes.TenantId).toStrictEqual(['dev']);
      expect(description.searchAttributes.ConnectorId).toStrictEqual([connector.id]);
      expect((await description.memo)?.connector).toBe(connector.name);
    } finally {
      await connection.close();
    }
    await checkReplay('execute-job-succeeded', job.workflowId);
  });

  test('a downstream 500 then 200 succeeds on attempt 2 with the same Idempotency-Key', async () => {
    downstream.on('/flaky', (_call, response, index) => (index === 0 ? json(response, 500, { error: 'boom' }) : json(response, 200, { ok: true })));

    const accepted = await platform.execute({ connector: connector.id, operation: 'flaky' });
    const job = await platform.waitForJob(accepted.body.id);
    expect(job.status).toBe('succeeded');
    expect(job.attempts).toBe(2);
    const calls = downstream.callsTo('/flaky');
    expect(calls.length).toBe(2);
    expect(calls[0].headers['idempotency-key']).toBe(calls[1].headers['idempotency-key']);
    expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(700); // the retry waited for the backoff (1 s base, 20 % jitter)

    const events = await http('GET', `${platform.exec}/events?jobId=${job.id}&type=attempt.failed`);
    expect(events.body.items.length).toBe(1);
    expect(events.body.items[0].data.error.httpStatus).toBe(500);
    await checkReplay('execute-job-retried', job.workflowId);
  });

  test('a 400 fails at once without a retry', async () => {
    downstream.on('/reject', (_call, response) => json(response, 400, { error: 'bad card' }));
    const accepted = await platform.execute({ connector: connector.name, operation: 'reject', input: { card: 'x' } });
    const job = await platform.waitForJob(accepted.body.id);
    expect(job.status).toBe('failed');
    expect(job.attempts).toBe(1);
    expect(job.error).toStrictEqual({ type: 'HttpError', message: 'The connector answered HTTP 400.', retryable: false, httpStatus: 400 });
    expect(downstream.callsTo('/reject').length).toBe(1);
    await checkReplay('execute-job-failed', job.workflowId);
  });

  test('GET /jobs lists newest first with an opaque cursor', async () => {
    const first = await http('GET', `${platform.exec}/jobs?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.length).toBe(2);
    expect(first.body.nextCursor).toBeTruthy();
    const second = await http('GET', `${platform.exec}/jobs?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.length).toBe(1);
    expect(second.body.nextCursor).toBe(null);
    const all = [...first.body.items, ...second.body.items];
    expect(new Set(all.map((job: { id: string }) => job.id)).size).toBe(3);
    const created = all.map((job: { createdAt: string }) => job.createdAt);
    expect(created).toStrictEqual([...created].sort().reverse());

    const failed = await http('GET', `${platform.exec}/jobs?status=failed`);
    expect(failed.body.items.map((job: { operation: string }) => job.operation)).toStrictEqual(['reject']);
    const badCursor = await http('GET', `${platform.exec}/jobs?cursor=nonsense`);
    expect(badCursor.status).toBe(400);
  });

  test('each port documents its own plane (and the routes on every port), with servers pointing at that port; the UI is at /docs', async () => {
    const CONTROL_ONLY = ['/connectors', '/connectors/state', '/connectors/{id}/breaker', '/policies', '/policies/{id}/versions', '/configs/activate', '/dlq/replay', '/secret-refs', '/audit', '/webhooks/inbox'];
    const EXEC_ONLY = ['/execute', '/jobs', '/jobs/{id}', '/jobs/{id}/cancel', '/events', '/events/stream', '/webhooks/{connectorId}'];
    const EVERY_PORT = ['/health/ready', '/health/live'];
    for (const [base, own, other] of [[platform.control, CONTROL_ONLY, EXEC_ONLY], [platform.exec, EXEC_ONLY, CONTROL_ONLY]] as const) {
      const spec = await http('GET', `${base}/docs-json`);
      expect(spec.status).toBe(200);
      expect(spec.body.openapi).toMatch(/^3\./);
      for (const path of [...own, ...EVERY_PORT]) expect([path, Boolean(spec.body.paths[path])]).toStrictEqual([path, true]);
      for (const path of other) expect([path, spec.body.paths[path]]).toStrictEqual([path, undefined]);
      expect(spec.body.servers).toStrictEqual([{ url: base }]);
      expect(spec.body.components.schemas.ProblemSchema).toBeTruthy(); // problem+json is documented
      expect((await fetch(`${base}/docs`)).status).toBe(200);
      // "Try it out" from this document reaches a real route of this port: not 404.
      const tryIt = await http('GET', `${spec.body.servers[0].url}${own === EXEC_ONLY ? '/jobs' : '/connectors'}`);
      expect(tryIt.status).toBe(200);
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
      ['unsupported method on a known path', () => http('DELETE', `${platform.exec}/execute`), 405, 'METHOD_NOT_ALLOWED'],
      ['NUL in a body field (Postgres cannot store it)', () => platform.execute({ connector: connector.name, operation: 'charge', input: { note: 'a\u0000b' } }), 400, 'VALIDATION_FAILED'],
      ['NUL in a query parameter', () => http('GET', `${platform.exec}/jobs?connector=%00`), 400, 'VALIDATION_FAILED'],
      ['a version number beyond what storage holds', () => http('GET', `${platform.control}/configs/99999999999`), 404, 'CONFIG_NOT_FOUND'],
      ['a required body left out', () => http('POST', `${platform.control}/dlq/replay`), 400, 'VALIDATION_FAILED'],
      ['unsupported method on a templated path', () => http('PUT', `${platform.exec}/jobs/${randomUUID()}`, { json: {} }), 405, 'METHOD_NOT_ALLOWED'],
    ];
    for (const [name, send, status, code] of cases) {
      test(`${name} → ${status} ${code}`, async () => {
        const [before] = await sql<{ jobs: string; events: string }>(platform.databaseUrl, 'SELECT (SELECT count(*) FROM jobs) AS jobs, (SELECT count(*) FROM events) AS events');
        const reply = await send();
        expect(reply.status).toBe(status);
        expect(reply.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json/);
        expect(reply.body.code).toBe(code);
        expect(reply.body.status).toBe(status);
        expect(reply.body.type && reply.body.title && reply.body.detail && reply.body.requestId).toBeTruthy();
        const [afterCounts] = await sql(platform.databaseUrl, 'SELECT (SELECT count(*) FROM jobs) AS jobs, (SELECT count(*) FROM events) AS events');
        expect(afterCounts).toStrictEqual(before);
      });
    }

    test('405 names the allowed methods of the path on this port in Allow; a path of the other plane or of no route stays 404', async () => {
      const allow = async (method: string, url: string) => {
        const reply = await http(method, url);
        return [reply.status, reply.headers.get('allow'), reply.body?.code];
      };
      expect(await allow('DELETE', `${platform.exec}/jobs`)).toStrictEqual([405, 'GET, HEAD', 'METHOD_NOT_ALLOWED']);
      expect(await allow('PATCH', `${platform.exec}/jobs/${randomUUID()}/cancel`)).toStrictEqual([405, 'POST', 'METHOD_NOT_ALLOWED']);
      expect(await allow('DELETE', `${platform.control}/policies`)).toStrictEqual([405, 'GET, HEAD, POST', 'METHOD_NOT_ALLOWED']);
      for (const base of [platform.control, platform.exec]) expect(await allow('POST', `${base}/health/ready`)).toStrictEqual([405, 'GET, HEAD', 'METHOD_NOT_ALLOWED']);
      expect(await allow('DELETE', `${platform.control}/jobs`)).toStrictEqual([404, null, 'ROUTE_NOT_FOUND']); // an exec path on the control port
      expect(await allow('DELETE', `${platform.exec}/no-such-path`)).toStrictEqual([404, null, 'ROUTE_NOT_FOUND']);
    });

    test('validation problems name the field', async () => {
      const reply = await platform.execute({ connector: connector.name, operation: 'refund' });
      expect(reply.body.errors).toStrictEqual([{ field: 'operation', message: `connector "${connector.name}" has no operation "refund"` }]);
      const nul = await platform.execute({ connector: connector.name, operation: 'charge', input: { items: [{ note: 'a\u0000b' }] } });
      expect(nul.body.errors).toStrictEqual([{ field: 'input.items[0].note', message: 'must not contain the NUL character (\\u0000)' }]);
      // A body the document marks required must be sent; an empty object is a body, and names its missing fields.
      const bodyless = await http('POST', `${platform.control}/dlq/replay`);
      expect([bodyless.status, bodyless.body.errors]).toStrictEqual([400, [{ field: 'body', message: 'is required: send a JSON object' }]]);
      const empty = await http('POST', `${platform.control}/dlq/replay`, { json: {} });
      expect(empty.body.errors.map((error: { field: string }) => error.field)).toContain('filter');
    });
  });
});
